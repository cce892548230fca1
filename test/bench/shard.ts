// `npx tsx test/bench/shard.ts [--customers N] [--shards S]`: per-shard throughput of the pipeline's
// stages, the inputs of docs/scale.md. Generates N customers (~11.6 order lines each; by default one
// shard of the derived size, ~32 MiB of input), then runs each stage in its own process (so each peak
// RSS is that stage's, as in its own Lambda): Ingest, BuildFeatures and Score of shard 0, Fit,
// Validate, and PublishMemberships into the local DynamoDB stand-in. The run's files live on local
// disk (test/bench/.data/), so times are compute plus local file I/O; S3 transfer is estimated in the doc.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSample } from '../../events/data/generate.js';
import { startLocalEnvironment } from '../../infra/local/environment.js';
import { shardCountFor } from '../../lib/ingest/stage.js';
import { buildFeatures } from '../../lib/pipeline/features.js';
import { fitModels } from '../../lib/pipeline/fit.js';
import { ingest } from '../../lib/pipeline/ingest.js';
import { finishMemberships, publishMembershipShard } from '../../lib/pipeline/publish.js';
import { score } from '../../lib/pipeline/score.js';
import type { RunInput } from '../../lib/pipeline/types.js';
import { validate } from '../../lib/pipeline/validate.js';
import { createDocumentClient } from '../../lib/storage/clients.js';
import { DynamoSegmentStore } from '../../lib/storage/segment-store.js';
import { DiskBlobStore } from './disk-store.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '31000' },
    shards: { type: 'string', default: '1' },
    stage: { type: 'string' },
    'no-dynamo': { type: 'boolean', default: false },
  },
});
const customers = Number(values.customers);
const shards = Number(values.shards);
const MiB = 2 ** 20;
const root = join(process.cwd(), 'test/bench/.data', `shard-${customers}`);
const inputDir = join(root, 'input');
const storeDir = join(root, `store-${shards}`);

const run: RunInput = { dataset: 'bench', runId: 'r-bench', objects: [] };
const ref = { dataset: run.dataset, runId: run.runId, shardCount: shards };
const shard0 = (asOfMs: number) => ({ ...run, shard: { index: 0 }, asOfMs });
const peakRss = () => process.resourceUsage().maxRSS / 1024;

interface Measure {
  stage: string;
  seconds: number;
  peakMiB: number;
  count?: number;
  unit?: string;
  perSecond?: number;
}

/** One stage in this process: its wall time and the process's peak RSS. */
async function child(stage: string): Promise<void> {
  const store = new DiskBlobStore(storeDir);
  const asOfMs = () =>
    (JSON.parse(readFileSync(join(storeDir, 'asof.json'), 'utf8')) as { asOfMs: number }).asOfMs;
  const t0 = process.hrtime.bigint();
  let count: number | undefined;
  let unit: string | undefined;
  if (stage === 'Ingest') {
    const objects = ['transactions.csv', 'customers.csv'].map((f) => ({
      key: `incoming/bench/${f}`,
      size: statSync(join(storeDir, 'incoming/bench', f)).size,
    }));
    const out = await ingest(store, { ...run, objects });
    writeFileSync(join(storeDir, 'asof.json'), JSON.stringify({ asOfMs: out.asOfMs }));
    count = out.rows.read;
    unit = 'rows';
  } else if (stage === 'BuildFeatures') {
    const t = asOfMs();
    // the other shards first, untimed: Fit needs every shard's outputs
    for (let i = 1; i < shards; i++) await buildFeatures(store, { ...run, shard: { index: i }, asOfMs: t });
    const s0 = process.hrtime.bigint();
    await buildFeatures(store, shard0(t));
    const seconds = Number(process.hrtime.bigint() - s0) / 1e9;
    return report({
      stage,
      seconds,
      peakMiB: peakRss(),
      count: Math.round(customers / shards),
      unit: 'customers',
    });
  } else if (stage === 'Fit') {
    const out = await fitModels(store, ref);
    count = Number((out as { customers?: number }).customers ?? customers);
    unit = 'customers';
  } else if (stage === 'Score') {
    const t = asOfMs();
    for (let i = 1; i < shards; i++) await score(store, { ...run, shard: { index: i }, asOfMs: t });
    const s0 = process.hrtime.bigint();
    await score(store, shard0(t));
    const seconds = Number(process.hrtime.bigint() - s0) / 1e9;
    return report({
      stage,
      seconds,
      peakMiB: peakRss(),
      count: Math.round(customers / shards),
      unit: 'customers',
    });
  } else if (stage === 'Validate') {
    await validate(store, ref);
  } else if (stage === 'PublishMemberships') {
    const env = await startLocalEnvironment();
    const segments = new DynamoSegmentStore(createDocumentClient(), {
      catalog: process.env.CATALOG_TABLE!,
      memberships: process.env.MEMBERSHIPS_TABLE!,
      runs: process.env.RUNS_TABLE!,
    });
    // one shard worker as in its own Lambda (shard 0, the others first so the finish can run), then
    // the finish, which reads the shards' counts and publishes their state
    for (let i = 1; i < shards; i++)
      await publishMembershipShard(store, segments, { ...ref, shard: { index: i } });
    const s0 = process.hrtime.bigint();
    const out = await publishMembershipShard(store, segments, { ...ref, shard: { index: 0 } });
    const seconds = Number(process.hrtime.bigint() - s0) / 1e9;
    const peakMiB = peakRss();
    const f0 = process.hrtime.bigint();
    await finishMemberships(store, segments, ref);
    const finishSeconds = Number(process.hrtime.bigint() - f0) / 1e9;
    await env.stop();
    process.stderr.write(`  FinishMemberships: ${finishSeconds.toFixed(2)} s\n`);
    return report({ stage, seconds, peakMiB, count: out.written, unit: 'items' });
  } else if (stage !== 'Idle') throw new Error(`unknown stage ${stage}`);
  report({ stage, seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakMiB: peakRss(), count, unit });
}

