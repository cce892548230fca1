// Watch mode: the local stand-ins stay up and any S3 client (aws s3 cp, an SDK, a GUI) can drop
// files under incoming/<dataset>/; after a short settle window the dataset's snapshot runs through
// the same starter and state machine as in AWS, one run at a time per dataset.
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { loadRunObjects } from '../../lib/pipeline/snapshot.js';
import { startRunForObject } from '../../lib/pipeline/starter.js';
import type { RunSummary } from '../../lib/pipeline/summary.js';
import type { RunInput } from '../../lib/pipeline/types.js';
import { isValidDatasetName, keys, PREFIXES, parseIncomingKey } from '../../lib/storage/keys.js';
import { type LocalEnvironment, startLocalEnvironment } from './environment.js';
import { isInputProblem, writeErrorReports, writeOutputs } from './output.js';
import type { ProgressEvent } from './progress.js';
import { executeRun } from './runner.js';

export interface WatchOptions {
  /** outputs go to <out>/<dataset>/<runId>/ (default: out) */
  out?: string;
  /** configuration used for a dataset that has no config/<dataset>.json of its own in the bucket */
  config?: unknown;
  /** quiet time after the last drop before a run starts, so files dropped together run together */
  settleMs?: number;
  /** S3 stand-in port (0: any free port) */
  port?: number;
  onProgress?: (dataset: string, event: ProgressEvent) => void;
}

export interface WatchRun {
  dataset: string;
  runId: string;
  /** unchanged: the snapshot under incoming/<dataset>/ already ran in this session */
  status: 'succeeded' | 'failed' | 'unchanged';
  files: string[];
  summary?: RunSummary;
  error?: { name: string; message: string };
  /** true when the failure is the input's (a marketer can fix it), false for internal failures */
  inputProblem?: boolean;
  outDir?: string;
  outputs?: Record<string, string>;
  errorReports?: number;
}

export interface WatchEvents {
  /** an object landed under incoming/<dataset>/ (the settle window restarts) */
  drop: [{ dataset: string; key: string }];
  /** a config/<dataset>.json was put; it applies from the next run */
  config: [{ dataset: string; key: string }];
  /** an object was put where the starter cannot use it */
  ignored: [{ key: string; reason: string }];
  started: [{ dataset: string; runId: string; files: string[] }];
  finished: [WatchRun];
}

export interface WatchHandle {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  env: LocalEnvironment;
  runs: EventEmitter<WatchEvents>;
  /** stops pending and running runs and closes the stand-ins */
  stop(): Promise<void>;
}

interface S3NotificationRecord {
  eventName?: string;
  s3?: { bucket?: { name?: string }; object?: { key?: string; size?: number; eTag?: string } };
}

