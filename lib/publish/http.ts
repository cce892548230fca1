// HTTP for connectors: one request with a per-attempt timeout, retried on 429, 5xx and network
// failures with capped exponential backoff and full jitter, honouring Retry-After (seconds or
// HTTP-date). Never logs bodies or headers: they carry tokens and hashed identifiers.
import { createRandom, type Random } from '../util/random.js';

export interface RetryPolicy {
  /** Total attempts including the first. Default 5. */
  maxAttempts: number;
  /** First backoff step; doubles each retry. Default 500 ms. */
  baseDelayMs: number;
  /** Cap on any single wait, including one asked for by Retry-After. Default 30 s. */
  maxDelayMs: number;
  /** Per-attempt timeout. Default 30 s. */
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  timeoutMs: 30_000,
};

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  headers?: Record<string, string>;
  /** Strings and FormData can be sent again as-is on retry. */
  body?: string | FormData;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** Attempts made, including the successful one. */
  attempts: number;
}

export interface HttpOptions {
  fetch?: typeof fetch;
  policy?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  random?: Random;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Extra retry rule for platforms that report throttling in a 200/400 body (TikTok, Meta). */
  isRetryable?: (status: number, text: string) => boolean;
  onRetry?: (info: { attempt: number; delayMs: number; status?: number; reason: string }) => void;
}

/** All attempts failed with retryable outcomes, or the platform asked for a wait beyond the cap. */
export class HttpRetryError extends Error {
  readonly status: number | undefined;
  readonly attempts: number;
  readonly lastText: string | undefined;
  constructor(message: string, status: number | undefined, attempts: number, lastText?: string) {
    super(message);
    this.name = 'HttpRetryError';
    this.status = status;
    this.attempts = attempts;
    this.lastText = lastText;
  }
}

// Seeded once per process so jitter differs between concurrent Lambdas but stays reproducible in a test
// that passes its own `random`.
const processRandom = createRandom((process.pid * 2654435761 + Date.now()) >>> 0);

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** Retry-After as milliseconds from now; undefined when absent or unparseable (RFC 9110 §10.2.3). */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Full-jitter backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, min(cap, base·2^n)]. */
export function backoffDelayMs(retryIndex: number, policy: RetryPolicy, random: Random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return Math.round(random.next() * ceiling);
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function fetchWithRetry(req: HttpRequest, options: HttpOptions = {}): Promise<HttpResult> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const doFetch = options.fetch ?? fetch;
  const random = options.random ?? processRandom;
  const sleep = options.sleep ?? abortableSleep;
  let lastStatus: number | undefined;
  let lastText: string | undefined;
  let lastReason = 'no attempt made';
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    options.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let retryAfterMs: number | undefined;
    try {
      const res = await doFetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal,
      });
      const text = await res.text();
      const retryable = isRetryableStatus(res.status) || (options.isRetryable?.(res.status, text) ?? false);
      if (!retryable) return { status: res.status, headers: res.headers, text, attempts: attempt };
      lastStatus = res.status;
      lastText = text;
      lastReason = `HTTP ${res.status}`;
      retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    } catch (err) {
      // The caller's own abort (shutdown, Lambda deadline) is final; our per-attempt timeout is not.
      if (options.signal?.aborted) throw options.signal.reason;
      lastStatus = undefined;
      lastText = undefined;
      lastReason = timeout.aborted
        ? `timed out after ${policy.timeoutMs} ms`
        : `network error (${errName(err)})`;
    }
    if (attempt === policy.maxAttempts) break;
    if (retryAfterMs !== undefined && retryAfterMs > policy.maxDelayMs) {
      throw new HttpRetryError(
        `${lastReason}; the platform asked to wait ${Math.ceil(retryAfterMs / 1000)} s, longer than the ${Math.ceil(policy.maxDelayMs / 1000)} s cap`,
        lastStatus,
        attempt,
        lastText,
      );
    }
    const delayMs = retryAfterMs ?? backoffDelayMs(attempt - 1, policy, random);
    options.onRetry?.({ attempt, delayMs, status: lastStatus, reason: lastReason });
    await sleep(delayMs, options.signal);
  }
  throw new HttpRetryError(
    `${lastReason} after ${policy.maxAttempts} attempts`,
    lastStatus,
    policy.maxAttempts,
    lastText,
  );
}

function errName(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: { code?: string } }).cause;
    return cause?.code ?? err.name;
  }
  return 'unknown';
}
