// What a Lambda sandbox does to a handler that the in-process runner must imitate: a function's
// Timeout ends the invocation with `Sandbox.Timedout` and freezes it (nothing it started afterwards
// reaches S3, DynamoDB or a platform). Plus the fault injection the fault tests use: transient or
// permanent failures of an attempt's AWS calls, and a hang after some effects. Local runner only:
// nothing here is in a Lambda bundle or reachable from an event.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { LAMBDA_TIMEOUT_ERROR } from '../../lib/util/error-names.js';

export interface Fault {
  /** the Task state, e.g. `Ingest`, `ScoreShard`, `PublishMemberships` */
  state: string;
  /** only this shard's invocations (Map workers); all shards when unset */
  shard?: number;
  /** which attempts of the state (per shard), 1-based; default [1]; `'all'` for every attempt */
  attempts?: readonly number[] | 'all';
  /**
   * - `transient`: every AWS call of the attempt fails as a throttled or unavailable service does
   *   (S3 503 SlowDown, DynamoDB ThrottlingException), through the SDK's own retries
   * - `permanent`: every AWS call of the attempt is denied (403 AccessDenied), a failure retrying cannot fix
   * - `timeout`: the attempt hangs (from its first I/O, or once it has made `afterEffects` effects)
   *   until its function's timeout ends it
   */
  kind: 'transient' | 'permanent' | 'timeout';
  /** timeout: writes that complete before the attempt hangs at its next one */
  afterEffects?: number;
  /** timeout: which writes count; default any (S3 PUT/POST/DELETE, DynamoDB writes, non-GET HTTP) */
  effects?: 'dynamodb' | 's3' | 'http';
  /** the faulted attempt's timeout in ms (a short one keeps tests fast); the function's otherwise */
  timeoutMs?: number;
}

type EffectKind = 'dynamodb' | 's3' | 'http';

interface Invocation {
  fault?: Fault;
  frozen: boolean;
  effects: number;
}

const current = new AsyncLocalStorage<Invocation>();
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export class LambdaTimeoutError extends Error {
  constructor(seconds: number) {
    // Lambda's own wording; the error type is what Step Functions matches
    super(`Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = LAMBDA_TIMEOUT_ERROR;
  }
}

interface SdkRequest {
  method: string;
  hostname?: string;
  path?: string;
  headers: Record<string, string>;
}

const DYNAMODB_WRITES = /\.(BatchWriteItem|PutItem|UpdateItem|DeleteItem|TransactWriteItems)$/;

function sdkEffect(req: SdkRequest): EffectKind | undefined {
  const target = req.headers['x-amz-target'] ?? req.headers['X-Amz-Target'];
  if (target) return DYNAMODB_WRITES.test(target) ? 'dynamodb' : undefined;
  return req.method === 'GET' || req.method === 'HEAD' ? undefined : 's3';
}

/** What a throttled or denying service answers, so the SDK retries (or not) and raises its own error. */
function failedResponse(req: SdkRequest, kind: 'transient' | 'permanent') {
  const dynamo = Boolean(req.headers['x-amz-target'] ?? req.headers['X-Amz-Target']);
  if (dynamo) {
    const type = kind === 'transient' ? 'ThrottlingException' : 'AccessDeniedException';
    const body = JSON.stringify({
      __type: `com.amazonaws.dynamodb.v20120810#${type}`,
      message: kind === 'transient' ? 'Rate of requests exceeds the allowed throughput.' : 'not authorized',
    });
    return {
      statusCode: 400,
      reason: 'Bad Request',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type },
      body: Readable.from([Buffer.from(body)]),
    };
  }
  const [status, code, message] =
    kind === 'transient'
      ? [503, 'SlowDown', 'Please reduce your request rate.']
      : [403, 'AccessDenied', 'Access Denied'];
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>local</RequestId></Error>`;
  return {
    statusCode: status,
    reason: code,
    headers: { 'content-type': 'application/xml' },
    body: Readable.from([Buffer.from(body)]),
  };
}

/** True when the attempt must hang at this effect (and from now on). */
function hangsAt(inv: Invocation, effect: EffectKind | undefined): boolean {
  const f = inv.fault;
  if (f?.kind !== 'timeout') return false;
  if (f.afterEffects === undefined) return true;
  if (!effect || (f.effects && f.effects !== effect)) return false;
  if (inv.effects >= f.afterEffects) return true;
  inv.effects++;
  return false;
}

let installed = false;

/**
 * Routes every AWS SDK request and `fetch` of the process through the invocation it belongs to
 * (AsyncLocalStorage): outside an invocation, or in one without a fault, nothing changes.
 */
export function installSandbox(): void {
  if (installed) return;
  installed = true;
  const probe = new S3Client({ region: 'us-east-1' });
  const proto = Object.getPrototypeOf(probe.config.requestHandler) as {
    handle: (request: SdkRequest, options?: unknown) => Promise<{ response: unknown }>;
  };
  probe.destroy();
  const handle = proto.handle;
  proto.handle = function (this: unknown, request: SdkRequest, options?: unknown) {
    const inv = current.getStore();
    if (!inv) return handle.call(this, request, options);
    if (inv.frozen) return never();
    const kind = inv.fault?.kind;
    if (kind === 'transient' || kind === 'permanent')
      return Promise.resolve({ response: failedResponse(request, kind) });
    if (hangsAt(inv, sdkEffect(request))) {
      inv.frozen = true;
      return never();
    }
    return handle.call(this, request, options);
  };
  const originalFetch = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const inv = current.getStore();
    if (!inv) return originalFetch(input, init);
    if (inv.frozen) return never();
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    if (hangsAt(inv, method === 'GET' ? undefined : 'http')) {
      inv.frozen = true;
      return never();
    }
    return originalFetch(input, init);
  }) as typeof fetch;
}

/**
 * Runs one attempt of a handler as Lambda would: within `timeoutMs`, else `Sandbox.Timedout` and the
 * attempt is frozen (its pending and later I/O never happen), with `fault` applied to its I/O.
 */
export function invokeInSandbox<T>(run: () => Promise<T>, timeoutMs: number, fault?: Fault): Promise<T> {
  installSandbox();
  const inv: Invocation = { fault, frozen: false, effects: 0 };
  const attempt = current.run(inv, run);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      inv.frozen = true;
      reject(new LambdaTimeoutError(timeoutMs / 1000));
    }, timeoutMs);
    attempt.then(
      (value) => {
        clearTimeout(timer);
        if (!inv.frozen) resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!inv.frozen) reject(error);
      },
    );
  });
}

/** Picks the fault for an attempt: the first whose state, shard and attempt match. */
export function faultFor(
  faults: readonly Fault[],
  state: string,
  shard: number | undefined,
  attempt: number,
): Fault | undefined {
  return faults.find(
    (f) =>
      f.state === state &&
      (f.shard === undefined || f.shard === shard) &&
      (f.attempts === 'all' || (f.attempts ?? [1]).includes(attempt)),
  );
}
