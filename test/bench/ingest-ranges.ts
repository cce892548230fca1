// Benchmark of Ingest over byte ranges: builds a transactions CSV of --mb MiB from the sample export (ids
// suffixed per copy, so customers stay distinct), then times the plan (head read + quote-aware split
// scan) and one range worker of --range MiB (validate + partition, parts discarded), in this process.
// Run: npx tsx test/bench/ingest-ranges.ts [--mb 512] [--range 128] [--shards 16] [--keep]
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../lib/config/schema.js';
import { ingestRange, planIngest } from '../../lib/ingest/ranges.js';
import { scanSplitPoints } from '../../lib/ingest/split.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '512' },
    range: { type: 'string', default: '128' },
    shards: { type: 'string', default: '16' },
    keep: { type: 'boolean', default: false },
  },
});
const MIB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'ingest-ranges-'));
const path = join(dir, 'transactions.csv');

async function generate(bytes: number): Promise<void> {
  const sample = readFileSync('events/data/sample/transactions.csv', 'utf8').trimEnd().split('\n');
  const [header, ...rows] = sample;
  const out = createWriteStream(path);
  const write = (text: string) =>
    new Promise<void>((resolve) => (out.write(text) ? resolve() : out.once('drain', () => resolve())));
  await write(`${header}\n`);
  let written = header.length + 1;
  for (let copy = 0; written < bytes; copy++) {
    // every copy renames its customers and orders (C100000 → C100000x7): distinct customers, same shape
    const block = `${rows.map((r) => r.replace(/^#(\d+),C(\d+),c(\d+)@/, `#$1x${copy},C$2x${copy},c$3x${copy}@`)).join('\n')}\n`;
    await write(block);
    written += Buffer.byteLength(block);
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

async function main(): Promise<void> {
  const bytes = Number(values.mb) * MIB;
  await generate(bytes);
  const size = statSync(path).size;
  const config = parseConfig({ shards: Number(values.shards), asOf: '2026-11-01T00:00:00Z' });
  const open = async () => createReadStream(path, { highWaterMark: 1 << 20 });

  // the split scan alone (what the plan adds per byte of input)
  let t0 = process.hrtime.bigint();
  const scan = await scanSplitPoints(await open(), {
    format: 'delimited',
    delimiter: 44,
    rangeBytes: Number(values.range) * MIB,
    firstCutAt: 65_536,
    validateUtf8: true,
  });
  const scanS = seconds(t0);

  t0 = process.hrtime.bigint();
  const plan = await planIngest(
    [{ file: 'transactions.csv', key: 'incoming/bench/transactions.csv', size, open }],
    config,
    { rangeBytes: Number(values.range) * MIB },
  );
  const planS = seconds(t0);

  // one full range (the second: a mid-file one, as most are), parts encoded then discarded
  const range = plan.ranges[Math.min(1, plan.ranges.length - 1)];
  const rss0 = process.memoryUsage().rss;
  t0 = process.hrtime.bigint();
  const report = await ingestRange(
    plan,
    range.index,
    async () => createReadStream(path, { highWaterMark: 1 << 20, start: range.start, end: range.end - 1 }),
    config,
    async () => {},
  );
  const rangeS = seconds(t0);
  const mb = (range.end - range.start) / MIB;
  console.log(
    JSON.stringify(
      {
        machine: `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
        fileMiB: +(size / MIB).toFixed(1),
        ranges: plan.ranges.length,
        scan: {
          seconds: +scanS.toFixed(2),
          MiBPerSecond: +(size / MIB / scanS).toFixed(0),
          ranges: scan.ranges.length,
        },
        plan: { seconds: +planS.toFixed(2) },
        range: {
          MiB: +mb.toFixed(1),
          rows: report.report.rows.read,
          seconds: +rangeS.toFixed(1),
          rowsPerSecond: Math.round(report.report.rows.read / rangeS),
          MiBPerSecond: +(mb / rangeS).toFixed(1),
          peakRssMiB: Math.round(Math.max(rss0, process.resourceUsage().maxRSS * 1024) / MIB),
        },
      },
      null,
      2,
    ),
  );
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}

await main();
