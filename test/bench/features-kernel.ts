// `npx tsx test/bench/features-kernel.ts [--file CSV] [--shard K] [--reps N]`: BuildFeatures' computation
// on one shard's decoded rows, in memory (no S3, no encoding): duplicate check, concatenation, features
// at as-of, their statistics, the fitting sample, CLV inputs and the self-labelled propensity sample.
// Times the current code and the previous one (test/bench/previous/, verbatim) alternately in one run
// and prints rows per CPU second of each and their ratio, after checking both give the same outputs.
// The shard's parts come from an in-memory Ingest of the file, cached under test/bench/.data/.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../lib/config/schema.js';
import {
  computeFeatures,
  concatTransactions,
  selectSample,
  summariseFeatures,
} from '../../lib/features/build.js';
import { calibrationEndDay, computeClvInputs } from '../../lib/features/clv-inputs.js';
import { shardQuota } from '../../lib/features/sampling.js';
import { dropDuplicateRows } from '../../lib/ingest/duplicates.js';
import { buildSelfLabelledSample } from '../../lib/models/propensity.js';
import { ingest } from '../../lib/pipeline/ingest.js';
import { MemoryBlobStore } from '../../lib/storage/blob.js';
import { type Columns, decodeColumns } from '../../lib/storage/columnar.js';
import { keys } from '../../lib/storage/keys.js';
import * as previousBuild from './previous/build.js';
import * as previousClv from './previous/clv-inputs.js';
import * as previousDuplicates from './previous/duplicates.js';
import * as previousPropensity from './previous/propensity.js';

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
  previous: KernelSide;
  /** previous CPU seconds ÷ ours (higher is better) */
  speedup: number;
  identical: boolean;
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

/** What BuildFeatures computes for a shard, by the given implementation. */
function kernel(input: ShardInput, impl: 'ours' | 'previous') {
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
  if (impl === 'ours') {
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
      propensity: buildSelfLabelledSample(
        tx,
        input.asOfMs,
        target,
        quota(config.propensity.sampleSize),
        seed,
      ),
    };
  }
  const deduplicated = previousDuplicates.dropDuplicateRows(input.parts);
  const tx = previousBuild.concatTransactions(deduplicated.parts);
  const features = previousBuild.computeFeatures(tx, input.asOfMs, { windowsDays });
  return {
    rows: tx.customerId.length,
    removed: deduplicated.removed,
    features,
    summary: previousBuild.summariseFeatures(features),
    sample: previousBuild.selectSample(features, quota(config.segments.sampleSize), seed),
    clv: previousClv.computeClvInputs(tx, clv),
    propensity: previousPropensity.buildSelfLabelledSample(
      tx,
      input.asOfMs,
      target,
      quota(config.propensity.sampleSize),
      seed,
    ),
  };
}

/** Bit-exact comparison (NaN equal to NaN) of two results, through a canonical JSON of every number. */
function fingerprint(result: ReturnType<typeof kernel>): string {
  return JSON.stringify(result, (_, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView))
      return Array.from(v as unknown as ArrayLike<number>, (x) => (Object.is(x, -0) ? '-0' : String(x)));
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return v;
  });
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
  const identical = fingerprint(kernel(input, 'ours')) === fingerprint(kernel(input, 'previous'));
  const best = { ours: { cpu: Infinity, wall: Infinity }, previous: { cpu: Infinity, wall: Infinity } };
  let rows = 0;
  let customers = 0;
  for (let r = 0; r < reps; r++) {
    // alternate, so both see the same machine load
    for (const impl of r % 2 ? (['previous', 'ours'] as const) : (['ours', 'previous'] as const)) {
      let out: ReturnType<typeof kernel> | undefined;
      const t = timed(() => {
        out = kernel(input, impl);
      });
      rows = out?.rows ?? 0;
      customers = out?.features.customerId.length ?? 0;
      best[impl].cpu = Math.min(best[impl].cpu, t.cpu);
      best[impl].wall = Math.min(best[impl].wall, t.wall);
    }
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
    ours: side(best.ours),
    previous: side(best.previous),
    speedup: best.previous.cpu / best.ours.cpu,
    identical,
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
  console.log(
    `  previous  ${r.previous.cpuSeconds.toFixed(3)} CPU s  ${r.previous.wallSeconds.toFixed(3)} wall s  ${k(r.previous.rowsPerCpuSecond)} rows/CPU s`,
  );
  console.log(`  speed-up  ${r.speedup.toFixed(2)}×   outputs identical: ${r.identical ? 'yes' : 'NO'}`);
  if (!r.identical) process.exitCode = 1;
}
