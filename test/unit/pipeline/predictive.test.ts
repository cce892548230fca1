// The predictive parts of the stages on an in-memory store: seeds and outcomes arrive as shard parts
// (as Ingest writes them), BuildFeatures → Fit → Score → Validate → exports carry the lookalike
// audience and the supplied-outcome model; a missing seeds file simply means no lookalike.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config/schema.js';
import { buildFeatures } from '../../../lib/pipeline/features.js';
import { fitModels } from '../../../lib/pipeline/fit.js';
import { loadPredictiveScores } from '../../../lib/pipeline/predictive.js';
import { publishExports } from '../../../lib/pipeline/publish.js';
import { renderRunReport } from '../../../lib/pipeline/report-model.js';
import { runFile, shardFile } from '../../../lib/pipeline/run-files.js';
import { score } from '../../../lib/pipeline/score.js';
import type { RunSummary } from '../../../lib/pipeline/summary.js';
import { buildRunSummary } from '../../../lib/pipeline/summary.js';
import { validate } from '../../../lib/pipeline/validate.js';
import { MemoryBlobStore, putJson } from '../../../lib/storage/blob.js';
import { type Columns, encodeColumns } from '../../../lib/storage/columnar.js';
import { fnv1a32 } from '../../../lib/util/hash.js';
import { filterRows, GENERATED_END_MS, generatedTransactions } from '../../support/predictive.js';

const SHARDS = 2;

async function runStages(withSeeds: boolean) {
  // Prepare: 2,000 generated customers in two shards; seeds = half the loyal customers; outcome =
  // "is a deal seeker" (learnable from the discount share)
  const { tx, archetype } = generatedTransactions(2000, 3);
  const store = new MemoryBlobStore();
  const ref = { dataset: 'demo', runId: 'r1' };
  const asOfMs = GENERATED_END_MS + 1;
  await putJson(
    store,
    runFile(ref, 'config.json'),
    parseConfig({ segments: { kMin: 3, kMax: 4, nInit: 1 } }),
  );
  await putJson(store, runFile(ref, 'ingest.json'), {
    rows: { read: 0, accepted: 0, rejected: 0 },
    files: [],
  });
  const seeds = [...archetype]
    .filter(([id, a]) => a === 'loyal-high-spender' && fnv1a32(`s:${id}`) % 2 === 0)
    .map(([id]) => id);
  for (let s = 0; s < SHARDS; s++) {
    const inShard = (id: string) => fnv1a32(id) % SHARDS === s;
    const part = filterRows(tx, inShard);
    await store.put(shardFile(ref, s, 'transactions-0.bin'), encodeColumns(part as unknown as Columns));
    if (withSeeds) {
      await store.put(shardFile(ref, s, 'seeds-0.bin'), encodeColumns({ customerId: seeds.filter(inShard) }));
    }
    const ids = [...archetype.keys()].filter(inShard);
    await store.put(
      shardFile(ref, s, 'outcomes-0.bin'),
      encodeColumns({
        customerId: ids,
        label: Uint8Array.from(ids, (id) => (archetype.get(id) === 'deal-seeker' ? 1 : 0)),
      }),
    );
  }
  // Act
  const tasks = Array.from({ length: SHARDS }, (_, index) => ({ ...ref, shard: { index }, asOfMs }));
  for (const t of tasks) await buildFeatures(store, t);
  await fitModels(store, { ...ref, shardCount: SHARDS });
  for (const t of tasks) await score(store, t);
  await validate(store, { ...ref, shardCount: SHARDS });
  await publishExports(store, { ...ref, shardCount: SHARDS });
  await putJson(store, runFile(ref, 'feature-dictionary.json'), []);
  const summary: RunSummary = await buildRunSummary(store, { ...ref, asOfMs });
  return { store, ref, summary, seeds: new Set(seeds), archetype };
}

describe('predictive stages with seeds and outcomes parts', () => {
  it('builds the lookalike audience without seeds and trains on the supplied outcome first', async () => {
    // Act
    const { store, ref, summary, seeds, archetype } = await runStages(true);
    // Assess
    const [outcome, purchase] = summary.models.propensity!;
    expect(outcome.target).toBe('outcome');
    expect(outcome.status).toBe('fitted');
    expect(outcome.validation!.auc).toBeGreaterThan(0.9);
    expect(purchase.target).toBe('purchase');
    const lookalike = summary.models.lookalike!;
    expect(lookalike.status).toBe('fitted');
    expect(lookalike.seeds.matched).toBe(seeds.size);
    expect(lookalike.heldOutSeeds!.meanPercentile).toBeGreaterThan(75);
    // held-out seed recall rises with the audience size, well above a random audience at the top 10 %
    const recall = lookalike.heldOutSeeds!.recall!;
    expect(recall.map((r) => r.topPercent)).toContain(10);
    for (let k = 1; k < recall.length; k++)
      expect(recall[k].recall).toBeGreaterThanOrEqual(recall[k - 1].recall);
    expect(recall.find((r) => r.topPercent === 10)!.recall).toBe(lookalike.heldOutSeeds!.shareInAudience);
    expect(lookalike.heldOutSeeds!.shareInAudience).toBeGreaterThan(0.2);
    expect(recall.at(-1)!.recall).toBe(1);
    const group = summary.groups!.find((g) => g.id === 'lookalike-top')!;
    expect(group.model).toBe('lookalike');
    let inAudience = 0;
    let loyal = 0;
    for (let s = 0; s < SHARDS; s++) {
      const cols = (await loadPredictiveScores(store, ref, s))!;
      const ids = cols.customerId as string[];
      const flag = cols.lookalike_in as Uint8Array;
      ids.forEach((id, i) => {
        if (!flag[i]) return;
        expect(seeds.has(id)).toBe(false);
        inAudience++;
        if (archetype.get(id) === 'loyal-high-spender') loyal++;
      });
    }
    expect(inAudience).toBe(group.size);
    expect(loyal / inAudience).toBeGreaterThan(0.5);
    const csv = new TextDecoder().decode(await store.get('exports/demo/latest/segments/lookalike-top.csv'));
    expect(csv.trim().split('\n')).toHaveLength(group.size + 1);
    // the report's lookalike section carries the same numbers
    const html = renderRunReport(summary);
    expect(html).toContain(`${seeds.size} seeds given`);
    expect(html).toContain(`audience: ${group.size.toLocaleString('en-US')} customers (top 10\u00a0%)`);
    expect(html).toContain('id="fig-lookalike-recall"');
  });

  it('treats a missing seeds file as no seeds: no lookalike model, no lookalike group', async () => {
    // Act
    const { summary } = await runStages(false);
    // Assess
    expect(summary.models.lookalike).toBeUndefined();
    expect(summary.groups!.some((g) => g.id === 'lookalike-top')).toBe(false);
    expect(renderRunReport(summary)).not.toContain('<section id="lookalike"');
    expect(summary.models.clv!.status).toBe('fitted');
  });
});
