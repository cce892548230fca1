// DynamoDB batch writes with the retry discipline the service expects: 25 items per request,
// UnprocessedItems re-sent with exponential backoff and full jitter until done or clearly failed,
// a bounded number of requests in flight (each request waits a network round trip otherwise).
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';

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
    this.name = 'BatchWriteError';
  }
}

export interface BatchWriteOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** BatchWriteItem requests in flight at once (default 8); each retries and backs off on its own */
  concurrency?: number;
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
  } = options;
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
        const res = await ddb.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
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
