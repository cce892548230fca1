// Progress of a local run: aws-local-stepfunctions' event log turned into the few events the CLI
// and watch mode show (a top-level state started or finished, a shard done, the rows Ingest counted).

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

export interface EngineEvent {
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
