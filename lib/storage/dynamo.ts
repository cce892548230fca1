// DynamoDB batch writes with the retry discipline the service expects: 25 items per request,
// UnprocessedItems re-sent with exponential backoff and full jitter until done or clearly failed,
// a bounded number of requests in flight (each request waits a network round trip otherwise).
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { BATCH_WRITE_ERROR } from '../util/error-names.js';

export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

export class BatchWriteError extends Error {
  constructor(
    readonly table: string,
    readonly remaining: number,
    attempts: number,
  ) {
    super(
      `${remaining} item(s) for table ${table} were still unprocessed after ${attempts} attempts; the write is safe to retry`,
    );
    this.name = BATCH_WRITE_ERROR;
  }
}

/** Named so the caller of a flat write sees which attribute broke the promise (a programming error). */
export class NotFlatItemError extends Error {
  constructor(attribute: string, reason: string) {
    super(
      `attribute ${attribute} ${reason}: a flat batch write takes strings, numbers, booleans and null only`,
    );
    this.name = 'NotFlatItemError';
  }
}

/** What the DocumentClient's marshaller makes of a top-level attribute value, for the flat kinds. */
function flatAttribute(name: string, v: unknown): AttributeValue {
  if (typeof v === 'string') return { S: v };
  if (typeof v === 'boolean') return { BOOL: v };
  if (v === null) return { NULL: true };
  if (typeof v === 'number') {
    // the SDK's own refusals (util-dynamodb convertToNumberAttr), with its messages
    if (!Number.isFinite(v)) throw new Error(`Special numeric value ${v} is not allowed`);
    if (v > Number.MAX_SAFE_INTEGER || v < Number.MIN_SAFE_INTEGER)
      throw new Error(
        `Number ${v} is outside the safe integer range. Use NumberValue from @aws-sdk/lib-dynamodb.`,
      );
    return { N: String(v) };
  }
  throw new NotFlatItemError(name, `is a ${v === undefined ? 'undefined' : typeof v}`);
}

function flatMap(item: Record<string, unknown>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const k of Object.keys(item)) {
    const v = item[k];
    // the DocumentClient leaves out undefined attributes (removeUndefinedValues) and functions
    if (v === undefined || typeof v === 'function') continue;
    out[k] = flatAttribute(k, v);
  }
  return out;
}

type MarshallingStack = {
  addRelativeTo(
    middleware: (
      next: (args: { input: unknown }) => Promise<unknown>,
    ) => (args: { input: unknown }) => Promise<unknown>,
    options: { name: string; relation: 'after'; toMiddleware: string; override: boolean },
  ): void;
};

/** The input with every item and key marshalled (the DocumentClient's shapes, built directly). */
function marshalFlat(input: BatchWriteCommandInput): BatchWriteCommandInput {
  const requestItems: Record<string, unknown[]> = {};
  for (const [table, requests] of Object.entries(input.RequestItems ?? {}))
    requestItems[table] = requests.map((r) => ({
      ...r,
      ...(r.PutRequest ? { PutRequest: { ...r.PutRequest, Item: flatMap(r.PutRequest.Item ?? {}) } } : {}),
      ...(r.DeleteRequest
        ? { DeleteRequest: { ...r.DeleteRequest, Key: flatMap(r.DeleteRequest.Key ?? {}) } }
        : {}),
    }));
  return { ...input, RequestItems: requestItems as BatchWriteCommandInput['RequestItems'] };
}

/**
 * A BatchWriteCommand for items of flat attributes (strings, numbers, booleans, null), as memberships
 * are: the same input and output, the same request on the wire, but marshalled in one direct pass
 * instead of the DocumentClient's generic walk (~16 µs per membership: 1.2 s of CPU at 78,125
 * customers, on Lambda too). An attribute of another kind is refused (NotFlatItemError), not guessed at.
 */
export class FlatBatchWriteCommand extends BatchWriteCommand {
  constructor(input: BatchWriteCommandInput) {
    super(input);
    // with no key nodes the SDK's DocumentMarshall only copies the input (and still tags the request
    // as the DocumentClient's); the items are marshalled right after it, here
    (this as unknown as { inputKeyNodes: object }).inputKeyNodes = {};
    (this.middlewareStack as unknown as MarshallingStack).addRelativeTo(
      (next) => async (args) => next({ ...args, input: marshalFlat(args.input as BatchWriteCommandInput) }),
      { name: 'FlatMarshall', relation: 'after', toMiddleware: 'DocumentMarshall', override: true },
    );
  }
}

export interface BatchWriteOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** BatchWriteItem requests in flight at once (default 8); each retries and backs off on its own */
  concurrency?: number;
  /**
   * every item's attributes are strings, numbers, booleans or null: marshalled by FlatBatchWriteCommand's
   * direct pass (default false: the DocumentClient's generic marshalling)
   */
  flatItems?: boolean;
  /** injectable for tests */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const sleepReal = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Writes all requests; resolves with the number of BatchWriteItem calls made. The requests must name
 * distinct items: DynamoDB rejects duplicates within a request, and requests run concurrently. On an
 * error that is not retried, no further request starts and the first such error is thrown once the
 * requests in flight have settled.
 */
export async function batchWriteAll(
  ddb: DynamoDBDocumentClient,
  table: string,
  requests: readonly WriteRequest[],
  options: BatchWriteOptions = {},
): Promise<number> {
  const {
    maxAttempts = 10,
    baseDelayMs = 50,
    maxDelayMs = 5_000,
    concurrency = 8,
    sleep = sleepReal,
    random = Math.random,
    flatItems = false,
  } = options;
  const Command = flatItems ? FlatBatchWriteCommand : BatchWriteCommand;
  let calls = 0;
  let next = 0;
  let failure: { error: unknown } | undefined;
  const writeChunk = async (start: number): Promise<void> => {
    let pending: WriteRequest[] = requests.slice(start, start + 25);
    for (let attempt = 1; pending.length; attempt++) {
      if (attempt > maxAttempts) throw new BatchWriteError(table, pending.length, maxAttempts);
      if (attempt > 1) await sleep(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 2)));
      calls++;
      try {
        const res = await ddb.send(new Command({ RequestItems: { [table]: pending } }));
        pending = (res.UnprocessedItems?.[table] as WriteRequest[] | undefined) ?? [];
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        // throttling and transient service errors are retried with the same backoff; others surface
        if (
          !/Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|InternalServerError|ServiceUnavailable/.test(
            name,
          )
        ) {
          throw error;
        }
      }
    }
  };
  const lane = async (): Promise<void> => {
    while (!failure && next < requests.length) {
      const start = next;
      next += 25;
      try {
        await writeChunk(start);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const lanes = Math.max(1, Math.min(concurrency, Math.ceil(requests.length / 25)));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failure) throw failure.error;
  return calls;
}
