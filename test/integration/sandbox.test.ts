// The local Lambda sandbox: an attempt past its timeout fails as Lambda's does (Sandbox.Timedout) and is
// frozen, so nothing it does afterwards reaches a service; faults pick their state, shard and attempt.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultFor, invokeInSandbox } from '../../infra/local/sandbox.js';

let url = '';
const received: string[] = [];
const server = createServer((req, res) => {
  received.push(`${req.method} ${req.url}`);
  res.end('ok');
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('invokeInSandbox', () => {
  it('ends a slow attempt at its timeout as Sandbox.Timedout, and its later calls never leave', async () => {
    // Prepare: an attempt that writes once, then is slow, then writes again
    received.length = 0;
    const attempt = async () => {
      await fetch(`${url}/first`, { method: 'POST' });
      await sleep(150);
      await fetch(`${url}/second`, { method: 'POST' });
      return 'done';
    };
    // Act
    const error = await invokeInSandbox(attempt, 50).catch((e: unknown) => e);
    await sleep(250);
    // Assess
    expect(error).toMatchObject({ name: 'Sandbox.Timedout', message: 'Task timed out after 0.05 seconds' });
    expect(received).toEqual(['POST /first']);
  });

  it('hangs an attempt at its N+1th write when asked, leaving the first N done', async () => {
    received.length = 0;
    const attempt = async () => {
      for (let i = 1; i <= 4; i++) await fetch(`${url}/w${i}`, { method: 'POST' });
      await fetch(`${url}/read`);
    };
    const error = await invokeInSandbox(attempt, 200, {
      state: 'X',
      kind: 'timeout',
      afterEffects: 2,
      effects: 'http',
    }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('Sandbox.Timedout');
    expect(received).toEqual(['POST /w1', 'POST /w2']);
  });

  it('returns what an attempt returns within its time, untouched', async () => {
    await expect(invokeInSandbox(async () => ({ shard: 3 }), 1_000)).resolves.toEqual({ shard: 3 });
  });
});

describe('faultFor', () => {
  const faults = [
    { state: 'ScoreShard', shard: 1, attempts: 'all' as const, kind: 'transient' as const },
    { state: 'Fit', kind: 'permanent' as const },
  ];
  it('matches state, shard and attempt (the first attempt by default)', () => {
    expect(faultFor(faults, 'ScoreShard', 1, 7)?.kind).toBe('transient');
    expect(faultFor(faults, 'ScoreShard', 0, 1)).toBeUndefined();
    expect(faultFor(faults, 'Fit', undefined, 1)?.kind).toBe('permanent');
    expect(faultFor(faults, 'Fit', undefined, 2)).toBeUndefined();
  });
});
