// Helpers every stage shares: the run's files, its frozen configuration and shard parts.
import { type DatasetConfig, parseConfig } from '../config/schema.js';
import { type BlobStore, getJson, getJsonIfExists } from '../storage/blob.js';
import { type Columns, decodeColumns } from '../storage/columnar.js';
import { keys } from '../storage/keys.js';
import type { RunRef } from './types.js';

export const runFile = (ref: RunRef, name: string): string => keys.runFile(ref.dataset, ref.runId, name);
export const shardFile = (ref: RunRef, index: number, name: string): string =>
  keys.shardFile(ref.dataset, ref.runId, index, name);

/** The configuration frozen at Ingest: every later stage of the run uses the same settings. */
export async function loadRunConfig(store: BlobStore, ref: RunRef): Promise<DatasetConfig> {
  return parseConfig(await getJson(store, runFile(ref, 'config.json')), `config of run ${ref.runId}`);
}

/** Decoded parts of one shard's record type (e.g. all `transactions-*.bin`). */
export async function readParts(
  store: BlobStore,
  ref: RunRef,
  index: number,
  name: string,
): Promise<Columns[]> {
  const listed = await store.list(keys.shardPrefix(ref.dataset, ref.runId, index));
  const parts = listed.filter((o) => o.key.slice(o.key.lastIndexOf('/') + 1).startsWith(`${name}-`));
  return Promise.all(parts.map(async (p) => decodeColumns(await store.get(p.key)).columns));
}

/**
 * The run's shard count as Ingest wrote it (undefined for a run staged without ingest.json): a shard
 * sizes its share of the fitting samples by it (lib/features/sampling.ts).
 */
export async function runShardCount(store: BlobStore, ref: RunRef): Promise<number | undefined> {
  return (await getJsonIfExists<{ shardCount?: number }>(store, runFile(ref, 'ingest.json')))?.shardCount;
}
