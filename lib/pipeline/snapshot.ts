// A run's input names the snapshot's objects. Step Functions caps every state's input at 256 KiB and
// the run input rides along every state, so a snapshot beyond a few hundred files is written to S3 and
// the input carries a pointer instead; every stage that needs the list reads it through here.
import { type BlobStore, getJson, putJson } from '../storage/blob.js';
import { keys } from '../storage/keys.js';
import type { IncomingObject, RunInput, SnapshotManifestRef } from './types.js';

/** Largest inline object list (JSON bytes): a quarter of the cap, leaving room for every step's result. */
export const INLINE_SNAPSHOT_BYTES = 64 * 1024;

export class SnapshotManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotManifestError';
  }
}

const isManifest = (objects: RunInput['objects']): objects is SnapshotManifestRef => !Array.isArray(objects);

/**
 * The run input for a snapshot: the objects inline when they fit in INLINE_SNAPSHOT_BYTES, else written
 * to snapshots/<dataset>/<runId>.json (the same bytes for the same snapshot, so a repeated start writes
 * the same object) and referenced.
 */
export async function snapshotRunInput(
  store: BlobStore,
  run: { dataset: string; runId: string },
  objects: IncomingObject[],
  inlineBytes = INLINE_SNAPSHOT_BYTES,
): Promise<RunInput> {
  if (Buffer.byteLength(JSON.stringify(objects)) <= inlineBytes) return { ...run, objects };
  const manifest = keys.snapshot(run.dataset, run.runId);
  await putJson(store, manifest, { dataset: run.dataset, runId: run.runId, objects });
  return { ...run, objects: { manifest, count: objects.length } };
}

/** The snapshot's objects, from the input or from its manifest (checked against the count it gave). */
export async function loadRunObjects(store: BlobStore, input: RunInput): Promise<IncomingObject[]> {
  if (!isManifest(input.objects)) return input.objects;
  const { manifest, count } = input.objects;
  const body = await getJson<{ objects?: IncomingObject[] }>(store, manifest);
  const objects = body.objects;
  if (!Array.isArray(objects) || objects.length !== count)
    throw new SnapshotManifestError(
      `the snapshot manifest ${manifest} of run ${input.runId} should list ${count} objects but lists ${Array.isArray(objects) ? objects.length : 'none'}; start the run again from the dataset's current files`,
    );
  return objects;
}

/** How many objects the run covers, without reading a manifest. */
export const runObjectCount = (input: RunInput): number =>
  isManifest(input.objects) ? input.objects.count : input.objects.length;

/** The inline object list of an input known to be small (local runs, tests); a manifest is an error. */
export function inlineObjects(input: RunInput): IncomingObject[] {
  if (isManifest(input.objects))
    throw new SnapshotManifestError(`run ${input.runId} lists its objects in ${input.objects.manifest}`);
  return input.objects;
}