function report(m: Measure): void {
  if (m.count !== undefined) m.perSecond = m.count / m.seconds;
  console.log(JSON.stringify(m));
}

async function parent(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  process.stderr.write(
    `shard bench: ${customers.toLocaleString('en-US')} customers, ${shards} shard(s); ${os.cpus().length}× ${cpu}, Node ${process.version}\n`,
  );
  if (!existsSync(join(inputDir, 'transactions.csv'))) {
    await writeSample(inputDir, join(root, 'labels.csv'), { customers, seed: 11 });
  }
  rmSync(storeDir, { recursive: true, force: true });
  const store = new DiskBlobStore(storeDir);
  let inputBytes = 0;
  for (const f of ['transactions.csv', 'customers.csv']) {
    const bytes = readFileSync(join(inputDir, f));
    inputBytes += bytes.length;
    await store.put(`incoming/bench/${f}`, bytes);
  }
  await store.put('config/bench.json', JSON.stringify({ shards }));
  const rows = readFileSync(join(inputDir, 'transactions.csv'), 'utf8').split('\n').length - 2;
  process.stderr.write(
    `  input: ${rows.toLocaleString('en-US')} order lines (${(rows / customers).toFixed(2)} per customer), ` +
      `${(inputBytes / MiB).toFixed(1)} MiB (${(inputBytes / customers).toFixed(0)} B per customer); ` +
      `derived shard count for this size: ${shardCountFor(inputBytes, 0)}\n`,
  );
  const stages = ['Idle', 'Ingest', 'BuildFeatures', 'Fit', 'Score', 'Validate'];
  if (!values['no-dynamo']) stages.push('PublishMemberships');
  const measures: Measure[] = [];
  for (const stage of stages) {
    const r = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        process.argv[1],
        '--stage',
        stage,
        '--customers',
        String(customers),
        '--shards',
        String(shards),
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' },
      },
    );
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{'))
      throw new Error(`${stage} failed (exit ${r.status}): ${r.stdout}`);
    const m = JSON.parse(line) as Measure;
    measures.push(m);
    process.stderr.write(
      `  ${m.stage.padEnd(20)} ${m.seconds.toFixed(2).padStart(7)} s  peak RSS ${m.peakMiB.toFixed(0).padStart(5)} MiB` +
        (m.perSecond ? `  ${Math.round(m.perSecond).toLocaleString('en-US')} ${m.unit}/s` : '') +
        '\n',
    );
  }
  let shardBytes = 0;
  let fitInputBytes = 0;
  for (const o of await store.list('runs/bench/r-bench/shards/00000/')) {
    shardBytes += o.size;
    if (!/\/(transactions|identities|customers|features|scores)[^/]*\.bin$/.test(o.key))
      fitInputBytes += o.size;
  }
  process.stderr.write(
    `  shard 0 files: ${(shardBytes / MiB).toFixed(1)} MiB in total; of which read by Fit: ${(fitInputBytes / 1024).toFixed(0)} KiB\n`,
  );
  console.log(
    JSON.stringify(
      {
        customers,
        shards,
        rows,
        inputBytes,
        shardBytes,
        fitInputBytes,
        cpu,
        node: process.version,
        measures,
      },
      null,
      2,
    ),
  );
}

if (values.stage) await child(values.stage);
else await parent();
