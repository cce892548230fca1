import { afterEach, describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  fetchWithRetry,
  HttpRetryError,
  parseRetryAfter,
} from '../../../lib/publish/http.js';
import { createRandom } from '../../../lib/util/random.js';
import { type Receiver, startReceiver } from '../../support/receivers/index.js';

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const okHandler = () => ({ status: 200, body: { ok: true } });

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP-dates', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 12:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('backoffDelayMs', () => {
  it('grows exponentially under full jitter and never exceeds the cap', () => {
    // Prepare
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    const random = createRandom(7);
    // Act
    const delays = Array.from({ length: 200 }, (_, i) => backoffDelayMs(i % 8, policy, random));
    // Assess
    expect(Math.max(...delays)).toBeLessThanOrEqual(1000);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 8; i++)
      expect(backoffDelayMs(i, policy, { next: () => 0.999999, int: () => 0, normal: () => 0 })).toBe(
        Math.min(1000, 100 * 2 ** i),
      );
  });
});

describe('fetchWithRetry against a local receiver', () => {
  it('waits what Retry-After asks (seconds and HTTP-date) and then succeeds', async () => {
    // Prepare
    receiver = await startReceiver(okHandler);
    const at = new Date(Date.now() + 5000).toUTCString();
    receiver.fault({ status: 429, retryAfter: '2' }, { status: 503, retryAfter: at });
    const sleeps: number[] = [];
    // Act
    const res = await fetchWithRetry(
      { url: `${receiver.url}/x`, method: 'POST', body: '{}' },
      { sleep: async (ms) => void sleeps.push(ms) },
    );
    // Assess
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(3);
    expect(sleeps[0]).toBe(2000);
    expect(sleeps[1]).toBeGreaterThan(3000);
    expect(sleeps[1]).toBeLessThanOrEqual(5000);
  });

  it('gives up after maxAttempts on repeated 500s with the status in the error', async () => {
    receiver = await startReceiver(okHandler);
    receiver.fault(...Array.from({ length: 5 }, () => ({ status: 500 })));
    const err = await fetchWithRetry(
      { url: receiver.url, method: 'GET' },
      { policy: { maxAttempts: 3, baseDelayMs: 1 }, sleep: async () => {} },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpRetryError);
    expect((err as HttpRetryError).status).toBe(500);
    expect((err as HttpRetryError).attempts).toBe(3);
    expect(receiver.requests).toHaveLength(3);
  });

  it('refuses to wait longer than the cap when Retry-After asks for it', async () => {
    receiver = await startReceiver(okHandler);
    receiver.fault({ status: 429, retryAfter: '3600' });
    const err = await fetchWithRetry(
      { url: receiver.url, method: 'GET' },
      { policy: { maxDelayMs: 10_000 } },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/asked to wait 3600 s, longer than the 10 s cap/);
    expect(receiver.requests).toHaveLength(1);
  });

  it('times a hung request out and retries it', async () => {
    receiver = await startReceiver(okHandler);
    receiver.fault({ hang: true });
    const started = Date.now();
    const res = await fetchWithRetry(
      { url: receiver.url, method: 'GET' },
      { policy: { timeoutMs: 400, baseDelayMs: 1 } },
    );
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(2);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('does not retry 4xx other than 429/408, and stops at once when the caller aborts', async () => {
    receiver = await startReceiver(() => ({ status: 403, body: { error: { message: 'forbidden' } } }));
    const res = await fetchWithRetry({ url: receiver.url, method: 'GET' });
    expect(res.status).toBe(403);
    expect(res.attempts).toBe(1);
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    await expect(
      fetchWithRetry({ url: receiver.url, method: 'GET' }, { signal: controller.signal }),
    ).rejects.toThrow('shutting down');
  });
});
