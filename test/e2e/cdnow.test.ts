// CDNOW (the classic CD-retailer panel, whitespace-separated, no header) through the local main job with
// events/config/cdnow.json: every one of the 6,919 sample rows loads and the run produces segments.
// The data lives in shared/data/cdnow beside the clone (CI) or above it; the test is skipped without it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../infra/local/environment.js';
import { type LocalRunResult, runLocal } from '../../infra/local/runner.js';
import { localEnvironment } from '../support/local.js';

function findCdnow(): string | null {
  let at = resolve('.');
  for (;;) {
    const candidate = join(at, 'shared', 'data', 'cdnow', 'CDNOW_sample.txt');
    if (existsSync(candidate)) return candidate;
    const up = dirname(at);
    if (up === at) return null;
    at = up;
  }
}

const path = findCdnow();
let env: LocalEnvironment;
let result: LocalRunResult;

describe.skipIf(path === null)('CDNOW sample through the local pipeline', () => {
  beforeAll(async () => {
    env = await localEnvironment();
    result = await runLocal(env, [{ path: path!, name: 'CDNOW_sample.txt' }], {
      dataset: 'cdnow',
      config: JSON.parse(readFileSync('events/config/cdnow.json', 'utf8')),
    });
  }, 180_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('loads all 6,919 rows of 2,357 customers', () => {
    // Assess
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const s = result.summary!;
    expect(s.rows).toEqual({ read: 6_919, accepted: 6_919, rejected: 0 });
    expect(s.files[0]).toMatchObject({ file: 'CDNOW_sample.txt', kind: 'transactions', quarantined: false });
    expect(s.customers).toBe(2_357);
  });

  it('keeps the 1997–1998 purchase window and finds segments', () => {
    const s = result.summary!;
    expect(s.asOf?.slice(0, 10)).toBe('1998-06-30');
    expect(s.segments.length).toBeGreaterThanOrEqual(3);
    expect(s.segments.reduce((n, seg) => n + seg.size, 0)).toBe(2_357);
  });
});
