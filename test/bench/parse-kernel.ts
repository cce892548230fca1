// The parse kernel of Ingest, alone: one range's read from an in-memory buffer (UTF-8 decode, tokenize,
// validate, type, fingerprint, partition) to encoded shard parts, with no store, no network and no disk,
// in rows per CPU second (user + system of this process, so one core's worth of work).
// Run: npx tsx test/bench/parse-kernel.ts [--file test/bench/.data/transactions-1000000.csv] [--runs 3]
// `measureParseKernel` is exported for test/bench/run.ts: it also times the general row path (every field
// a string, one visitor call per row: the design before the span fast path) in the same run, as the
// reference its ratio is against (csv-parse is not a dependency, so no third-party parser is timed).
// Measured 2026-11-22 (2× AMD EPYC, Node 20.20, machine shared with ~5 other jobs, load 10-15), the 1M-row
// file (903,741 rows, 75 MiB, one range), least-CPU of 2 runs: before this path (main at 84aff27, same
// harness) 3.83 CPU s, 236,000 rows/s; now 2.73 CPU s, 331,000 rows/s (general path in the same run
// 3.30 CPU s, ratio 1.21; the general path shares the new part writer). Parts: 89.0 MB before, 62.9 now.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../lib/config/schema.js';
import { ingestRange, planIngest } from '../../lib/ingest/ranges.js';
import { setFastPath } from '../../lib/ingest/stage.js';

export interface KernelRun {
  rows: number;
  wallSeconds: number;
  cpuSeconds: number;
  rowsPerCpuSecond: number;
  parts: number;
  partBytes: number;
}

export interface KernelResult {
  file: string;
  MiB: number;
  machine: string;
  /** best of the runs (least CPU): the span fast path where the input allows it */
  ours: KernelRun;
  /** best of the runs: the general path only (the previous design), the same code otherwise */
  general: KernelRun;
  /** ours.rowsPerCpuSecond / general.rowsPerCpuSecond */
  ratio: number;
}

const MIB = 1024 * 1024;

async function oneRun(bytes: Uint8Array, file: string): Promise<KernelRun> {
  const config = parseConfig({});
  // the whole file as one range, as the local job reads the 1M-row file (75 MiB < 256 MiB)
  const chunks = (): AsyncIterable<Uint8Array> =>
    (async function* () {
      for (let at = 0; at < bytes.length; at += MIB)
        yield bytes.subarray(at, Math.min(bytes.length, at + MIB));
    })();
  const plan = await planIngest(
    [{ file, key: `incoming/bench/${file}`, size: bytes.length, open: async () => chunks() }],
    config,
    {},
  );
  let parts = 0;
  let partBytes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let rows = 0;
  for (const range of plan.ranges) {
    const report = await ingestRange(
      plan,
      range.index,
      async () =>
        (async function* () {
          for (let at = range.start; at < range.end; at += MIB)
            yield bytes.subarray(at, Math.min(range.end, at + MIB));
        })(),
      config,
      async (_shard, _name, _part, part) => {
        parts++;
        partBytes += part.byteLength;
      },
    );
    rows += report.report.rows.read;
  }
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { rows, wallSeconds, cpuSeconds, rowsPerCpuSecond: Math.round(rows / cpuSeconds), parts, partBytes };
}

/** Times the kernel `runs` times each way, alternating, and keeps the least-CPU run of each. */
export async function measureParseKernel(path: string, runs = 3): Promise<KernelResult> {
  const bytes = readFileSync(path);
  const file = path.split('/').pop() ?? 'transactions.csv';
  let ours: KernelRun | null = null;
  let general: KernelRun | null = null;
  const better = (a: KernelRun | null, b: KernelRun): KernelRun =>
    a === null || b.cpuSeconds < a.cpuSeconds ? b : a;
  for (let i = 0; i < runs; i++) {
    setFastPath(true);
    ours = better(ours, await oneRun(bytes, file));
    setFastPath(false);
    general = better(general, await oneRun(bytes, file));
  }
  setFastPath(true);
  return {
    file: path,
    MiB: +(bytes.length / MIB).toFixed(1),
    machine: `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
    ours: ours!,
    general: general!,
    ratio: +(ours!.rowsPerCpuSecond / general!.rowsPerCpuSecond).toFixed(2),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      file: { type: 'string', default: 'test/bench/.data/transactions-1000000.csv' },
      runs: { type: 'string', default: '3' },
    },
  });
  console.log(JSON.stringify(await measureParseKernel(values.file!, Number(values.runs)), null, 2));
}
