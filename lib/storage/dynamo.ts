// DynamoDB batch writes with the retry discipline the service expects: 25 items per request,
// UnprocessedItems re-sent with exponential backoff and full jitter until done or clearly failed.
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
  /** injectable for tests */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const sleepReal = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes all requests; resolves with the number of BatchWriteItem calls made. */
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
    sleep = sleepReal,
    random = Math.random,
  } = options;
  let calls = 0;
  for (let i = 0; i < requests.length; i += 25) {
    let pending: WriteRequest[] = requests.slice(i, i + 25);
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
  }
  return calls;
}
