// What the local CLI and watch mode show and write: stage progress on stderr (one updating line on
// a terminal, one quiet line per stage otherwise), the segments table, and the run's files on disk.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunSummary } from '../../lib/pipeline/summary.js';
import { keys } from '../../lib/storage/keys.js';
import type { LocalEnvironment } from './environment.js';
import type { ProgressEvent } from './progress.js';

export type Painter = (code: string, text: string) => string;

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function painterFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Painter {
  const on = stream.isTTY === true && !env.NO_COLOR;
  return (code, text) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
}

const n = (v: number): string => v.toLocaleString('en-US');

export interface ProgressPrinter {
  onProgress(event: ProgressEvent): void;
  /** stops the ticking line (terminal) and leaves the cursor on a fresh line */
  close(): void;
}

/**
 * Terminal: a single line that names the running stage with its elapsed time and "shards done i/N",
 * replaced by "✓ Stage 1.2 s" when it ends. Not a terminal (CI logs, pipes): only the end lines.
 */
export function createProgressPrinter(
  stream: { write(text: string): unknown; isTTY?: boolean } = process.stderr,
  options: { interactive?: boolean; paint?: Painter; indent?: string } = {},
): ProgressPrinter {
  const interactive = options.interactive ?? stream.isTTY === true;
  const paint = options.paint ?? painterFor(stream);
  const indent = options.indent ?? '  ';
  let current: { state: string; since: number } | undefined;
  const shards = new Map<string, { done: number; total: number }>();
  let rows: Extract<ProgressEvent, { type: 'rows' }> | undefined;
  let ticker: NodeJS.Timeout | undefined;

  const shardText = (state: string): string => {
    const s = shards.get(state);
    // the ingest map's items are byte ranges of the dropped files, the others' shards
    return s ? `${state === 'IngestRanges' ? 'ranges' : 'shards'} done ${s.done}/${s.total}` : '';
  };
  const draw = (): void => {
    if (!interactive || !current) return;
    const secs = Math.floor((Date.now() - current.since) / 1000);
    const extra = [shardText(current.state), secs >= 1 ? `${secs} s` : ''].filter(Boolean).join(' · ');
    stream.write(
      `\r\x1b[K${indent}${paint('2', '…')} ${current.state}${extra ? paint('2', `  ${extra}`) : ''}`,
    );
  };
  const clear = (): void => {
    if (interactive && current) stream.write('\r\x1b[K');
  };

  return {
    onProgress(e) {
      if (e.type === 'state-started') {
        clear();
        current = { state: e.state, since: Date.now() };
        draw();
        if (interactive && !ticker) {
          ticker = setInterval(draw, 1000);
          ticker.unref();
        }
      } else if (e.type === 'shard-finished') {
        shards.set(e.state, { done: e.done, total: e.total });
        draw();
      } else if (e.type === 'rows') {
        rows = e;
      } else if (e.type === 'state-finished') {
        clear();
        if (current?.state === e.state) current = undefined;
        // Succeed/Fail/Pass states are bookkeeping, not work a marketer waits for
        if (e.stateType === 'Succeed' || e.stateType === 'Fail' || e.stateType === 'Pass') return;
        const details = [
          shardText(e.state),
          rows ? `rows read ${n(rows.read)}, accepted ${n(rows.accepted)}, rejected ${n(rows.rejected)}` : '',
        ].filter(Boolean);
        rows = undefined;
        stream.write(
          `${indent}${paint('32', '✓')} ${e.state.padEnd(14)} ${paint('2', `${(e.ms / 1000).toFixed(1).padStart(5)} s`)}${details.length ? `  ${details.join(' · ')}` : ''}\n`,
        );
      } else if (e.type === 'state-failed') {
        clear();
        if (current?.state === e.state) current = undefined;
        stream.write(`${indent}${paint('31', '✗')} ${e.state}${e.error ? paint('2', `  ${e.error}`) : ''}\n`);
      }
    },
    close() {
      if (ticker) clearInterval(ticker);
      ticker = undefined;
      clear();
      current = undefined;
    },
  };
}

/** The segments table a marketer reads first. */
export function formatTable(summary: RunSummary, paint: Painter = (_c, t) => t): string {
  const rows = summary.segments.map((s) => [
    s.name,
    n(s.size),
    `${(s.share * 100).toFixed(1)} %`,
    s.status === 'published' ? '' : 'not published',
    s.description,
  ]);
  const header = ['Segment', 'Customers', 'Share', 'Status', 'Description'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 4 ? 0 : r[i].length))));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 4 ? c : i === 1 || i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ');
  const out = [
    `${summary.dataset}: ${n(summary.customers)} customers, as of ${summary.asOf?.slice(0, 10)}; rows read ${n(summary.rows.read)}, accepted ${n(summary.rows.accepted)}, rejected ${n(summary.rows.rejected)}`,
    '',
    paint('1', line(header)),
    ...rows.map(line),
    '',
    summary.models.clusters.choice.reason,
  ];
  return out.join('\n');
}

/** Copies the run's outputs from the bucket to `outDir`; returns name → local path. */
export async function writeOutputs(
  env: LocalEnvironment,
  summary: RunSummary,
  outDir: string,
): Promise<Record<string, string>> {
  mkdirSync(outDir, { recursive: true });
  const files: Record<string, [string, string]> = {
    report: [summary.outputs.report, 'report.html'],
    runJson: [summary.outputs.runJson, 'run.json'],
    segmentsCsv: [summary.outputs.segmentsCsv, 'segments.csv'],
    membershipsCsv: [summary.outputs.membershipsCsv, 'memberships.csv'],
    featureDictionary: [summary.outputs.featureDictionary, 'feature-dictionary.json'],
  };
  for (const a of summary.audiences)
    files[`audience:${a.destination}/${a.segment}`] = [
      a.key,
      join('audiences', a.destination, `${a.segment}.csv`),
    ];
  const local: Record<string, string> = {};
  for (const [name, [key, file]] of Object.entries(files)) {
    if (!key) continue;
    const target = join(outDir, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, await env.store.get(key));
    local[name] = target;
  }
  return local;
}

/**
 * Copies this run's error reports (per-file reports and the run's own run.errors.json) from
 * rejected/<dataset>/ to `dir`; returns how many were written.
 */
export async function writeErrorReports(
  env: LocalEnvironment,
  dataset: string,
  runId: string,
  dir: string,
): Promise<number> {
  const prefix = keys.rejectedPrefix(dataset);
  const reports = (await env.store.list(prefix)).filter((o) => {
    const rel = o.key.slice(prefix.length);
    // per-file reports sit beside the runs' folders; another run's folder is not this run's
    return rel.endsWith('.errors.json') && (rel.startsWith(`${runId}/`) || !/^r[0-9a-f]{16}\//.test(rel));
  });
  for (const r of reports) {
    const target = join(dir, r.key.slice(prefix.length));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, await env.store.get(r.key));
  }
  return reports.length;
}

/** Input problems the marketer can fix (exit 1) versus failures of the product itself (exit 3). */
export function isInputProblem(error: { name: string }): boolean {
  return /InputRejected|InputFile|Config|NotEnoughCustomers|InvalidEvent|UnusableKey/.test(error.name);
}
