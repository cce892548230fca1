// Where published segments live in DynamoDB. Data model (see docs/data-model.md):
//   catalog      PK dataset, SK segmentId          — segment cards (name, description, size, checks)
//   memberships  PK pk = dataset#customerId, SK sk = model ("clusters")  — exactly one cluster per
//                customer by construction; GSI bySegment (segmentKey = dataset#segmentId, customerId)
//   runs         PK dataset, SK runId              — run history and metrics
// Membership writes are delta (see writeMemberships): the caller compares items with what it last wrote.
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
      PutRequest: { Item: membershipRecord(dataset, model, m) },
    }));
    return batchWriteAll(this.ddb, this.tables.memberships, requests, {
      ...this.writeOptions,
      flatItems: true,
    });
  }

  /**
   * The delta write: puts changed memberships (already built with membershipRecord) and deletes the
   * memberships of customers no longer present or erased. Resolves with BatchWriteItem calls made.
   */
  async writeMemberships(
    dataset: string,
    model: string,
    puts: readonly Record<string, unknown>[],
    deleteCustomerIds: readonly string[],
  ): Promise<number> {
    const requests: WriteRequest[] = [
      ...puts.map((Item): WriteRequest => ({ PutRequest: { Item } })),
      ...deleteCustomerIds.map(
        (customerId): WriteRequest => ({
          DeleteRequest: { Key: { pk: `${dataset}#${customerId}`, sk: model } },
        }),
      ),
    ];
    if (requests.length === 0) return 0;
    return batchWriteAll(this.ddb, this.tables.memberships, requests, {
      ...this.writeOptions,
      flatItems: true,
    });
  }

  async putRun(dataset: string, runId: string, item: Record<string, unknown>): Promise<void> {
    await batchWriteAll(
      this.ddb,
      this.tables.runs,
      [{ PutRequest: { Item: { ...item, dataset, runId } } }],
      this.writeOptions,
    );
  }

  /**
   * Marks segments of the catalog retired (they vanished, or were superseded), keeping their card so
   * their history stays readable; audiences attached to them should be wound down.
   */
  async retireSegments(
    dataset: string,
    runId: string,
    retired: readonly { id: string; reason: string }[],
  ): Promise<void> {
    for (const r of retired) {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tables.catalog,
          Key: { dataset, segmentId: r.id },
          UpdateExpression: 'SET #status = :status, retiredRunId = :run, retiredReason = :reason',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': 'retired', ':run': runId, ':reason': r.reason },
        }),
      );
    }
  }

  /** Attaches each segment's card (definition, features, owner, intended use, cadence) to its catalog item. */
  async attachCards(dataset: string, cards: readonly { id: string }[]): Promise<void> {
    for (const card of cards) {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tables.catalog,
          Key: { dataset, segmentId: card.id },
          UpdateExpression: 'SET card = :card',
          ExpressionAttributeValues: { ':card': card },
        }),
      );
    }
  }

  /**
   * The dataset's runs, newest first (access pattern: chart a segment's metrics over time). Each item
   * is what Report wrote: status, asOf, customers, per-segment size/status/metrics, run metrics.
   */
  async runHistory(dataset: string, limit = 50): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let page: Record<string, unknown> | undefined;
    do {
      const res = await this.ddb.send(
        new QueryCommand({
          TableName: this.tables.runs,
          KeyConditionExpression: 'dataset = :d',
          ExpressionAttributeValues: { ':d': dataset },
          ScanIndexForward: false,
          ExclusiveStartKey: page,
          Limit: limit - items.length,
        }),
      );
      items.push(...(res.Items ?? []));
      page = res.LastEvaluatedKey;
    } while (page && items.length < limit);
    return items;
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

/**
 * The DynamoDB item of one membership. Attributes beyond the keys are copied generically, so fields
 * added to MembershipItem (scores, bands, …) are stored, and compared by the delta, without changes here.
 */
export function membershipRecord(dataset: string, model: string, m: MembershipItem): Record<string, unknown> {
  // one pass over the item's own keys, no intermediate objects: this runs once per customer
  const record: Record<string, unknown> = {};
  for (const k in m) {
    if (k === 'customerId' || k === 'segmentId' || k === 'distance') continue;
    const v = (m as unknown as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) continue;
      // scores are stored to 4 decimals: float noise must not make an unchanged membership look changed
      record[k] = round4(v);
    } else record[k] = v;
  }
  record.pk = `${dataset}#${m.customerId}`;
  record.sk = model;
  record.dataset = dataset;
  record.customerId = m.customerId;
  record.segmentId = m.segmentId;
  record.segmentKey = `${dataset}#${m.segmentId}`;
  record.distance = round4(m.distance);
  return record;
}
