// `npx tsx test/bench/features-kernel.ts [--file CSV] [--shard K] [--reps N]`: BuildFeatures' computation
// on one shard's decoded rows, in memory (no S3, no encoding): duplicate check, concatenation, features
// at as-of, their statistics, the fitting sample, CLV inputs and the self-labelled propensity sample.
// Times the current code (best of N passes) and prints its rows per CPU second; that its outputs are
// unchanged is the golden test's job (test/unit/features/golden.test.ts), not the bench's.
// The shard's parts come from an in-memory Ingest of the file, cached under test/bench/.data/.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../lib/config/schema.js';
import { computeFeatures, selectSample, summariseFeatures } from '../../lib/features/build.js';
import { calibrationEndDay, computeClvInputs } from '../../lib/features/clv-inputs.js';
import { shardQuota } from '../../lib/features/sampling.js';
import { concatTransactions } from '../../lib/features/transactions.js';
import { dropDuplicateRows } from '../../lib/ingest/duplicates.js';
import { buildSelfLabelledSample } from '../../lib/models/propensity.js';
import { ingest } from '../../lib/pipeline/ingest.js';
import { MemoryBlobStore } from '../../lib/storage/blob.js';
import { type Columns, decodeColumns } from '../../lib/storage/columnar.js';
import { keys } from '../../lib/storage/keys.js';

export interface KernelSide {
  /** best (smallest) CPU seconds of one pass over the shard, and the rows per CPU second it gives */
  cpuSeconds: number;
  wallSeconds: number;
  rowsPerCpuSecond: number;
}

export interface KernelResult {
  file: string;
  shard: number;
  shardCount: number;
  rows: number;
  customers: number;
  ours: KernelSide;
}

interface ShardInput {
  parts: Columns[];
  asOfMs: number;
  shardCount: number;
}

/** One shard's transaction parts as Ingest wrote them, cached as files next to the bench data. */
async function shardParts(file: string, shard: number): Promise<ShardInput> {
  const size = statSync(file).size;
  const dir = join(process.cwd(), 'test/bench/.data', `features-kernel-${basename(file)}-${size}`);
  const metaFile = join(dir, 'meta.json');
  if (!existsSync(metaFile)) {
    const store = new MemoryBlobStore();
    const key = `incoming/bench/${basename(file)}`;
    await store.put(key, readFileSync(file));
    const run = { dataset: 'bench', runId: 'r-kernel' };
    const out = await ingest(store, { ...run, objects: [{ key, size }] });
    mkdirSync(dir, { recursive: true });
    for (let s = 0; s < out.shardCount; s++) {
      const listed = await store.list(keys.shardPrefix(run.dataset, run.runId, s));
      for (const o of listed) {
        const name = o.key.slice(o.key.lastIndexOf('/') + 1);
        if (name.startsWith('transactions-'))
          writeFileSync(join(dir, `${s}-${name}`), await store.get(o.key));
      }
    }
    writeFileSync(metaFile, JSON.stringify({ asOfMs: out.asOfMs, shardCount: out.shardCount }));
  }
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { asOfMs: number; shardCount: number };
  const parts = readdirSync(dir)
    .filter((f) => f.startsWith(`${shard}-transactions-`))
    .sort()
    .map((f) => decodeColumns(readFileSync(join(dir, f))).columns);
  return { parts, ...meta };
}

/** What BuildFeatures computes for a shard. */
function kernel(input: ShardInput) {
  const config = parseConfig({});
  const quota = (n: number) => shardQuota(n, input.shardCount);
  const target = config.propensity.targets[0];
  const clv = {
    asOfMs: input.asOfMs,
    endDay: calibrationEndDay(config.clv.calibrationEnd, input.asOfMs),
    periodDays: config.clv.periodDays,
  };
  const seed = config.segments.seed;
  const windowsDays = config.features.windowsDays;
  const deduplicated = dropDuplicateRows(input.parts);
  const tx = concatTransactions(deduplicated.parts);
  const features = computeFeatures(tx, input.asOfMs, { windowsDays });
  return {
    rows: tx.customerId.length,
    removed: deduplicated.removed,
    features,
    summary: summariseFeatures(features),
    sample: selectSample(features, quota(config.segments.sampleSize), seed),
    clv: computeClvInputs(tx, clv),
    propensity: buildSelfLabelledSample(tx, input.asOfMs, target, quota(config.propensity.sampleSize), seed),
  };
}

function timed(run: () => unknown): { cpu: number; wall: number } {
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  run();
  const cpu = process.cpuUsage(cpu0);
  return { cpu: (cpu.user + cpu.system) / 1e6, wall: Number(process.hrtime.bigint() - wall0) / 1e9 };
}

export async function measureFeatureKernel(
  options: { file?: string; shard?: number; reps?: number } = {},
): Promise<KernelResult> {
  const file = options.file ?? join(process.cwd(), 'test/bench/.data/transactions-1000000.csv');
  const shard = options.shard ?? 0;
  const reps = options.reps ?? 5;
  const input = await shardParts(file, shard);
  const best = { cpu: Infinity, wall: Infinity };
  let rows = 0;
  let customers = 0;
  for (let r = 0; r < reps; r++) {
    let out: ReturnType<typeof kernel> | undefined;
    const t = timed(() => {
      out = kernel(input);
    });
    rows = out?.rows ?? 0;
    customers = out?.features.customerId.length ?? 0;
    best.cpu = Math.min(best.cpu, t.cpu);
    best.wall = Math.min(best.wall, t.wall);
  }
  const side = (b: { cpu: number; wall: number }): KernelSide => ({
    cpuSeconds: b.cpu,
    wallSeconds: b.wall,
    rowsPerCpuSecond: rows / b.cpu,
  });
  return {
    file,
    shard,
    shardCount: input.shardCount,
    rows,
    customers,
    ours: side(best),
  };
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  const { values } = parseArgs({
    options: { file: { type: 'string' }, shard: { type: 'string' }, reps: { type: 'string' } },
  });
  const r = await measureFeatureKernel({
    ...(values.file ? { file: values.file } : {}),
    ...(values.shard ? { shard: Number(values.shard) } : {}),
    ...(values.reps ? { reps: Number(values.reps) } : {}),
  });
  const k = (n: number) => `${Math.round(n / 1000).toLocaleString('en-US')}k`;
  console.log(
    `feature build, shard ${r.shard} of ${r.shardCount} (${r.rows.toLocaleString('en-US')} rows, ${r.customers.toLocaleString('en-US')} customers), best of ${values.reps ?? 5}:`,
  );
  console.log(
    `  ours      ${r.ours.cpuSeconds.toFixed(3)} CPU s  ${r.ours.wallSeconds.toFixed(3)} wall s  ${k(r.ours.rowsPerCpuSecond)} rows/CPU s`,
  );
}
