// The local main job: runs the synthesized state machine definition with aws-local-stepfunctions,
// each Lambda task overridden to call its handler in-process, against s3rver and dynalite. There
// is no second orchestration: the definition `cdk synth` produces is the one that runs here.
import './polyfills.js';
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import { startRunForObject } from '../../lib/pipeline/starter.js';
import type { RunSummary } from '../../lib/pipeline/summary.js';
import type { RunInput } from '../../lib/pipeline/types.js';
import { keys } from '../../lib/storage/keys.js';
import type { LocalEnvironment } from './environment.js';
import { type EngineEvent, type ProgressEvent, progressTranslator } from './progress.js';
import { type Fault, faultFor, invokeInSandbox } from './sandbox.js';

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
  const incoming = keys.incomingPrefix(options.dataset);
  for (const input of inputs) {
    await store.put(`${incoming}${input.name}`, readFileSync(input.path));
  }
  // the starter's own logic decides the run id and input, as the EventBridge trigger would
  let runInput: RunInput | undefined;
  const last = inputs[inputs.length - 1];
  await startRunForObject(
    store,
    { detail: { object: { key: `${incoming}${last.name}` } } },
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
