// The S3 key layout in one place (see ARCHITECTURE.md): drops, config, run scratch, exports and
// quarantine. Every stage derives keys from (dataset, runId) so state payloads stay tiny pointers.

export const INCOMING_PREFIX = 'incoming/';

const pad = (index: number): string => String(index).padStart(5, '0');

export const keys = {
  incomingPrefix: (dataset: string) => `${INCOMING_PREFIX}${dataset}/`,
  config: (dataset: string) => `config/${dataset}.json`,
  run: (dataset: string, runId: string) => `runs/${dataset}/${runId}/`,
  runFile: (dataset: string, runId: string, name: string) => `runs/${dataset}/${runId}/${name}`,
  shardPrefix: (dataset: string, runId: string, index: number) =>
    `runs/${dataset}/${runId}/shards/${pad(index)}/`,
  shardFile: (dataset: string, runId: string, index: number, name: string) =>
    `runs/${dataset}/${runId}/shards/${pad(index)}/${name}`,
  /** a run's snapshot list when it is too long for the execution input (lib/pipeline/snapshot.ts) */
  snapshot: (dataset: string, runId: string) => `snapshots/${dataset}/${runId}.json`,
  exports: (dataset: string) => `exports/${dataset}/latest/`,
  rejected: (dataset: string, file: string) => `rejected/${dataset}/${file}`,
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
