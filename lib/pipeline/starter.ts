// The starter: an S3 "Object Created" event under incoming/<dataset>/ becomes one execution per
// dataset snapshot. The execution name is derived from the snapshot's objects, so the same
// snapshot delivered twice starts one run (ExecutionAlreadyExists is success).
import { createHash } from 'node:crypto';
import type { BlobStore } from '../storage/blob.js';
import { isValidDatasetName, keys, parseIncomingKey } from '../storage/keys.js';
import type { IncomingObject, RunInput } from './types.js';

export interface ObjectCreatedEvent {
  'detail-type'?: string;
  detail: {
    bucket?: { name: string };
    object: { key: string; size?: number; etag?: string; 'version-id'?: string };
  };
}

export type StartExecution = (name: string, input: RunInput) => Promise<'started' | 'already-exists'>;

export function snapshotRunId(objects: readonly IncomingObject[]): string {
  const h = createHash('sha256');
  for (const o of [...objects].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    h.update(`${o.key}\n${o.versionId ?? ''}\n${o.etag ?? ''}\n${o.size}\n`);
  }
  return `r${h.digest('hex').slice(0, 16)}`;
}

export function executionName(dataset: string, runId: string): string {
  return `${dataset}-${runId}`.slice(0, 80);
}

export class UnusableKeyError extends Error {
  constructor(key: string, why: string) {
    super(
      `ignored s3 key "${key}": ${why}. Drop files as incoming/<dataset>/<file>, dataset names in letters, digits, - and _`,
    );
    this.name = 'UnusableKeyError';
  }
}

export async function startRunForObject(
  store: BlobStore,
  event: ObjectCreatedEvent,
  start: StartExecution,
): Promise<{ dataset: string; runId: string; executionName: string; status: 'started' | 'already-exists' }> {
  // S3 event keys are URL-encoded with '+' for spaces
  const key = decodeURIComponent(event.detail.object.key.replace(/\+/g, ' '));
  const parsed = parseIncomingKey(key);
  if (!parsed) throw new UnusableKeyError(key, 'not under incoming/<dataset>/');
  if (!isValidDatasetName(parsed.dataset)) throw new UnusableKeyError(key, 'the dataset name is not usable');
  const listed = await store.list(keys.incomingPrefix(parsed.dataset));
  const objects: IncomingObject[] = listed
    .filter((o) => !o.key.endsWith('/'))
    .map((o) => ({
      key: o.key,
      size: o.size,
      etag: o.etag,
      ...(o.key === key && event.detail.object['version-id']
        ? { versionId: event.detail.object['version-id'] }
        : {}),
    }));
  if (!objects.some((o) => o.key === key)) {
    objects.push({
      key,
      size: event.detail.object.size ?? 0,
      etag: event.detail.object.etag,
      versionId: event.detail.object['version-id'],
    });
  }
  const runId = snapshotRunId(objects);
  const name = executionName(parsed.dataset, runId);
  const status = await start(name, { dataset: parsed.dataset, runId, objects });
  return { dataset: parsed.dataset, runId, executionName: name, status };
}
