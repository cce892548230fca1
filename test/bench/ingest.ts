// Scale benchmark of the Ingest stage: generates a transactions CSV of --gb gigabytes (streaming, with the
// planted-archetype generator), then ingests it from the file in a fresh process, shard parts written to a
// temp dir (--write) or discarded, and prints rows, seconds, rows/s and peak RSS.
// Run: npx tsx test/bench/ingest.ts [--gb 2] [--shards 0] [--write] [--file existing.csv] [--keep]
// Measured 2026-11-22 (2× AMD EPYC, Node 20.20, machine shared with other jobs): 2 GiB, 23,107,047 rows,
// 64 shards: 376 s wall, 190 CPU s, peak RSS 603 MiB; with --max-old-space-size=256 it completes, 355 MiB.
import { spawnSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate, type Order, orderLine, TRANSACTIONS_HEADER } from '../../events/data/generate.js';
import { parseConfig } from '../../lib/config/schema.js';
import { ingestSources } from '../../lib/ingest/stage.js';

const { values } = parseArgs({
  options: {
    gb: { type: 'string', default: '2' },
    shards: { type: 'string', default: '0' },
    write: { type: 'boolean', default: false },
    file: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'measure-only': { type: 'boolean', default: false },
    /** rows buffered over all shards before the fullest is flushed (the stage's default: 1,000,000) */
    budget: { type: 'string' },
  },
});

const MIB = 1024 * 1024;

/** Writes about `bytes` of order lines, in batches of customers with distinct ids, honouring backpressure. */
async function generateCsv(path: string, bytes: number): Promise<{ rows: number; customers: number }> {
  const out = createWriteStream(path);
  const write = (text: string): Promise<void> =>
    new Promise((resolve) => {
      if (out.write(text)) resolve();
      else out.once('drain', () => resolve());
    });
  await write(TRANSACTIONS_HEADER);
  let written = TRANSACTIONS_HEADER.length;
  // one generated block of 20,000 customers, repeated with the batch number in every id and email:
  // the generator's own speed (about 25k rows/s) would otherwise dominate a 2 GB run
  let block = '';
  let blockRows = 0;
  const pending: Order[] = [];
  generate(
    { customers: 20_000, seed: 1_000 },
    (o) => pending.push(o),
    (c) => {
      for (const o of pending.splice(0)) {
        block += orderLine(o, c.email);
        blockRows++;
      }
    },
  );
  let rows = 0;
  let customers = 0;
  for (let batch = 0; written < bytes; batch++) {
    let text = block.replaceAll(',C1', `,B${batch}C1`).replaceAll(',c1', `,b${batch}c1`);
    let textRows = blockRows;
    if (written + text.length > bytes) {
      // trim the last batch so the file lands on the size asked for
      const cut = text.lastIndexOf('\n', bytes - written);
      text = text.slice(0, cut + 1);
      textRows = text.split('\n').length - 1;
    }
    if (text.length === 0) break;
    await write(text);
    written += text.length;
    rows += textRows;
    customers += 20_000;
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return { rows, customers };
}

async function measure(path: string): Promise<void> {
  const size = statSync(path).size;
  const partsDir = values.write ? mkdtempSync(join(tmpdir(), 'ingest-parts-')) : null;
  let partBytes = 0;
  let parts = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const report = await ingestSources(
    [
      {
        file: 'transactions.csv',
        size,
        open: async () => createReadStream(path, { highWaterMark: MIB }),
      },
    ],
    parseConfig({ shards: Number(values.shards) }),
    async (shard, name, part, bytes) => {
      partBytes += bytes.byteLength;
      parts++;
      if (partsDir) {
        const dir = join(partsDir, String(shard));
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `${name}-${String(part).padStart(4, '0')}.bin`), bytes);
      }
    },
    values.budget ? { bufferedRowBudget: Number(values.budget) } : {},
  );
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - started) / 1000;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  if (partsDir && !values.keep) rmSync(partsDir, { recursive: true, force: true });
  const f = report.files[0];
  console.log(
    JSON.stringify(
      {
        machine: `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
        inputMiB: Math.round(size / MIB),
        rows: f.rows,
        rejectedByCode: f.rejectedByCode,
        shards: report.shardCount,
        parts,
        partsMiB: Math.round(partBytes / MIB),
        partsWrittenTo: partsDir ? 'temp dir' : 'discarded',
        seconds: Number(seconds.toFixed(1)),
        // the machine is shared: CPU seconds say what the stage costs when wall time includes waiting
        cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
        rowsPerCpuSecond: Math.round(f.rows.read / ((cpu.user + cpu.system) / 1e6)),
        rowsPerSecond: Math.round(f.rows.read / seconds),
        mibPerSecond: Number((size / MIB / seconds).toFixed(1)),
        peakRssMiB: Math.round(peakRssMiB),
      },
      null,
      2,
    ),
  );
}

if (values['measure-only']) {
  await measure(values.file!);
} else {
  let path = values.file;
  let generated = false;
  if (path === undefined) {
    path = join(mkdtempSync(join(tmpdir(), 'ingest-bench-')), 'transactions.csv');
    const t0 = performance.now();
    const g = await generateCsv(path, Number(values.gb) * 1024 * MIB);
    console.error(
      `generated ${g.rows.toLocaleString('en-US')} rows of ${g.customers.toLocaleString('en-US')} customers, ${Math.round(statSync(path).size / MIB)} MiB in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    generated = true;
  }
  // a fresh process, so the peak RSS is the ingest's alone, not the generator's
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--measure-only', '--file', path];
  if (values.write) args.push('--write');
  if (values.budget) args.push('--budget', values.budget);
  args.push('--shards', values.shards!);
  const child = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (generated && !values.keep) rmSync(path, { force: true });
  process.exitCode = child.status ?? 1;
}
