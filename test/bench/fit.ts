// `npx tsx test/bench/fit.ts [--file transactions.csv] [--repeat 2]`: the Fit stage alone on a real
// run's shard files, and the BG/NBD fit alone (inline, no worker) on the same merged histories. The
// first call ingests the file and builds the features into test/bench/.data/fit-<name>/ (once; the
// input is read in place, never copied); later calls reuse them, so Fit can be timed again and again.
// Prints wall and CPU seconds (process-wide, worker threads included) and the fitted CLV parameters.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClvHistories } from '../../lib/features/clv-inputs.js';
import { fitBgNbd } from '../../lib/models/clv.js';
import {
  type ClvModel,
  countedHistories,
  FALLBACK_PENALIZER,
  fitClvHistories,
} from '../../lib/models/clv-pipeline.js';
import { buildFeatures } from '../../lib/pipeline/features.js';
import { fitModels } from '../../lib/pipeline/fit.js';
import { ingest } from '../../lib/pipeline/ingest.js';
import { loadRunConfig, runFile, shardFile } from '../../lib/pipeline/run-files.js';
import { getJson } from '../../lib/storage/blob.js';
import { DiskBlobStore } from './disk-store.js';

const { values } = parseArgs({
  options: {
    file: { type: 'string', default: 'test/bench/.data/transactions-1000000.csv' },
    repeat: { type: 'string', default: '2' },
    config: { type: 'string', default: '{"segments":{"kMin":5,"kMax":5,"nInit":4}}' },
  },
});
const input = values.file;
const root = join(process.cwd(), 'test/bench/.data', `fit-${basename(input).replace(/\.\w+$/, '')}`);
const INCOMING = 'incoming/bench/transactions.csv';

const run = { dataset: 'bench', runId: 'r-fit' };
const store = new DiskBlobStore(root, { [INCOMING]: input });
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const cpuSeconds = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};

async function prepare(): Promise<number> {
  const done = join(root, 'prepared.json');
  if (existsSync(done)) return (JSON.parse(readFileSync(done, 'utf8')) as { shardCount: number }).shardCount;
  process.stderr.write(`  preparing ${root} (ingest + features, once)…\n`);
  rmSync(root, { recursive: true, force: true });
  await store.put('config/bench.json', values.config);
  const out = await ingest(store, { ...run, objects: [{ key: INCOMING, size: statSync(input).size }] });
  for (const shard of out.shards) await buildFeatures(store, { ...run, shard, asOfMs: out.asOfMs });
  writeFileSync(done, JSON.stringify({ shardCount: out.shardCount }));
  return out.shardCount;
}

const fmt = (v: number, d = 5) => v.toFixed(d);

async function main(): Promise<void> {
  process.stderr.write(
    `fit bench: ${input}; ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}\n`,
  );
  const shardCount = await prepare();
  const ref = { ...run, shardCount };
  const repeat = Number(values.repeat);
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    await fitModels(store, ref);
    console.log(`Fit stage:      wall ${seconds(t0).toFixed(2)} s, CPU ${cpuSeconds(c0).toFixed(2)} s`);
  }
  // BG/NBD alone, inline, on the histograms exactly as Fit merges them
  const config = await loadRunConfig(store, ref);
  const parts: ClvHistories[] = [];
  for (let i = 0; i < shardCount; i++)
    parts.push(await getJson(store, shardFile(ref, i, 'clv-histories.json')));
  const merged: ClvHistories = { calibrationEndDay: parts[0].calibrationEndDay, customers: 0, histories: {} };
  for (const p of parts) {
    merged.customers += p.customers;
    for (const [k, n] of Object.entries(p.histories)) merged.histories[k] = (merged.histories[k] ?? 0) + n;
  }
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const fit = fitClvHistories([merged], config.clv);
    const it = fit.ok
      ? ` (${fit.bg.iterations} iterations${fit.warnings.length ? ', refitted with a penalty' : ''})`
      : '';
    console.log(`BG/NBD alone:   wall ${seconds(t0).toFixed(2)} s, CPU ${cpuSeconds(c0).toFixed(2)} s${it}`);
  }
  // the optimiser's search alone, exact data only (as before the coarse search) against coarse then
  // exact, on the same histograms, free and with the pipeline's fallback penalty
  const h = countedHistories(merged, config.clv.periodDays);
  for (const [label, coarseSearchAbove] of [
    ['exact-only search', Number.POSITIVE_INFINITY],
    ['coarse then exact', undefined],
  ] as const) {
    for (const penalizer of [0, FALLBACK_PENALIZER]) {
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      const bg = fitBgNbd(h.x, h.tx, h.T, {
        counts: h.count,
        penalizer,
        ...(coarseSearchAbove ? { coarseSearchAbove } : {}),
      });
      console.log(
        `  fitBgNbd ${label}, penalizer ${penalizer}: wall ${seconds(t0).toFixed(2)} s, CPU ${cpuSeconds(c0).toFixed(2)} s; ` +
          `r ${fmt(bg.r)} α ${fmt(bg.alpha)} a ${bg.a.toPrecision(6)} b ${bg.b.toPrecision(6)} LL ${bg.logLikelihood.toFixed(4)}${bg.converged ? '' : ' (not converged)'}`,
      );
    }
  }
  const model = (await getJson<{ clv: ClvModel | null }>(store, runFile(ref, 'predictive-model.json'))).clv;
  const p = model?.params;
  console.log(
    `histories: ${Object.keys(merged.histories).length.toLocaleString('en-US')} distinct of ${merged.customers.toLocaleString('en-US')} customers`,
  );
  if (p)
    console.log(
      `CLV params: r ${fmt(p.r)} α ${fmt(p.alpha)} a ${fmt(p.a)} b ${fmt(p.b)} p ${fmt(p.p)} q ${fmt(p.q)} γ ${fmt(p.gamma)}`,
    );
}

await main();
