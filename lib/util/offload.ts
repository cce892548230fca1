// Runs one named, deterministic model fit on a worker thread while the calling thread fits others: the
// same function on the same inputs, so the result is bit-identical to running it inline, which is what
// happens whenever no worker can start (no module URL to load, a loader missing) or the work is small.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { fitClvHistories, fitClvParts } from '../models/clv-pipeline.js';

/** What a worker can run: loaded on demand, so a worker only evaluates the modules its task needs. */
const TASKS = {
  fitClvHistories: async (): Promise<typeof fitClvHistories> =>
    (await import('../models/clv-pipeline.js')).fitClvHistories,
  fitClvParts: async (): Promise<typeof fitClvParts> =>
    (await import('../models/clv-pipeline.js')).fitClvParts,
};
type Tasks = { fitClvHistories: typeof fitClvHistories; fitClvParts: typeof fitClvParts };
export type OffloadTask = keyof Tasks;

const MARK = 'audienceSegmentationOffload';

interface Job {
  [MARK]: true;
  task: OffloadTask;
  args: unknown[];
}

// In a worker started by offload(): run the task and hand the result back. In a Lambda bundle this
// module is part of the one bundle file the worker evaluates; from sources it is this file itself.
if (!isMainThread && (workerData as Job | undefined)?.[MARK] === true) {
  const job = workerData as Job;
  void TASKS[job.task]().then(
    (fn) => parentPort?.postMessage({ ok: true, value: (fn as (...a: unknown[]) => unknown)(...job.args) }),
    (error: unknown) => parentPort?.postMessage({ ok: false, error: String(error) }),
  );
}

/** A task started on a worker (or, when none could start, already computed inline). */
export interface Offloaded<T> {
  result: Promise<T>;
  /** true when a worker was started for it; false when it ran inline */
  onWorker: boolean;
  /** true once the worker itself delivered the result (false if it fell back to inline) */
  answeredByWorker(): boolean;
  /** stops the worker when the caller gave up (its own fit failed); the result is then never used */
  cancel(): void;
}

/**
 * Starts `task(...args)` on a worker thread, or runs it inline right away when `inline` says so or no
 * worker can start. A worker that fails for any reason (it could not load the code, ran out of memory)
 * is replaced by the same call inline, so callers see exactly the inline behaviour, errors included.
 */
export function offload<K extends OffloadTask>(
  task: K,
  args: Parameters<Tasks[K]>,
  inline: boolean,
  run: (...a: Parameters<Tasks[K]>) => ReturnType<Tasks[K]>,
): Offloaded<ReturnType<Tasks[K]>> {
  const here = (): Offloaded<ReturnType<Tasks[K]>> => {
    let result: Promise<ReturnType<Tasks[K]>>;
    try {
      result = Promise.resolve(run(...args));
    } catch (error) {
      result = Promise.reject(error);
      // an error is the caller's once it awaits the result, not an unhandled rejection before that
      result.catch(() => undefined);
    }
    return { result, onWorker: false, answeredByWorker: () => false, cancel: () => undefined };
  };
  const url = import.meta.url;
  if (inline || !url?.startsWith('file:')) return here();
  // from TypeScript sources (the local CLI under tsx, tests) the worker registers tsx's loader first
  const source = url.endsWith('.ts')
    ? `import('tsx/esm/api').then((m) => m.register()).then(() => import(${JSON.stringify(url)}))`
    : `import(${JSON.stringify(url)})`;
  let worker: Worker;
  try {
    worker = new Worker(source, { eval: true, workerData: { [MARK]: true, task, args } satisfies Job });
  } catch {
    return here();
  }
  let settled = false;
  let cancelled = false;
  let answered = false;
  const result = new Promise<ReturnType<Tasks[K]>>((resolve, reject) => {
    const fallback = () => {
      if (settled || cancelled) return;
      settled = true;
      try {
        resolve(run(...args));
      } catch (error) {
        reject(error);
      }
    };
    worker.once('message', (m: { ok: boolean; value?: ReturnType<Tasks[K]> }) => {
      if (!m.ok) return fallback();
      settled = true;
      answered = true;
      resolve(m.value as ReturnType<Tasks[K]>);
    });
    worker.once('error', fallback);
    worker.once('exit', fallback);
  }).finally(() => {
    void worker.terminate();
  });
  // the caller awaits the result once its own fits are done: an error before then is not unhandled
  result.catch(() => undefined);
  return {
    result,
    onWorker: true,
    answeredByWorker: () => answered,
    cancel: () => {
      cancelled = true;
      void worker.terminate();
    },
  };
}
