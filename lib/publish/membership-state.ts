// What PublishMemberships last wrote to DynamoDB, split by customer-hash range so each shard worker
// reads and writes only its own range. A manifest names the current state (run and shard count) and
// the catalog versions; it is switched only after every shard of a run succeeded. Layout and
// migration from the single-object state: docs/data-model.md, "Delta state".
import { type BlobStore, getJsonIfExists } from '../storage/blob.js';
import { decodeColumns, encodeColumns } from '../storage/columnar.js';
import { keys } from '../storage/keys.js';
import { HASH_SPACE, hashRange, shardOf } from '../util/hash.js';

/** Catalog card versions, by segment id ('retired' digests mark cards Report retired). */
export type CatalogState = Record<string, { digest: string; version: number }>;

/** state/<dataset>/memberships/<model>/manifest.json */
export interface MembershipManifest {
  runId: string;
  shardCount: number;
  catalog: CatalogState;
  /** the state this one replaced, removed once this manifest is in place (again by a repeated finish) */
  superseded?: { runId: string; shardCount: number } | 'legacy';
}

/** Shards of a run with `otherCount` shards whose ranges overlap shard `shard` of `shardCount`. */
export function overlappingShards(shard: number, shardCount: number, otherCount: number): number[] {
  const { lo, hi } = hashRange(shard, shardCount);
  const out: number[] = [];
  for (let j = Math.floor((lo * otherCount) / HASH_SPACE); j < otherCount; j++) {
    if (hashRange(j, otherCount).lo >= hi) break;
    out.push(j);
  }
  return out;
}

export async function loadManifest(
  store: BlobStore,
  dataset: string,
  model: string,
): Promise<MembershipManifest | undefined> {
  return getJsonIfExists<MembershipManifest>(store, keys.memberships.manifest(dataset, model));
}

/**
 * The published digests of the customers in one range: from the manifest's files that overlap it, or
 * from the legacy single object (the whole range), each filtered to the range. Held in one Map whose
 * size is the range's customers, not the dataset's.
 */
export async function loadRangeState(
  store: BlobStore,
  dataset: string,
  model: string,
  manifest: MembershipManifest | undefined,
  shard: number,
  shardCount: number,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const files = manifest
    ? overlappingShards(shard, shardCount, manifest.shardCount).map((j) =>
        keys.memberships.range(dataset, model, manifest.runId, j, manifest.shardCount),
      )
    : [keys.memberships.legacy(dataset, model)];
  for (const key of files) {
    // a manifest's files exist by construction; only the legacy object may be absent (first publish)
    const bytes = manifest ? await store.get(key) : await store.getIfExists(key);
    if (!bytes) continue;
    const { columns } = decodeColumns(bytes);
    const ids = columns.customerId as string[];
    const digests = columns.digest as string[];
    for (let i = 0; i < ids.length; i++)
      if (shardOf(ids[i], shardCount) === shard) out.set(ids[i], digests[i]);
  }
  return out;
}

/** The catalog versions of the legacy single-object state (kept in its metadata). */
export async function loadLegacyCatalog(
  store: BlobStore,
  dataset: string,
  model: string,
): Promise<CatalogState> {
  const bytes = await store.getIfExists(keys.memberships.legacy(dataset, model));
  if (!bytes) return {};
  return (decodeColumns(bytes).meta.catalog as CatalogState | undefined) ?? {};
}

export function encodeRangeState(
  ids: string[],
  digests: string[],
  meta: { runId: string; shard: number; shardCount: number },
): Uint8Array {
  return encodeColumns({ customerId: ids, digest: digests }, meta);
}