/** s3rver reports a taken port as an unhandled 'error' event, so look before it listens. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolveFree, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolveFree()));
  });
}

export async function watch(options: WatchOptions = {}): Promise<WatchHandle> {
  if (options.port) await assertPortFree(options.port);
  const env = await startLocalEnvironment({ s3Port: options.port ?? 0 });
  const bucket = env.model.bucketName;
  const out = resolve(options.out ?? 'out');
  const settleMs = options.settleMs ?? 2000;
  const runs = new EventEmitter<WatchEvents>();
  const pending = new Map<string, { timer: NodeJS.Timeout; key: string; size?: number; etag?: string }>();
  const queues = new Map<string, Promise<void>>();
  const executed = new Set<string>();
  const abort = new AbortController();
  let stopping = false;

  const runSnapshot = async (dataset: string, last: { key: string; size?: number; etag?: string }) => {
    if (stopping) return;
    if (options.config !== undefined && !(await env.store.getIfExists(keys.config(dataset)))) {
      await env.store.put(keys.config(dataset), JSON.stringify(options.config), 'application/json');
    }
    let runInput: RunInput | undefined;
    const started = await startRunForObject(
      env.store,
      // the starter decodes keys the way S3 event notifications encode them
      {
        detail: {
          object: {
            key: last.key.split('/').map(encodeURIComponent).join('/'),
            size: last.size,
            etag: last.etag,
          },
        },
      },
      async (name, input) => {
        if (executed.has(name)) return 'already-exists';
        executed.add(name);
        runInput = input;
        return 'started';
      },
    );
    const files = (runInput ? await loadRunObjects(env.store, runInput) : []).map(
      (o) => parseIncomingKey(o.key)?.file ?? o.key,
    );
    if (!runInput) {
      runs.emit('finished', { dataset, runId: started.runId, status: 'unchanged', files });
      return;
    }
    runs.emit('started', { dataset, runId: runInput.runId, files });
    const result = await executeRun(
      env,
      runInput,
      options.onProgress ? (e) => options.onProgress?.(dataset, e) : undefined,
      { signal: abort.signal },
    );
    if (stopping) return;
    const outDir = join(out, dataset, runInput.runId);
    if (result.status === 'succeeded' && result.summary) {
      const outputs = await writeOutputs(env, result.summary, outDir);
      runs.emit('finished', {
        dataset,
        runId: runInput.runId,
        status: 'succeeded',
        files,
        summary: { ...result.summary, outputs },
        outDir,
        outputs,
      });
    } else {
      const error = result.error ?? { name: 'Error', message: 'the run failed' };
      const errorReports = await writeErrorReports(env, dataset, runInput.runId, join(outDir, 'rejected'));
      runs.emit('finished', {
        dataset,
        runId: runInput.runId,
        status: 'failed',
        files,
        error,
        inputProblem: isInputProblem(error),
        outDir,
        errorReports,
      });
    }
  };

  const schedule = (dataset: string, last: { key: string; size?: number; etag?: string }) => {
    const previous = pending.get(dataset);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => {
      pending.delete(dataset);
      // one run at a time per dataset: a snapshot that settles mid-run waits for that run
      const queued = (queues.get(dataset) ?? Promise.resolve()).then(() =>
        runSnapshot(dataset, last).catch((error: Error) => {
          if (stopping) return;
          runs.emit('finished', {
            dataset,
            runId: '',
            status: 'failed',
            files: [],
            error: { name: error.name, message: error.message },
            inputProblem: isInputProblem(error),
          });
        }),
      );
      queues.set(dataset, queued);
    }, settleMs);
    pending.set(dataset, { timer, ...last });
  };

  env.standIns.s3rver.on('event', (event: { Records?: S3NotificationRecord[] }) => {
    if (stopping) return;
    for (const record of event.Records ?? []) {
      const key = record.s3?.object?.key;
      if (!record.eventName?.startsWith('ObjectCreated') || record.s3?.bucket?.name !== bucket || !key)
        continue;
      const config = /^config\/([^/]+)\.json$/.exec(key);
      if (config) {
        runs.emit('config', { dataset: config[1], key });
        continue;
      }
      if (!key.startsWith(PREFIXES.incoming)) continue; // the pipeline's own writes (runs/, exports/, rejected/)
      const parsed = parseIncomingKey(key);
      if (!parsed || !isValidDatasetName(parsed.dataset)) {
        runs.emit('ignored', {
          key,
          reason: parsed
            ? 'dataset names are letters, digits, - and _ (up to 64)'
            : 'drop files as incoming/<dataset>/<file>',
        });
        continue;
      }
      runs.emit('drop', { dataset: parsed.dataset, key });
      schedule(parsed.dataset, { key, size: record.s3?.object?.size, etag: record.s3?.object?.eTag });
    }
  });

  return {
    endpoint: env.standIns.s3Endpoint,
    bucket,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
    },
    env,
    runs,
    async stop() {
      if (stopping) return;
      stopping = true;
      for (const p of pending.values()) clearTimeout(p.timer);
      pending.clear();
      abort.abort();
      await Promise.allSettled(queues.values());
      await env.stop();
    },
  };
}
