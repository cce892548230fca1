// `npm run bench [-- --rows N]`: the local main job against a pandas + scikit-learn reference on the
// same generated file, side by side in one run; plus Lambda bundle sizes and cold-start import times.
// `--rows N1,N2,…` or `--curve` (0.5M, 1M, 5M, 10M) adds the scaling curve: time per row at each size.
// Not part of `npm test`. The last line is `end-to-end ratio (ours/reference): <number>` (largest size).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { generate, orderLine, TRANSACTIONS_HEADER } from '../../events/data/generate.js';
import { measureFeatureKernel } from './features-kernel.js';
import { benchKMeans } from './kmeans.js';
import { measureParseKernel } from './parse-kernel.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '5000000' },
    curve: { type: 'boolean', default: false },
    k: { type: 'string', default: '5' },
    'no-reference': { type: 'boolean', default: false },
    'no-bundles': { type: 'boolean', default: false },
    'no-kmeans': { type: 'boolean', default: false },
    'no-kernels': { type: 'boolean', default: false },
  },
});
const CURVE = [500_000, 1_000_000, 5_000_000, 10_000_000];
const sizes = values.curve ? CURVE : values.rows.split(',').map((r) => Number(r.trim()));
if (!sizes.length || sizes.some((r) => !Number.isInteger(r) || r <= 0)) {
  console.error(`--rows takes whole numbers separated by commas, got "${values.rows}"`);
  process.exit(2);
}
sizes.sort((a, b) => a - b);
const k = Number(values.k);
const root = process.cwd();
const dataDir = join(root, 'test/bench/.data');
mkdirSync(dataDir, { recursive: true });

/** ~12.8 order lines per generated customer on the default archetype mix. Written synchronously. */
function ensureData(rows: number): string {
  const file = join(dataDir, `transactions-${rows}.csv`);
  if (existsSync(file)) return file;
  process.stderr.write(`generating ~${rows.toLocaleString('en-US')} rows → ${file}\n`);
  const fd = openSync(`${file}.tmp`, 'w');
  writeSync(fd, TRANSACTIONS_HEADER);
  let buffer = '';
  let pending: Parameters<typeof orderLine>[0][] = [];
  generate(
    { customers: Math.ceil(rows / 12.8), seed: 11 },
    (o) => pending.push(o),
    (c) => {
      for (const o of pending) buffer += orderLine(o, c.email);
      pending = [];
      if (buffer.length > 1 << 22) {
        writeSync(fd, buffer);
        buffer = '';
      }
    },
  );
  writeSync(fd, buffer);
  closeSync(fd);
  renameSync(`${file}.tmp`, file);
  return file;
}

interface Measured {
  stages: Record<string, number>;
  total: number;
  /** user + system CPU seconds: on a shared machine, the part of the time that load does not inflate */
  cpuSeconds: number;
  peakRssMb: number;
  inertia?: number;
  customers?: number;
}

function timeV(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const t0 = performance.now();
  const res = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = (performance.now() - t0) / 1000;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(res.stderr)?.[1];
  if (res.status !== 0) throw new Error(`${cmd} failed (${res.status}):\n${res.stderr.slice(-3000)}`);
  return {
    seconds,
    stdout: res.stdout,
    stderr: res.stderr,
    peakRssMb: rss ? Number(rss) / 1024 : Number.NaN,
    cpuSeconds:
      Number(/User time \(seconds\): ([\d.]+)/.exec(res.stderr)?.[1] ?? Number.NaN) +
      Number(/System time \(seconds\): ([\d.]+)/.exec(res.stderr)?.[1] ?? Number.NaN),
  };
}

function runOurs(file: string): Measured {
  const out = mkdtempSync(join(os.tmpdir(), 'bench-ours-'));
  const config = join(out, 'config.json');
  writeFileSync(config, JSON.stringify({ segments: { kMin: k, kMax: k, nInit: 4 } }));
  const res = timeV(process.execPath, [
    '--import',
    'tsx',
    'infra/local/cli.ts',
    file,
    '--dataset',
    'bench',
    '--out',
    out,
    '--config',
    config,
    '--json',
  ]);
  const stages: Record<string, number> = {};
  for (const m of res.stderr.matchAll(/✓ (\w+)\s+([\d.]+) s/g)) stages[m[1]] = Number(m[2]);
  const [header, ...memberships] = readFileSync(join(out, 'memberships.csv'), 'utf8')
    .split('\n')
    .filter(Boolean);
  // the distance column holds each customer's squared distance to its centroid: their sum is the inertia
  const distanceAt = header.split(',').indexOf('distance');
  let inertia = 0;
  for (const line of memberships) inertia += Number(line.split(',')[distanceAt]);
  rmSync(out, { recursive: true, force: true });
  return {
    stages: {
      // Ingest plans, IngestRanges reads every row, MergeIngest adds the range reports up
      parse: (stages.Ingest ?? Number.NaN) + (stages.IngestRanges ?? 0) + (stages.MergeIngest ?? 0),
      features: stages.BuildFeatures ?? Number.NaN,
      fit: stages.Fit ?? Number.NaN,
      score: stages.Score ?? Number.NaN,
      publish: (stages.Validate ?? 0) + (stages.Publish ?? 0) + (stages.Report ?? 0),
    },
    total: res.seconds,
    cpuSeconds: res.cpuSeconds,
    peakRssMb: res.peakRssMb,
    inertia,
    customers: memberships.length,
  };
}

