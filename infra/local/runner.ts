// The local main job: runs the synthesized state machine definition with aws-local-stepfunctions,
// each Lambda task overridden to call its handler in-process, against s3rver and dynalite. There
// is no second orchestration: the definition `cdk synth` produces is the one that runs here.
import './polyfills.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { startRunForObject } from '../../lib/pipeline/starter.js';
import type { RunSummary } from '../../lib/pipeline/summary.js';
import type { RunInput } from '../../lib/pipeline/types.js';
import { createS3Client } from '../../lib/storage/clients.js';
import { keys } from '../../lib/storage/keys.js';
import { S3BlobStore } from '../../lib/storage/s3.js';
import { loadLocalModel } from './model-cache.js';
import { type Fault, faultFor, invokeInSandbox } from './sandbox.js';
import { type StandIns, startStandIns } from './standins.js';
import type { LocalModel } from './template.js';

export interface LocalEnvironment {
  standIns: StandIns;
  model: LocalModel;
  store: S3BlobStore;
  s3: S3Client;
  handlers: Record<string, (input: unknown) => Promise<unknown>>;
  stop(): Promise<void>;
}

export type ProgressEvent =
  /** a top-level state of the workflow started (nested Map/Parallel states are not reported) */
  | { type: 'state-started'; state: string; parent?: string }
  /** a top-level state finished; `ms` from the engine's own timestamps */
  | { type: 'state-finished'; state: string; ms: number; parent?: string; stateType?: string }
  | { type: 'state-failed'; state: string; error?: string; cause?: string }
  /** one Map iteration (a shard) finished: `done` of `total` for the Map state `state` */
  | { type: 'shard-finished'; state: string; index: number; done: number; total: number }
  /** what Ingest counted, from its state output */
  | { type: 'rows'; read: number; accepted: number; rejected: number };

type Handler = (event: unknown, context: Context) => Promise<unknown>;

function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 15 * 60_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '3008',
    awsRequestId: `local-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function createBucket(s3: S3Client, model: LocalModel): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: model.bucketName })).catch((e: { name?: string }) => {
    if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
  });
  await s3
    .send(
      new PutBucketVersioningCommand({
        Bucket: model.bucketName,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    )
    .catch(() => undefined); // s3rver does not implement versioning; the run does not depend on it
}

async function createTables(model: LocalModel): Promise<void> {
  const ddb = new DynamoDBClient({});
  try {
    await Promise.all(
      model.tables.map((t) => {
        const p = t.properties as unknown as CreateTableCommandInput;
        return ddb
          .send(
            new CreateTableCommand({
              TableName: t.name,
              KeySchema: p.KeySchema,
              AttributeDefinitions: p.AttributeDefinitions,
              BillingMode: 'PAY_PER_REQUEST',
              GlobalSecondaryIndexes: p.GlobalSecondaryIndexes?.map((g) => ({
                IndexName: g.IndexName,
                KeySchema: g.KeySchema,
                Projection: g.Projection,
              })),
            }),
          )
          .catch((e: { name?: string }) => {
            if (e.name !== 'ResourceInUseException') throw e;
          });
      }),
    );
  } finally {
    ddb.destroy();
  }
}

/** Starts the stand-ins and creates the bucket and tables of the synthesized template. */
export async function startLocalEnvironment(
  options: { dataDir?: string; s3Port?: number } = {},
): Promise<LocalEnvironment> {
  // dynalite boots on its own thread while this one reads (or, the first time, synthesizes) the model
  const starting = startStandIns({
    dataDir: options.dataDir,
    s3Port: options.s3Port,
    dynamoOnDisk: true,
  });
  let model: LocalModel;
  try {
    ({ model } = await loadLocalModel());
  } catch (error) {
    await starting.then(
      (s) => s.stop(),
      () => undefined,
    );
    throw error;
  }
  const standIns = await starting;
  try {
    standIns.applyEnvironment();
    Object.assign(process.env, model.environment);
    const s3 = createS3Client();
    // the bucket and tables are made (mostly on the stand-ins' side) while the handlers load
    const resources = Promise.all([createBucket(s3, model), createTables(model)]);
    resources.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    // loaded side by side: each waits on module reads and transforms (tsx) the others can overlap
    const handlers: LocalEnvironment['handlers'] = Object.fromEntries(
      await Promise.all(
        Object.entries(model.taskHandlers).map(async ([state, name]) => {
          const mod = (await import(`../../functions/${name}/handler.ts`)) as { main: Handler };
          return [state, (input: unknown) => mod.main(input, lambdaContext(name))] as const;
        }),
      ),
    );
    await resources;
    return {
      standIns,
      model,
      s3,
      store: new S3BlobStore(s3, model.bucketName),
      handlers,
      async stop() {
        s3.destroy();
        await standIns.stop();
      },
    };
  } catch (error) {
    await standIns.stop();
    throw error;
  }
}

const INPUT_EXTENSIONS = new Set([
  '.csv',
  '.tsv',
  '.txt',
  '.jsonl',
  '.ndjson',
  '.json',
  '.parquet',
  '.gz',
  '.dat',
  '.psv',
]);

/** Expands files and folders into (path on disk, name within the dataset) pairs. */
export function collectInputs(paths: readonly string[]): { path: string; name: string }[] {
  const out: { path: string; name: string }[] = [];
  for (const p of paths) {
    const st = statSync(p);
    if (st.isDirectory()) {
      const walk = (dir: string): void => {
        for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
          a.name.localeCompare(b.name),
        )) {
          const full = join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (INPUT_EXTENSIONS.has(extname(entry.name).toLowerCase()) && !entry.name.startsWith('.')) {
            out.push({ path: full, name: relative(p, full).split('\\').join('/') });
          }
        }
      };
      walk(p);
    } else {
      out.push({ path: p, name: basename(p) });
    }
  }
  return out;
}

export function datasetNameFor(paths: readonly string[]): string {
  const first = basename(paths[0] ?? 'dataset')
    .replace(/\.(gz)$/i, '')
    .replace(/\.[^.]+$/, '');
  const clean = first.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return clean || 'dataset';
}

/** How the local Lambda sandbox treats each task's attempts (tests; the CLI uses the defaults). */
export interface SandboxOptions {
  /** faults injected into given attempts of given states (test/e2e/faults.test.ts) */
  faults?: readonly Fault[];
  /** per-state function timeout in ms, overriding the template's Timeout (e.g. a short one in tests) */
  timeoutMs?: Readonly<Record<string, number>>;
}

export interface LocalRunOptions extends SandboxOptions {
  dataset: string;
  config?: unknown;
  onProgress?: (event: ProgressEvent) => void;
}

export interface LocalRunResult {
  status: 'succeeded' | 'failed';
  runInput: RunInput;
  output: unknown;
  summary?: RunSummary;
  error?: { name: string; message: string };
  /** handler invocations per state (`ScoreShard#3` for a shard): 1 when nothing was retried */
  attempts: Record<string, number>;
}

