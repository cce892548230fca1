// The committed sample through the local state machine with 1 MiB ingest ranges: transactions.csv
// (3 MB) is cut into ranges read by separate IngestRange workers, and the run gives what the CLI gives
// with one range per file: 3,000 customers, 38,492 rows, the same five segments and sizes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../infra/local/environment.js';
import { collectInputs } from '../../infra/local/inputs.js';
import { type LocalRunResult, runLocal } from '../../infra/local/runner.js';
import { getJson } from '../../lib/storage/blob.js';
import { localEnvironment } from '../support/local.js';

let env: LocalEnvironment;
let result: LocalRunResult;
let rangesDone = 0;

beforeAll(async () => {
  // the plan's range size, as the construct's ingestRangeBytes sets it (read when the handler loads)
  process.env.RANGE_BYTES = String(1024 * 1024);
  env = await localEnvironment();
  result = await runLocal(env, collectInputs(['events/data/sample']), {
    dataset: 'ranged',
    onProgress: (e) => {
      if (e.type === 'shard-finished' && e.state === 'IngestRanges') rangesDone = e.done;
    },
  });
}, 180_000);

afterAll(async () => {
  delete process.env.RANGE_BYTES;
  await env?.stop();
});

describe('the sample ingested over 1 MiB ranges', () => {
  it('cuts transactions.csv into ranges and reads each in its own worker', async () => {
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const plan = await getJson<{ files: { file: string; rangeCount: number }[]; ranges: unknown[] }>(
      env.store,
      `runs/ranged/${result.runInput.runId}/ingest-plan.json`,
    );
    expect(plan.files.map((f) => [f.file, f.rangeCount])).toEqual([
      ['customers.csv', 1],
      ['transactions.csv', 3],
    ]);
    expect(rangesDone).toBe(4);
  });

  it('gives the whole-file numbers: rows, customers and segment sizes', () => {
    const s = result.summary!;
    expect(s.rows).toEqual({ read: 38_492, accepted: 38_492, rejected: 0 });
    expect(s.customers).toBe(3_000);
    expect(s.segments.map((x) => x.size).sort((a, b) => b - a)).toEqual([761, 614, 602, 590, 433]);
  });
});