function ensurePython(): boolean {
  const ok = () =>
    spawnSync('/usr/bin/python3', ['-c', 'import pandas, sklearn'], { stdio: 'ignore' }).status === 0;
  if (ok()) return true;
  process.stderr.write('installing python3-pandas and python3-sklearn (Debian) for the reference…\n');
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
  spawnSync('apt-get', ['install', '-y', '-qq', 'python3-pandas', 'python3-sklearn'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return ok();
}

function runReference(file: string): Measured {
  const out = join(mkdtempSync(join(os.tmpdir(), 'bench-ref-')), 'memberships.csv');
  const res = timeV('/usr/bin/python3', ['test/bench/reference.py', file, out, String(k)]);
  const r = JSON.parse(res.stdout.trim().split('\n').pop()!) as Record<string, number>;
  return {
    stages: { parse: r.parse, features: r.features, fit: r.fit, score: r.score, publish: r.publish },
    total: res.seconds,
    cpuSeconds: res.cpuSeconds,
    peakRssMb: res.peakRssMb,
    inertia: r.inertia,
    customers: r.customers,
  };
}

async function bundles(): Promise<{ name: string; zippedKb: number; importMs: number }[]> {
  // inside the repo so the external AWS SDK resolves from node_modules, as the Lambda runtime provides it
  const dir = join(root, 'test/bench/.results/bundles');
  const rows: { name: string; zippedKb: number; importMs: number }[] = [];
  for (const name of readdirSync('functions').filter((f) => existsSync(join('functions', f, 'handler.ts')))) {
    const outfile = join(dir, name, 'index.mjs');
    await build({
      entryPoints: [join('functions', name, 'handler.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      minify: true,
      outfile,
      external: ['@aws-sdk/*'],
      mainFields: ['module', 'main'],
      banner: {
        js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);",
      },
      logLevel: 'silent',
    });
    const zipped = gzipSync(readFileSync(outfile)).length;
    const env = {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      BUCKET_NAME: 'b',
      CATALOG_TABLE: 't',
      MEMBERSHIPS_TABLE: 't',
      RUNS_TABLE: 't',
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:x',
      SETTLE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/settle',
      SETTLE_SECONDS: '60',
      AWS_REGION: 'us-east-1',
    };
    const importMs = Number(
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const t=performance.now(); await import(${JSON.stringify(outfile)}); console.log(performance.now()-t)`,
        ],
        { env, cwd: root, encoding: 'utf8' },
      ).trim(),
    );
    rows.push({ name, zippedKb: zipped / 1024, importMs });
  }
  rmSync(dir, { recursive: true, force: true });
  return rows;
}

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
const countRows = (f: string): number => readFileSync(f).reduce((n, b) => n + (b === 10 ? 1 : 0), 0) - 1;
console.log(
  `machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
);
const withReference = !values['no-reference'] && ensurePython();

interface Point {
  target: number;
  rows: number;
  ours: Measured;
  ref: Measured | null;
}
const points: Point[] = [];
for (const target of sizes) {
  const file = ensureData(target);
  const rows = countRows(file);
  console.log(
    `data: ${file} (${rows.toLocaleString('en-US')} rows, ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB), k=${k}`,
  );
  points.push({ target, rows, ours: runOurs(file), ref: withReference ? runReference(file) : null });
}
const { rows, ours, ref } = points[points.length - 1];
console.log(
  `reproduce: npm run bench -- ${values.curve ? '--curve' : `--rows ${sizes.join(',')}`}${withReference ? '' : ' --no-reference'}\n`,
);
if (points.length > 1) console.log(`stages at ${rows.toLocaleString('en-US')} rows:`);
console.log('stage      ours (s)   reference (s)   ratio ours/ref');
for (const stage of ['parse', 'features', 'fit', 'score', 'publish'] as const) {
  const a = ours.stages[stage];
  const b = ref?.stages[stage] ?? Number.NaN;
  console.log(
    `${stage.padEnd(10)} ${fmt(a).padStart(8)}   ${fmt(b).padStart(13)}   ${fmt(a / b).padStart(14)}`,
  );
}
console.log(
  `${'end-to-end'.padEnd(10)} ${fmt(ours.total).padStart(8)}   ${fmt(ref?.total ?? Number.NaN).padStart(13)}   ${fmt(ours.total / (ref?.total ?? Number.NaN)).padStart(14)}`,
);
console.log(
  `CPU time   ${fmt(ours.cpuSeconds).padStart(8)}   ${fmt(ref?.cpuSeconds ?? Number.NaN).padStart(13)}   ${fmt(ours.cpuSeconds / (ref?.cpuSeconds ?? Number.NaN)).padStart(14)}   (user + system: less swayed than wall time by other load on the machine)`,
);
console.log(
  `peak RSS   ${fmt(ours.peakRssMb, 0).padStart(6)} MB   ${fmt(ref?.peakRssMb ?? Number.NaN, 0).padStart(10)} MB   ${fmt(ours.peakRssMb / (ref?.peakRssMb ?? Number.NaN)).padStart(14)}`,
);
const jobRate = rows / (ours.stages.parse + ours.stages.features);
console.log(
  `parse + features through the job: ${fmt(jobRate / 1e3, 0)}k rows/s wall (${fmt(jobRate / 1e3 / os.cpus().length, 0)}k per core; the stages include the local S3 stand-in's reads and writes)`,
);
if (ref?.inertia !== undefined && ours.inertia !== undefined) {
  console.log(
    `k-means inertia over all ${ours.customers} customers: ours ${fmt(ours.inertia, 1)}, reference ${fmt(ref.inertia, 1)} (difference ${fmt((100 * (ours.inertia - ref.inertia)) / ref.inertia)} %, ${Math.abs(ours.inertia - ref.inertia) <= 0.005 * ref.inertia ? 'within' : 'NOT within'} the 0.5 % the two must agree to)`,
  );
}
if (points.length > 1) {
  // linear growth shows as a per-row time that stays near 1× the smallest size's (fixed start-up
  // costs make small sizes look slower per row, so the ratio may fall below 1 as sizes grow)
  const base = points[0];
  const perRow = (p: Point, m: Measured | null) => (m ? m.total / p.rows : Number.NaN);
  console.log('\nscaling curve (end to end; per-row time relative to the smallest size):');
  console.log(
    '      rows   ours (s)   rows/s   per-row ×   reference (s)   per-row ×   ratio ours/ref   ours RSS (MB)   ours CPU (s)',
  );
  for (const p of points) {
    console.log(
      `${p.rows.toLocaleString('en-US').padStart(10)} ${fmt(p.ours.total).padStart(10)} ${fmt(p.rows / p.ours.total, 0).padStart(8)} ${fmt(perRow(p, p.ours) / perRow(base, base.ours)).padStart(11)} ${fmt(p.ref?.total ?? Number.NaN).padStart(15)} ${fmt(perRow(p, p.ref) / perRow(base, base.ref)).padStart(11)} ${fmt(p.ours.total / (p.ref?.total ?? Number.NaN), 3).padStart(16)} ${fmt(p.ours.peakRssMb, 0).padStart(15)} ${fmt(p.ours.cpuSeconds).padStart(14)}`,
    );
  }
}
if (!values['no-kernels']) {
  // the two kernels alone, in rows per CPU second (one core's work): parse = one range from an in-memory
  // buffer to encoded shard parts, against the general row path in the same run; features = one shard's
  // decoded parts to its features, samples and CLV inputs (its outputs are pinned by a golden test)
  const file = ensureData(sizes[sizes.length - 1]);
  const parse = await measureParseKernel(file, 2);
  const features = await measureFeatureKernel({ file, reps: 3 });
  const both = 1 / (1 / parse.ours.rowsPerCpuSecond + 1 / features.ours.rowsPerCpuSecond);
  console.log('\nkernels, rows per CPU second (one core), ours against the previous design in this run:');
  console.log(
    `  parse     ${fmt(parse.ours.rowsPerCpuSecond / 1e3, 0).padStart(6)}k   previous (general row path) ${fmt(parse.general.rowsPerCpuSecond / 1e3, 0)}k   ×${fmt(parse.ratio)}`,
  );
  console.log(
    `  features  ${fmt(features.ours.rowsPerCpuSecond / 1e3, 0).padStart(6)}k   (shard ${features.shard} of ${features.shardCount}, ${features.rows.toLocaleString('en-US')} rows)`,
  );
  console.log(
    `  parse + features: ${fmt(both / 1e3, 0)}k rows/s per core (target 2,000k: ${both >= 2e6 ? 'met' : 'not met'})`,
  );
}
if (!values['no-bundles']) {
  console.log('\nLambda bundles (esbuild, minified ESM, AWS SDK external):');
  for (const b of await bundles())
    console.log(
      `  ${b.name.padEnd(22)} ${fmt(b.zippedKb, 0).padStart(6)} KiB gzipped   import ${fmt(b.importMs, 0)} ms`,
    );
}
if (!values['no-kmeans']) {
  // the fit alone on 1M×12, k=5, same k-means++ start for all (details: npx tsx test/bench/kmeans.ts)
  const km = await benchKMeans({ n: 1_000_000, d: 12, k: 5 });
  console.log('\nk-means fit, 1,000,000×12, k=5, same initial centroids (ratio = ours / this):');
  for (const r of km.rows) {
    console.log(
      `  ${r.impl.padEnd(40)} ${fmt(r.seconds, 3).padStart(8)} s   inertia ${fmt(r.inertia, 1).padStart(14)}   ratio ${fmt(r.ratio, 3)}`,
    );
  }
}
console.log(`\nend-to-end ratio (ours/reference): ${fmt(ours.total / (ref?.total ?? Number.NaN), 3)}`);
