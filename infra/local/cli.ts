// `npm run segment -- <file or folder…> [--config f] [--out dir] [--json]`: the whole pipeline on
// a laptop. Progress goes to stderr; --json prints only the run summary on stdout.
import './polyfills.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RunSummary } from '../../lib/pipeline/summary.js';
import {
  collectInputs,
  datasetNameFor,
  type LocalEnvironment,
  type ProgressEvent,
  runLocal,
  startLocalEnvironment,
} from './runner.js';

const HELP = `Usage: npm run segment -- <file or folder…> [options]

Runs the audience-segmentation pipeline locally, on embedded stand-ins for S3, DynamoDB and
Step Functions (no AWS account, no Docker), and writes the results to a folder.

Options:
  --config <file>    dataset configuration (JSON): column mapping, segments, destinations
  --dataset <name>   dataset name (default: from the first input's name)
  --out <dir>        output folder (default: out/<dataset>)
  --json             print the run summary as JSON on stdout (progress goes to stderr)
  -h, --help         show this help

Examples:
  npm run segment -- events/data/sample
  npm run segment -- orders.csv customers.csv --config my-config.json --out results
  npm run segment -- ../shared/data/cdnow/CDNOW_sample.txt --config events/config/cdnow.json --json

Exit codes: 0 success · 1 the input was rejected (see the error report) · 2 usage error · 3 internal failure`;

const EXIT = { ok: 0, input: 1, usage: 2, internal: 3 } as const;

class UsageError extends Error {}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        dataset: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const tty = process.stderr.isTTY;
const paint = (code: string, text: string): string => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);

function progressPrinter(): (e: ProgressEvent) => void {
  return (e) => {
    if (e.type === 'state-started') process.stderr.write(`  ${paint('2', '…')} ${e.state}\n`);
    if (e.type === 'state-finished')
      process.stderr.write(
        `  ${paint('32', '✓')} ${e.state} ${paint('2', `${(e.ms / 1000).toFixed(1)} s`)}\n`,
      );
    if (e.type === 'state-failed')
      process.stderr.write(`  ${paint('31', '✗')} ${e.state}${e.error ? ` (${e.error})` : ''}\n`);
  };
}

function printTable(summary: RunSummary): void {
  const rows = summary.segments.map((s) => [
    s.name,
    s.size.toLocaleString('en-US'),
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
  console.log(
    `\n${summary.dataset}: ${summary.customers.toLocaleString('en-US')} customers, as of ${summary.asOf?.slice(0, 10)}; rows read ${summary.rows.read.toLocaleString('en-US')}, accepted ${summary.rows.accepted.toLocaleString('en-US')}, rejected ${summary.rows.rejected.toLocaleString('en-US')}\n`,
  );
  console.log(paint('1', line(header)));
  for (const r of rows) console.log(line(r));
  console.log(`\n${summary.models.clusters.choice.reason}`);
}

async function writeOutputs(
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
    const target = join(outDir, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, await env.store.get(key));
    local[name] = target;
  }
  return local;
}

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return EXIT.usage;
  }
  if (args.values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (!args.positionals.length) {
    console.error(`No input given.\n\n${HELP}`);
    return EXIT.usage;
  }
  let inputs: ReturnType<typeof collectInputs>;
  let config: unknown;
  try {
    inputs = collectInputs(args.positionals);
    if (!inputs.length) throw new UsageError(`no data files found in ${args.positionals.join(', ')}`);
    const configPath = args.values.config;
    config = configPath ? JSON.parse(readFileSync(configPath, 'utf8')) : undefined;
  } catch (error) {
    console.error(`Cannot read the input: ${(error as Error).message}`);
    return EXIT.usage;
  }
  const dataset = args.values.dataset ?? datasetNameFor(args.positionals);
  const outDir = resolve(args.values.out ?? join('out', dataset));
  process.stderr.write(`Segmenting ${inputs.length} file(s) as dataset "${dataset}" on local stand-ins\n`);
  const env = await startLocalEnvironment();
  try {
    const result = await runLocal(env, inputs, { dataset, config, onProgress: progressPrinter() });
    if (result.status === 'failed' || !result.summary) {
      const error = result.error ?? { name: 'Error', message: 'the run failed' };
      const reports = await env.store.list(`rejected/${dataset}/`);
      const rejectedDir = join(outDir, 'rejected');
      for (const r of reports.filter((o) => o.key.endsWith('.errors.json'))) {
        const target = join(rejectedDir, r.key.slice(`rejected/${dataset}/`.length));
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, await env.store.get(r.key));
      }
      console.error(`\n${paint('31', 'The run failed')}: ${error.message}`);
      if (reports.length) console.error(`Error reports: ${rejectedDir}`);
      if (args.values.json)
        console.log(
          JSON.stringify({ runId: result.runInput.runId, dataset, status: 'failed', error }, null, 2),
        );
      const inputProblem = /InputRejected|InputFile|Config|NotEnoughCustomers|InvalidEvent/.test(error.name);
      return inputProblem ? EXIT.input : EXIT.internal;
    }
    const outputs = await writeOutputs(env, result.summary, outDir);
    const summary = { ...result.summary, outputs };
    writeFileSync(outputs.runJson, JSON.stringify(summary, null, 2));
    if (args.values.json) console.log(JSON.stringify(summary, null, 2));
    else {
      printTable(summary);
      console.log(`\nReport: ${outputs.report}\nAll outputs: ${outDir}`);
    }
    return EXIT.ok;
  } finally {
    await env.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`Internal failure: ${(error as Error).stack ?? error}`);
    process.exit(EXIT.internal);
  },
);