/** Uploads inputs under incoming/<dataset>/ and runs the workflow over that snapshot. */
export async function runLocal(
  env: LocalEnvironment,
  inputs: readonly { path: string; name: string }[],
  options: LocalRunOptions,
): Promise<LocalRunResult> {
  const { store } = env;
  if (options.config !== undefined) {
    await store.put(keys.config(options.dataset), JSON.stringify(options.config), 'application/json');
  }
  for (const input of inputs) {
    await store.put(`incoming/${options.dataset}/${input.name}`, readFileSync(input.path));
  }
  // the starter's own logic decides the run id and input, as the EventBridge trigger would
  let runInput: RunInput | undefined;
  const last = inputs[inputs.length - 1];
  await startRunForObject(
    store,
    { detail: { object: { key: `incoming/${options.dataset}/${last.name}` } } },
    async (_name, input) => {
      runInput = input;
      return 'started';
    },
  );
  return executeRun(env, runInput!, options.onProgress, {
    faults: options.faults,
    timeoutMs: options.timeoutMs,
  });
}

/** Resolves a plain `$.a.b` JSONPath (what the synthesized definition uses for ItemsPath/ResultPath). */
function atPath(value: unknown, path: unknown): unknown {
  if (typeof path !== 'string' || !path.startsWith('$')) return undefined;
  let v = value;
  for (const part of path.slice(1).split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

interface EngineEvent {
  type: string;
  timestamp?: number;
  state?: { name: string; type?: string; input?: unknown; output?: unknown };
  index?: number;
  parentState?: { name: string };
  Error?: string;
  Cause?: unknown;
}

/**
 * Turns aws-local-stepfunctions' event log into ProgressEvents. The engine does not mark states
 * nested in a Map or Parallel (only Map iterations carry `index`), so "top-level" means a name
 * among the definition's own States; state names are unique across a whole state machine.
 */
export function progressTranslator(
  definition: Record<string, unknown>,
  onProgress: (event: ProgressEvent) => void,
): (event: EngineEvent) => void {
  const states = (definition.States ?? {}) as Record<string, Record<string, unknown>>;
  const started = new Map<string, number>();
  const shards = new Map<string, { done: number; total: number }>();
  const failed = new Map<string, ProgressEvent>();
  // a caught state still "exits" in the engine's log; it did not finish its work
  const caught = new Set<string>();
  return (e) => {
    const now = e.timestamp ?? Date.now();
    if (e.type === 'ExecutionFailed') {
      for (const f of failed.values()) onProgress(f);
      failed.clear();
      return;
    }
    if (e.type === 'MapIterationStarted' && e.parentState) {
      const s = shards.get(e.parentState.name) ?? { done: 0, total: 0 };
      s.total = Math.max(s.total, (e.index ?? 0) + 1);
      shards.set(e.parentState.name, s);
      return;
    }
    if (e.type === 'MapIterationSucceeded' && e.parentState) {
      const s = shards.get(e.parentState.name) ?? { done: 0, total: 0 };
      s.done += 1;
      shards.set(e.parentState.name, s);
      onProgress({
        type: 'shard-finished',
        state: e.parentState.name,
        index: e.index ?? 0,
        done: s.done,
        total: Math.max(s.total, s.done),
      });
      return;
    }
    const name = e.state?.name;
    if (!name || !(name in states) || e.index !== undefined) return;
    const def = states[name];
    if (e.type === 'StateEntered') {
      started.set(name, now);
      if (def.Type === 'Map') {
        // the item count is known from the input before any iteration starts (MaxConcurrency may hold some back)
        const items = atPath(e.state?.input, def.ItemsPath ?? '$');
        shards.set(name, { done: 0, total: Array.isArray(items) ? items.length : 0 });
      }
      onProgress({ type: 'state-started', state: name });
    } else if (e.type === 'StateExited') {
      if (caught.delete(name)) return;
      const result = def.ResultPath ? atPath(e.state?.output, def.ResultPath) : e.state?.output;
      const rows = (result as { rows?: { read?: unknown; accepted?: unknown; rejected?: unknown } } | null)
        ?.rows;
      if (
        rows &&
        typeof rows.read === 'number' &&
        typeof rows.accepted === 'number' &&
        typeof rows.rejected === 'number'
      )
        onProgress({ type: 'rows', read: rows.read, accepted: rows.accepted, rejected: rows.rejected });
      onProgress({
        type: 'state-finished',
        state: name,
        ms: now - (started.get(name) ?? now),
        stateType: typeof def.Type === 'string' ? def.Type : undefined,
      });
    } else if (e.type === 'StateFailed' && def.Type !== 'Fail') {
      // a failed attempt may still be retried: report it once caught, or when the execution fails
      failed.set(name, {
        type: 'state-failed',
        state: name,
        error: e.Error,
        cause: typeof e.Cause === 'string' ? e.Cause : undefined,
      });
    } else if (e.type === 'StateRetried') {
      failed.delete(name);
    } else if (e.type === 'StateCaught') {
      const f = failed.get(name);
      failed.delete(name);
      caught.add(name);
      onProgress(f ?? { type: 'state-failed', state: name });
    }
  };
}

export async function executeRun(
  env: LocalEnvironment,
  runInput: RunInput,
  onProgress?: (event: ProgressEvent) => void,
  options: { signal?: AbortSignal } & SandboxOptions = {},
): Promise<LocalRunResult> {
  // the definition was validated when its model was made (loadLocalModel): not again on every run
  const machine = new StateMachine(env.model.definition as never, {
    validationOptions: { noValidate: true },
  });
  // each attempt runs as in a Lambda sandbox: its function's Timeout, frozen after it, faults if asked
  const attempts: Record<string, number> = {};
  const handlers = Object.fromEntries(
    Object.entries(env.handlers).map(([state, handler]) => [
      state,
      (input: unknown) => {
        // a Map item: a shard, or an ingest range
        const item = input as { shard?: { index?: unknown }; range?: { index?: unknown } } | null;
        const shard = item?.shard?.index ?? item?.range?.index;
        const index = typeof shard === 'number' ? shard : undefined;
        const key = index === undefined ? state : `${state}#${index}`;
        attempts[key] = (attempts[key] ?? 0) + 1;
        const fault = faultFor(options.faults ?? [], state, index, attempts[key]);
        const timeoutMs =
          fault?.timeoutMs ?? options.timeoutMs?.[state] ?? env.model.taskTimeoutSeconds[state] * 1000;
        return invokeInSandbox(() => handler(input), timeoutMs, fault);
      },
    ]),
  );
  const execution = machine.run(runInput as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      retryIntervalOverrides: Object.fromEntries(Object.keys(env.handlers).map((s) => [s, 10])),
    },
  });
  const abort = () => execution.abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  const translate = onProgress ? progressTranslator(env.model.definition, onProgress) : undefined;
  const logs = (async () => {
    for await (const event of execution.eventLogs) translate?.(event as EngineEvent);
  })();
  try {
    const output = (await execution.result) as Record<string, unknown>;
    await logs.catch(() => undefined);
    const summary = JSON.parse(
      new TextDecoder().decode(
        await env.store.get(keys.runFile(runInput.dataset, runInput.runId, 'run.json')),
      ),
    ) as RunSummary;
    return { status: 'succeeded', runInput, output, summary, attempts };
  } catch (error) {
    await logs.catch(() => undefined);
    if (options.signal?.aborted) {
      return {
        status: 'failed',
        runInput,
        output: null,
        error: { name: 'RunAborted', message: 'the run was stopped' },
        attempts,
      };
    }
    const err = error as { name?: string; message?: string; cause?: { message?: string } };
    const failure = await env.store.getIfExists(keys.runErrors(runInput.dataset, runInput.runId));
    const detail = failure
      ? (JSON.parse(new TextDecoder().decode(failure)) as { error: { name: string; message: string } }).error
      : { name: err.name ?? 'Error', message: err.message ?? String(error) };
    return { status: 'failed', runInput, output: null, error: detail, attempts };
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}
