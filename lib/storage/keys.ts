// Every S3 key of the bucket, built here and nowhere else (docs/architecture.md, "S3 key layout"):
// drops, config, run scratch, exports, audiences, quarantine and the state later runs need. Every stage
// derives keys from (dataset, runId) so state payloads stay tiny pointers; infra grants and lifecycle
// rules use the same top-level prefixes.

/** The top-level prefixes: what IAM grants and lifecycle rules are scoped to. */
export const PREFIXES = {
  /** marketers' drops (expire by lifecycle rule) */
  incoming: 'incoming/',
  /** optional per-dataset settings */
  config: 'config/',
  /** run scratch: shards, models, reports of one run (expire by lifecycle rule) */
  runs: 'runs/',
  /** a run's object list when it is too long for the execution input */
  snapshots: 'snapshots/',
  /** the per-segment exports of the latest run */
  exports: 'exports/',
  /** file destinations' audience files */
  audiences: 'audiences/',
  /** quarantined inputs and their error reports */
  rejected: 'rejected/',
  /** what later runs need: published memberships and audiences, scores, erasures, checkpoints */
  state: 'state/',
} as const;

export const INCOMING_PREFIX = PREFIXES.incoming;

const pad = (index: number): string => String(index).padStart(5, '0');

/** Key-safe form of a name: S3 accepts almost anything, but people browse these keys. */
function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

function rangeName(shard: number, shardCount: number): string {
  return `shard-${pad(shard)}-of-${pad(shardCount)}`;
}

const state = {
  /** the pointer to the last successful run (lib/segments/state.ts) */
  latest: (dataset: string) => `${PREFIXES.state}${dataset}/latest.json`,
  /** the copy of one run's per-shard scores kept for the next run */
  runPrefix: (dataset: string, runId: string) => `${PREFIXES.state}${dataset}/${runId}/`,
  scores: (dataset: string, runId: string, shard: number) =>
    `${PREFIXES.state}${dataset}/${runId}/scores/${pad(shard)}.bin`,
  /** what one destination last accepted for one audience (lib/publish/audience-state.ts) */
  audience: (dataset: string, destination: string, audienceKey: string) =>
    `${state.audiencePrefix(dataset, destination)}${safe(audienceKey)}.bin`,
  audiencePrefix: (dataset: string, destination: string) =>
    `${PREFIXES.state}${dataset}/audiences/${safe(destination)}/`,
  checkpoints: (dataset: string) => `${PREFIXES.state}${dataset}/checkpoints/`,
  erased: (dataset: string) => `${PREFIXES.state}${dataset}/erased.bin`,
} as const;

/** Published memberships, split by customer-hash range (lib/publish/membership-state.ts). */
const memberships = {
  /** the state folder of one dataset and model (manifest + one folder per published run) */
  folder: (dataset: string, model: string) => `${PREFIXES.state}${dataset}/memberships/${safe(model)}/`,
  manifest: (dataset: string, model: string) => `${memberships.folder(dataset, model)}manifest.json`,
  /** a published range file, named by the run that wrote it and its shard of that run's count */
  range: (dataset: string, model: string, runId: string, shard: number, shardCount: number) =>
    `${memberships.folder(dataset, model)}${runId}/${rangeName(shard, shardCount)}.bin`,
  /**
   * A worker's output in the run folder: state (copied to state/ once the run's shards all succeeded;
   * a failed run's files expire with its scratch) and counts.
   */
  runRange: (dataset: string, runId: string, model: string, shard: number, shardCount: number) =>
    keys.runFile(dataset, runId, `memberships/${model}/${rangeName(shard, shardCount)}.bin`),
  runResult: (dataset: string, runId: string, model: string, shard: number, shardCount: number) =>
    keys.runFile(dataset, runId, `memberships/${model}/${rangeName(shard, shardCount)}.json`),
  /** the single-object state of earlier versions: read as one whole-range file until replaced */
  legacy: (dataset: string, model: string) => `${PREFIXES.state}${dataset}/memberships/${safe(model)}.bin`,
} as const;

export const keys = {
  incomingPrefix: (dataset: string) => `${PREFIXES.incoming}${dataset}/`,
  config: (dataset: string) => `${PREFIXES.config}${dataset}.json`,
  run: (dataset: string, runId: string) => `${PREFIXES.runs}${dataset}/${runId}/`,
  runFile: (dataset: string, runId: string, name: string) => `${PREFIXES.runs}${dataset}/${runId}/${name}`,
  shardPrefix: (dataset: string, runId: string, index: number) =>
    `${PREFIXES.runs}${dataset}/${runId}/shards/${pad(index)}/`,
  shardFile: (dataset: string, runId: string, index: number, name: string) =>
    `${PREFIXES.runs}${dataset}/${runId}/shards/${pad(index)}/${name}`,
  /** a run's snapshot list when it is too long for the execution input (lib/pipeline/snapshot.ts) */
  snapshot: (dataset: string, runId: string) => `${PREFIXES.snapshots}${dataset}/${runId}.json`,
  exports: (dataset: string) => `${PREFIXES.exports}${dataset}/latest/`,
  /** a file destination's audience file for one segment or group */
  audienceFile: (dataset: string, destination: string, audienceId: string) =>
    `${PREFIXES.audiences}${dataset}/${destination}/${audienceId}.csv`,
  /** the per-file error reports of a dataset and, under `<runId>/`, a failed run's copies */
  rejectedPrefix: (dataset: string) => `${PREFIXES.rejected}${dataset}/`,
  rejected: (dataset: string, file: string) => `${PREFIXES.rejected}${dataset}/${file}`,
  rejectedRun: (dataset: string, runId: string) => `${PREFIXES.rejected}${dataset}/${runId}/`,
  /** a failed run's error report, beside its quarantined inputs */
  runErrors: (dataset: string, runId: string) => `${PREFIXES.rejected}${dataset}/${runId}/run.errors.json`,
  state,
  memberships,
} as const;

/** `incoming/<dataset>/a/b.csv` → `{ dataset, file: 'a/b.csv' }`; null for keys outside incoming/. */
export function parseIncomingKey(key: string): { dataset: string; file: string } | null {
  if (!key.startsWith(INCOMING_PREFIX)) return null;
  const rest = key.slice(INCOMING_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return null;
  return { dataset: rest.slice(0, slash), file: rest.slice(slash + 1) };
}

/** Dataset names become key prefixes, table keys and execution names: keep them boring. */
export function isValidDatasetName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name);
}
