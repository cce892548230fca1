// The joints between stages built separately: files of every kind dropped together go through
// Ingest into the stages that use them (seeds → lookalikes, erasure requests → exports, memberships
// and audiences), on the synthesized state machine.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../infra/local/environment.js';
import { collectInputs } from '../../infra/local/inputs.js';
import { type LocalRunResult, runLocal } from '../../infra/local/runner.js';
import { sha256Hex } from '../../lib/publish/identity.js';
import { localEnvironment, parseCsv, plantedArchetypes, readText } from '../support/local.js';

let env: LocalEnvironment;
let result: LocalRunResult;
const erased = 'C100001';
const suppressed = 'C100002';

beforeAll(async () => {
  // Prepare: the sample plus a seed list of loyal customers and an erasure/suppression file
  const dir = mkdtempSync(join(tmpdir(), 'joints-'));
  mkdirSync(dir, { recursive: true });
  for (const f of ['transactions.csv', 'customers.csv'])
    writeFileSync(join(dir, f), readFileSync(`events/data/sample/${f}`));
  const loyal = [...plantedArchetypes()].filter(([, a]) => a === 'loyal-high-spender').map(([id]) => id);
  writeFileSync(join(dir, 'seeds.csv'), `customer_id\n${loyal.slice(0, 150).join('\n')}\n`);
  writeFileSync(
    join(dir, 'suppressions.csv'),
    `email,type\n${erased.toLowerCase()}@example.com,erase\n${suppressed.toLowerCase()}@example.com,suppress\n`,
  );
  env = await localEnvironment();
  result = await runLocal(env, collectInputs([dir]), {
    dataset: 'joints',
    config: { destinations: { crm: { type: 'file', segments: ['*', 'lookalike-top'] } } },
  });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

describe('every input kind reaches the stage that uses it', () => {
  it('ingests the four kinds in one snapshot', () => {
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const kinds = Object.fromEntries(result.summary!.files.map((f) => [f.file, f.kind]));
    expect(kinds).toEqual({
      'customers.csv': 'customers',
      'seeds.csv': 'seeds',
      'suppressions.csv': 'suppressions',
      'transactions.csv': 'transactions',
    });
  });

  it('builds a lookalike audience from the seeds, excluding them, where held-out seeds rank high', async () => {
    const summary = result.summary as unknown as {
      models: { lookalike?: { status: string; heldOutSeeds: { meanPercentile: number } } };
      groups?: { id: string; size: number }[];
    };
    expect(summary.models.lookalike?.status).toBe('fitted');
    expect(summary.models.lookalike!.heldOutSeeds.meanPercentile).toBeGreaterThan(75);
    const top = summary.groups?.find((g) => g.id === 'lookalike-top');
    expect(top?.size).toBeGreaterThan(0);
    const members = parseCsv(await readText(env, 'exports/joints/latest/segments/lookalike-top.csv'));
    const loyal = [...plantedArchetypes()].filter(([, a]) => a === 'loyal-high-spender').map(([id]) => id);
    const seeds = new Set(loyal.slice(0, 150));
    expect(members.length).toBe(top!.size);
    for (const m of members) expect(seeds.has(m.customer_id)).toBe(false);
  });

  it('erases the erased person from exports and audiences, and keeps a suppressed one out of audiences only', async () => {
    const memberships = parseCsv(await readText(env, 'exports/joints/latest/memberships.csv'));
    const ids = new Set(memberships.map((m) => m.customer_id));
    expect(ids.has(erased)).toBe(false);
    expect(ids.has(suppressed)).toBe(true);
    const hashes = [erased, suppressed].map((id) => sha256Hex(`${id.toLowerCase()}@example.com`));
    for (const a of result.summary!.audiences) {
      const text = await readText(env, a.key);
      for (const h of hashes) expect(text).not.toContain(h);
    }
    const erasure = (
      result.summary as unknown as { erasure: { requests: { erase: number; suppress: number } } }
    ).erasure;
    expect(erasure.requests).toEqual({ erase: 1, suppress: 1 });
  });
});
