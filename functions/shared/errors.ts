// How a handler's failure is named for Step Functions: a failure that may pass by itself (throttling,
// a 5xx, a reset socket) becomes `TransientError`, which every task retries; everything else keeps
// its own name, so a named input error goes straight to the Catch and Quarantine, unretried.
import { BATCH_WRITE_ERROR, TRANSIENT_ERROR } from '../../lib/util/error-names.js';

/** The failure every task's Retry matches as worth trying again (see infra/constructs/workflow.ts). */
export class TransientError extends Error {
  /** the name of the failure it stands for, e.g. `SlowDown`, `ThrottlingException`, `ECONNRESET` */
  readonly original: string;
  constructor(original: string, message: string, options?: { cause?: unknown }) {
    super(`${original}: ${message} (a temporary failure, after the SDK's own retries)`, options);
    this.name = TRANSIENT_ERROR;
    this.original = original;
  }
}

/** Service error names that mean "slow down" or "try again", whatever the HTTP status says. */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'InternalError',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'TransactionInProgressException',
  // ours: DynamoDB left items unprocessed (throttling) after lib/storage/dynamo.ts's own backoff
  BATCH_WRITE_ERROR,
]);

/** Socket-level failures (Node's `code`): the request may never have reached the service. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  $retryable?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function transientName(e: ErrorLike): string | undefined {
  const name = typeof e.name === 'string' ? e.name : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const status = e.$metadata?.httpStatusCode;
  if (e.$retryable) return name ?? 'RetryableError';
  if (e.$fault === 'server' || (typeof status === 'number' && (status >= 500 || status === 429)))
    return name ?? `HTTP ${status}`;
  if (name && TRANSIENT_NAMES.has(name)) return name;
  if (code && TRANSIENT_CODES.has(code)) return code;
  return undefined;
}

/**
 * The error a handler should throw for `error`: a TransientError when it (or the plain `Error` that
 * wraps it) is a temporary failure; otherwise `error` itself. A named error of ours (InputRejectedError,
 * AudiencePublishError, …) is never renamed, even with a transient cause: its name is its contract
 * with the workflow's Catch.
 */
export function forStepFunctions(error: unknown): unknown {
  let e = error as ErrorLike | null;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    if (e instanceof TransientError) return e;
    const name = transientName(e);
    if (name) return new TransientError(name, String(e.message ?? name), { cause: error });
    // only an anonymous wrapper is looked through
    if (e.name !== 'Error' || !e.cause) break;
    e = e.cause as ErrorLike;
  }
  return error;
}
