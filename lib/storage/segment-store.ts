// Where published segments live in DynamoDB. Data model (see docs/data-model.md):
//   catalog      PK dataset, SK segmentId          — segment cards (name, description, size, checks)
//   memberships  PK pk = dataset#customerId, SK sk = model ("clusters")  — exactly one cluster per
//                customer by construction; GSI bySegment (segmentKey = dataset#segmentId, customerId)
//   runs         PK dataset, SK runId              — run history and metrics
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type BatchWriteOptions, batchWriteAll, type WriteRequest } from './dynamo.js';

export interface Tables {
  catalog: string;
  memberships: string;
  runs: string;
}

export interface MembershipItem {
  customerId: string;
  segmentId: string;
  runId: string;
  holdout: boolean;
  distance: number;
  /** primary propensity score 0–100, its band (high/medium/low) and percentile 0–100 */
  score?: number;
  band?: string;
  percentile?: number;
  /** predicted customer lifetime value over the configured horizon, and P(alive) */
  clv?: number;
  pAlive?: number;
  /** lookalike percentile among non-seeds, and whether the customer is in the lookalike audience */
  lookalikePercentile?: number;
  lookalike?: boolean;
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

/** The optional predictive attributes, left out when absent or not finite (DynamoDB has no NaN). */
function predictiveAttributes(m: MembershipItem): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const key of ['score', 'percentile', 'clv', 'pAlive', 'lookalikePercentile'] as const) {
    const v = m[key];
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = round4(v);
  }
  if (m.band) out.band = m.band;
  if (m.lookalike !== undefined) out.lookalike = m.lookalike;
  return out;
}

export class DynamoSegmentStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    readonly tables: Tables,
    private readonly writeOptions: BatchWriteOptions = {},
  ) {}

  async putCatalog(dataset: string, items: readonly Record<string, unknown>[]): Promise<number> {
    return batchWriteAll(
      this.ddb,
      this.tables.catalog,
      items.map((item) => ({ PutRequest: { Item: { ...item, dataset } } })),
      this.writeOptions,
    );
  }

  async putMemberships(dataset: string, model: string, items: readonly MembershipItem[]): Promise<number> {
    const requests: WriteRequest[] = items.map((m) => ({
      PutRequest: {
        Item: {
          pk: `${dataset}#${m.customerId}`,
          sk: model,
          dataset,
          customerId: m.customerId,
          segmentId: m.segmentId,
          segmentKey: `${dataset}#${m.segmentId}`,
          runId: m.runId,
          holdout: m.holdout,
          distance: Math.round(m.distance * 1e4) / 1e4,
          ...predictiveAttributes(m),
        },
      },
    }));
    return batchWriteAll(this.ddb, this.tables.memberships, requests, this.writeOptions);
  }

  async putRun(dataset: string, runId: string, item: Record<string, unknown>): Promise<void> {
    await batchWriteAll(
      this.ddb,
      this.tables.runs,
      [{ PutRequest: { Item: { ...item, dataset, runId } } }],
      this.writeOptions,
    );
  }

  /** A segment's members, one page at a time (access pattern: export or audit a segment). */
  async segmentMembers(
    dataset: string,
    segmentId: string,
    page?: Record<string, unknown>,
  ): Promise<{ customerIds: string[]; next?: Record<string, unknown> }> {
    const res = await this.ddb.send(
      new QueryCommand({
        TableName: this.tables.memberships,
        IndexName: 'bySegment',
        KeyConditionExpression: 'segmentKey = :s',
        ExpressionAttributeValues: { ':s': `${dataset}#${segmentId}` },
        ExclusiveStartKey: page,
      }),
    );
    return {
      customerIds: (res.Items ?? []).map((i) => i.customerId as string),
      next: res.LastEvaluatedKey,
    };
  }

  /** A customer's segments across models (access pattern: personalisation lookups). */
  async customerSegments(dataset: string, customerId: string): Promise<Record<string, unknown>[]> {
    const res = await this.ddb.send(
      new QueryCommand({
        TableName: this.tables.memberships,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': `${dataset}#${customerId}` },
      }),
    );
    return res.Items ?? [];
  }
}
