// `npm run segment -- <file or folder…> [--config f] [--out dir] [--json]`: the whole pipeline on
// a laptop; `--watch` keeps the stand-ins up and runs whatever an S3 client drops under incoming/.
// Progress goes to stderr; with --json stdout carries nothing but the run summary.
import './polyfills.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { keys } from '../../lib/storage/keys.js';
import { CONFIG_ERROR } from '../../lib/util/error-names.js';
import {
  createProgressPrinter,
  formatTable,
  isInputProblem,
  painterFor,
  writeErrorReports,
  writeOutputs,
} from './output.js';
import type { WatchHandle } from './watch.js';

const HELP = `Usage: npm run segment -- <file or folder…> [options]
       npm run segment -- --watch [--config <file>] [--out <dir>]

Runs the audience-segmentation pipeline locally, on embedded stand-ins for S3, DynamoDB and
Step Functions (no AWS account, no Docker), and writes the results to a folder.

Options:
  --config <file>     dataset configuration (JSON): column mapping, segments, destinations
  --dataset <name>    dataset name (default: from the first input's name)
  --out <dir>         output folder (default: out/<dataset>; with --watch: out, one folder per run)
  --json              print the run summary as JSON on stdout (progress goes to stderr)
  --watch             keep the local S3 running and segment every dataset dropped under
                      incoming/<dataset>/ by any S3 client (Ctrl-C to stop)
  --port <n>          with --watch: port of the local S3 (default 4568; 0 picks a free one)
  --settle-ms <ms>    with --watch: wait this long after the last file before running (default 2000)
  -h, --help          show this help

Examples:
  npm run segment -- events/data/sample
  npm run segment -- orders.csv customers.csv --config my-config.json --out results
  npm run segment -- events/data/sample --json > run.json
  npm run segment -- --watch
      then, from another terminal:
      aws s3 cp events/data/sample/ s3://segmentation-local/incoming/sample/ --recursive \\
        --endpoint-url http://127.0.0.1:4568

Exit codes: 0 success · 1 the input was rejected (see the error reports) · 2 usage error · 3 internal failure`;

const EXIT = { ok: 0, input: 1, usage: 2, internal: 3 } as const;

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

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
        watch: { type: 'boolean', default: false },
        port: { type: 'string' },
        'settle-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

type Args = ReturnType<typeof parse>;

const err = painterFor(process.stderr);
const say = (line = ''): void => {
  process.stderr.write(`${line}\n`);
};

/** A config file is the marketer's input: unreadable or invalid JSON is an input error (exit 1). */
function readConfig(path: string | undefined): unknown {
  if (!path) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`cannot read the config file ${path}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw Object.assign(new Error(`${path} is not valid JSON (${(error as Error).message})`), {
      name: CONFIG_ERROR,
    });
  }
}

function intOption(args: Args, name: 'port' | 'settle-ms', fallback: number): number {
  const raw = args.values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`--${name} needs a whole number, got "${raw}"`);
  return v;
}

const shown = (path: string): string => {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
};

async function runOnce(args: Args): Promise<number> {
  // loaded on demand: the CDK app behind the runner takes seconds to import, --help should not wait
  const [{ collectInputs, datasetNameFor }, { startLocalEnvironment }, { runLocal }] = await Promise.all([
    import('./inputs.js'),
    import('./environment.js'),
    import('./runner.js'),
  ]);
  if (!args.positionals.length) throw new UsageError('no input given (a file or folder, or --watch)');
  if (args.values.port !== undefined || args.values['settle-ms'] !== undefined)
    throw new UsageError('--port and --settle-ms only apply with --watch');
  let inputs: { path: string; name: string }[];
  try {
    inputs = collectInputs(args.positionals);
  } catch (error) {
    throw new UsageError(`cannot read ${(error as { path?: string }).path ?? args.positionals.join(', ')}`);
  }
  if (!inputs.length) throw new UsageError(`no data files found in ${args.positionals.join(', ')}`);
  const config = readConfig(args.values.config);
  const dataset = args.values.dataset ?? datasetNameFor(args.positionals);
  const outDir = resolve(args.values.out ?? join('out', dataset));
  say(`Segmenting ${inputs.length} file(s) as dataset "${dataset}" on local stand-ins`);
  const printer = createProgressPrinter(process.stderr);
  // on a terminal the first seconds (synthesizing the app, starting the stand-ins) show too
  printer.onProgress({ type: 'state-started', state: 'starting the local stand-ins' });
  const env = await startLocalEnvironment();
  try {
    const result = await runLocal(env, inputs, { dataset, config, onProgress: printer.onProgress });
    printer.close();
    if (result.status === 'failed' || !result.summary) {
      const error = result.error ?? { name: 'Error', message: 'the run failed' };
      const rejectedDir = join(outDir, 'rejected');
      const reports = await writeErrorReports(env, dataset, result.runInput.runId, rejectedDir);
      const inputProblem = isInputProblem(error);
      say();
      say(`${err('31', inputProblem ? 'The input was rejected' : 'The run failed')}: ${error.message}`);
      if (reports) say(`Error reports: ${shown(rejectedDir)}/`);
      if (args.values.json) printJson({ runId: result.runInput.runId, dataset, status: 'failed', error });
      return inputProblem ? EXIT.input : EXIT.internal;
    }
    const outputs = await writeOutputs(env, result.summary, outDir);
    const summary = { ...result.summary, outputs };
    writeFileSync(outputs.runJson, JSON.stringify(summary, null, 2));
    if (args.values.json) printJson(summary);
    else {
      console.log(`\n${formatTable(summary, painterFor(process.stdout))}`);
      console.log(`\nReport: ${shown(outputs.report)}\nAll outputs: ${shown(outDir)}`);
    }
    return EXIT.ok;
  } finally {
    printer.close();
    await env.stop();
  }
}

async function runWatch(args: Args): Promise<number> {
  if (args.positionals.length)
    throw new UsageError('--watch takes no inputs: drop files into the local S3 instead');
  if (args.values.json) throw new UsageError('--json does not apply with --watch (each run writes run.json)');
  if (args.values.dataset)
    throw new UsageError('--dataset does not apply with --watch (the folder names it)');
  const config = readConfig(args.values.config);
  const { watch } = await import('./watch.js');
  const port = intOption(args, 'port', 4568);
  const settleMs = intOption(args, 'settle-ms', 2000);
  const out = resolve(args.values.out ?? 'out');
  say('Starting the local S3, DynamoDB and Step Functions stand-ins…');
  let printer = createProgressPrinter(process.stderr);
  let handle: WatchHandle;
  try {
    handle = await watch({
      out,
      config,
      settleMs,
      port,
      onProgress: (_dataset, e) => printer.onProgress(e),
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'EADDRINUSE')
      throw new UsageError(`port ${port} is in use: pick another with --port (0 for any free port)`);
    throw error;
  }
  const { endpoint, bucket, region, credentials } = handle;
  const dim = (t: string) => err('2', t);
  say(`
${err('1', 'Watching the local S3 for drops')} ${dim('(Ctrl-C to stop)')}

  S3 endpoint   ${endpoint}
  Bucket        ${bucket}
  Region        ${region}
  Credentials   access key ${credentials.accessKeyId}, secret ${credentials.secretAccessKey} (dummies)

Drop a dataset's files under incoming/<dataset>/ with any S3 client, for example:

  export AWS_ACCESS_KEY_ID=${credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey} AWS_REGION=${region}
  aws s3 cp events/data/sample/ s3://${bucket}/${keys.incomingPrefix('sample')} --recursive --endpoint-url ${endpoint}
  aws s3 cp my-config.json s3://${bucket}/${keys.config('sample')} --endpoint-url ${endpoint}   ${dim('# optional')}

Files dropped within ${(settleMs / 1000).toFixed(1)} s of each other run together; outputs go to ${shown(out)}/<dataset>/<runId>/.
`);
  handle.runs.on('drop', ({ key }) => say(`${dim('←')} ${key}`));
  handle.runs.on('config', ({ dataset, key }) =>
    say(`${dim('←')} ${key} ${dim(`(applies to the next run of ${dataset})`)}`),
  );
  handle.runs.on('ignored', ({ key, reason }) => say(`${err('33', '!')} ignored ${key}: ${reason}`));
  handle.runs.on('started', ({ dataset, runId, files }) => {
    printer = createProgressPrinter(process.stderr);
    say(`\nRun ${runId} of "${dataset}" over ${files.length} file(s): ${files.join(', ')}`);
  });
  handle.runs.on('finished', (run) => {
    printer.close();
    if (run.status === 'unchanged') {
      say(
        `${dim('=')} nothing new under ${keys.incomingPrefix(run.dataset)}: this snapshot already ran as ${run.runId}`,
      );
    } else if (run.status === 'succeeded' && run.summary && run.outputs) {
      console.log(`\n${formatTable(run.summary, painterFor(process.stdout))}`);
      console.log(`\nReport: ${shown(run.outputs.report)}\nAll outputs: ${shown(run.outDir ?? out)}\n`);
    } else {
      say(
        `\n${err('31', run.inputProblem ? 'The input was rejected' : 'The run failed')}: ${run.error?.message ?? 'unknown error'}`,
      );
      if (run.errorReports && run.outDir) say(`Error reports: ${shown(join(run.outDir, 'rejected'))}/`);
      say();
    }
    say(dim('Watching for drops…'));
  });
  await new Promise<void>((resolveStop) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) process.exit(130); // a second Ctrl-C does not wait
      stopping = true;
      say('\nStopping…');
      handle.stop().then(resolveStop, (error: Error) => {
        say(`Could not stop cleanly: ${error.message}`);
        resolveStop();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  printer.close();
  say('Stopped; the local S3 and DynamoDB are closed.');
  return EXIT.ok;
}

async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parse(argv);
    if (args.values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    return args.values.watch ? await runWatch(args) : await runOnce(args);
  } catch (error) {
    const e = error as Error;
    if (e.name === 'UsageError') {
      say(`${err('31', 'Usage error')}: ${e.message}.\n\n${HELP}`);
      return EXIT.usage;
    }
    if (isInputProblem(e)) {
      say(`${err('31', 'The input was rejected')}: ${e.message}`);
      return EXIT.input;
    }
    throw error;
  }
}

/**
 * With --json, stdout is the summary's alone: anything else that writes there (a library's log
 * line, a stray console.log in a handler) is sent to stderr instead.
 */
const writeStdout = process.stdout.write.bind(process.stdout);
function reserveStdoutForJson(): void {
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
}
const printJson = (value: unknown): void => {
  writeStdout(`${JSON.stringify(value, null, 2)}\n`);
};

// After each full GC, V8 lets the heap grow up to ~4× what survived before collecting again. The local
// job's stages churn through shard files and SDK requests whose garbage then sat in that headroom (at
// 1M rows: 80 MB live, 270 MB of heap during Publish). Growing by at most 50 % costs ~0.25 s of extra
// GC pauses over a 75 CPU-second run and lowered the peak RSS by ~70-160 MB (docs/scale.md).
if (![...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('heap-growing-percent')))
  setFlagsFromString('--heap-growing-percent=50');
const argv = process.argv.slice(2);
// the handlers' structured logs are for CloudWatch; on a laptop they would bury the progress and
// the CLI reports failures itself (POWERTOOLS_LOG_LEVEL=INFO shows them)
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
if (argv.includes('--json')) reserveStdoutForJson();
main(argv).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`Internal failure (a bug, not your data): ${(error as Error).stack ?? error}`);
    process.exit(EXIT.internal);
  },
);
