// The starter: decides which run a drop or a scheduled refresh starts. A dataset's snapshot (every
// current object version under incoming/<dataset>/) names the run, so the same snapshot reached
// twice is one execution (ExecutionAlreadyExists is success); a settle window lets files dropped
// together start one run over all of them; a scheduled tick names its run after its scheduled time.
import { createHash } from 'node:crypto';
import type { BlobStore, VersionedObject } from '../storage/blob.js';
import { isValidDatasetName, keys, parseIncomingKey } from '../storage/keys.js';
import { snapshotRunInput } from './snapshot.js';
import type { IncomingObject, RunInput, SettleRequest } from './types.js';

export interface ObjectCreatedEvent {
  'detail-type'?: string;
  /** when S3 reported the object created (ISO 8601) */
  time?: string;
  detail: {
    bucket?: { name: string };
    object: { key: string; size?: number; etag?: string; 'version-id'?: string };
  };
}

export type StartExecution = (name: string, input: RunInput) => Promise<'started' | 'already-exists'>;

/** Longest SQS message delay, and so the longest settle window. */
export const MAX_SETTLE_SECONDS = 900;

export function snapshotRunId(objects: readonly IncomingObject[], scheduledTime?: string): string {
  const h = createHash('sha256');
  for (const o of [...objects].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    h.update(`${o.key}\n${o.versionId ?? ''}\n${o.etag ?? ''}\n${o.size}\n`);
  }
  if (scheduledTime === undefined) return `r${h.digest('hex').slice(0, 16)}`;
  h.update(`scheduled\n${scheduledTime}\n`);
  // the tick in the id (and so in the execution name and run folder) tells ops which refresh it is
  return `r${h.digest('hex').slice(0, 16)}-${compactTime(scheduledTime)}`;
}

/** Step Functions names allow 80 characters: a long dataset name is cut, never the run id. */
export function executionName(dataset: string, runId: string): string {
  return `${dataset.slice(0, Math.max(1, 79 - runId.length))}-${runId}`.slice(0, 80);
}

/** `2026-11-23T06:00:00Z` → `20261123T0600Z` (letters and digits only, as names require). */
function compactTime(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new UnusableTriggerError(`scheduledTime "${iso}" is not an ISO 8601 time`);
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\d\d\.\d{3}Z$/, 'Z');
}

export class UnusableKeyError extends Error {
  constructor(key: string, why: string) {
    super(
      `ignored s3 key "${key}": ${why}. Drop files as incoming/<dataset>/<file>, dataset names in letters, digits, - and _`,
    );
    this.name = 'UnusableKeyError';
  }
}

/** A trigger message that names no usable dataset or time; it goes to the dead-letter queue. */
export class UnusableTriggerError extends Error {
  constructor(message: string) {
    super(`${message}. A trigger names a dataset (letters, digits, - and _) and optionally a scheduledTime`);
    this.name = 'UnusableTriggerError';
  }
}

/** The dataset an S3 event key belongs to; S3 event keys are URL-encoded with '+' for spaces. */
export function datasetOfEventKey(encodedKey: string): { dataset: string; key: string } {
  const key = decodeURIComponent(encodedKey.replace(/\+/g, ' '));
  const parsed = parseIncomingKey(key);
  if (!parsed) throw new UnusableKeyError(key, 'not under incoming/<dataset>/');
  if (!isValidDatasetName(parsed.dataset)) throw new UnusableKeyError(key, 'the dataset name is not usable');
  return { dataset: parsed.dataset, key };
}

/** An S3 Object Created event as a settle request (the event time counts as activity). */
export function settleRequestOfDrop(event: ObjectCreatedEvent): SettleRequest {
  const { dataset } = datasetOfEventKey(event.detail.object.key);
  const time = event.time === undefined ? Number.NaN : Date.parse(event.time);
  return { dataset, ...(Number.isFinite(time) ? { lastActivityMs: time } : {}) };
}

/**
 * One request per (dataset, scheduled tick): a batch holding 200 events of one drop lists the
 * dataset once. The latest activity wins.
 */
export function mergeSettleRequests(requests: readonly SettleRequest[]): SettleRequest[] {
  const merged = new Map<string, SettleRequest>();
  for (const r of requests) {
    if (!isValidDatasetName(r.dataset))
      throw new UnusableTriggerError(`dataset "${r.dataset}" is not usable`);
    const id = `${r.dataset}\n${r.scheduledTime ?? ''}`;
    const seen = merged.get(id);
    const activity = Math.max(seen?.lastActivityMs ?? 0, r.lastActivityMs ?? 0);
    merged.set(id, {
      dataset: r.dataset,
      ...(r.scheduledTime === undefined ? {} : { scheduledTime: r.scheduledTime }),
      ...(activity > 0 ? { lastActivityMs: activity } : {}),
    });
  }
  return [...merged.values()];
}

/** The dataset's snapshot: every current object version under incoming/<dataset>/, by key. */
export async function listSnapshot(store: BlobStore, dataset: string): Promise<VersionedObject[]> {
  return (await store.listLatestVersions(keys.incomingPrefix(dataset)))
    .filter((o) => !o.key.endsWith('/'))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

async function runInputOf(
  store: BlobStore,
  dataset: string,
  snapshot: readonly VersionedObject[],
  scheduledTime?: string,
): Promise<RunInput> {
  // the input is a pure function of the snapshot (and tick): Step Functions treats a repeated
  // StartExecution with the same name and the same input as the same execution
  const objects: IncomingObject[] = snapshot.map((o) => ({
    key: o.key,
    ...(o.versionId === undefined ? {} : { versionId: o.versionId }),
    size: o.size,
    etag: o.etag,
  }));
  return snapshotRunInput(store, { dataset, runId: snapshotRunId(objects, scheduledTime) }, objects);
}

export type SettleOutcome =
  | { status: 'waiting'; dataset: string; scheduledTime?: string; delaySeconds: number }
  | { status: 'empty'; dataset: string; scheduledTime?: string }
  | {
      status: 'started' | 'already-exists';
      dataset: string;
      scheduledTime?: string;
      runId: string;
      executionName: string;
      objects: number;
    };

export interface SettleOptions {
  /** quiet time after the latest drop before a run starts */
  settleSeconds: number;
  nowMs: number;
  start: StartExecution;
  /** queue the request again, delivered after `delaySeconds` */
  requeue: (request: SettleRequest, delaySeconds: number) => Promise<void>;
}

/**
 * Starts the run over the dataset's snapshot once nothing under incoming/<dataset>/ has changed for
 * the settle window; until then queues itself again for the time that remains. Every message of one
 * drop ends up computing the same snapshot, hence the same execution name: one run.
 */
export async function settleAndStart(
  store: BlobStore,
  request: SettleRequest,
  options: SettleOptions,
): Promise<SettleOutcome> {
  const { dataset, scheduledTime } = request;
  const tick = scheduledTime === undefined ? {} : { scheduledTime };
  if (scheduledTime !== undefined) compactTime(scheduledTime); // refuse a bad tick before any I/O
  const snapshot = await listSnapshot(store, dataset);
  const newest = snapshot.reduce((m, o) => Math.max(m, o.lastModifiedMs), 0);
  const lastActivityMs = Math.max(newest, request.lastActivityMs ?? 0);
  const waitMs = lastActivityMs + options.settleSeconds * 1000 - options.nowMs;
  if (waitMs > 0) {
    const delaySeconds = Math.min(MAX_SETTLE_SECONDS, Math.ceil(waitMs / 1000));
    await options.requeue({ dataset, ...tick, lastActivityMs }, delaySeconds);
    return { status: 'waiting', dataset, ...tick, delaySeconds };
  }
  if (snapshot.length === 0) return { status: 'empty', dataset, ...tick };
  const input = await runInputOf(store, dataset, snapshot, scheduledTime);
  const name = executionName(dataset, input.runId);
  const status = await options.start(name, input);
  return { status, dataset, ...tick, runId: input.runId, executionName: name, objects: snapshot.length };
}

/** One message of the settle queue, its body already read as a request (or the reason it cannot be). */
export interface SettleMessage {
  messageId: string;
  request: SettleRequest | Error;
}

/**
 * A batch of the settle queue: requests merged per (dataset, tick) so a dataset is listed once,
 * each group settled or started, and the ids of the messages to retry returned (the rest are done).
 * An unusable message is reported failed rather than dropped: it ends in the dead-letter queue.
 */
export async function settleBatch(
  store: BlobStore,
  messages: readonly SettleMessage[],
  options: SettleOptions & {
    onOutcome?: (outcome: SettleOutcome, messages: number) => void;
    onError?: (error: Error, messageIds: readonly string[]) => void;
  },
): Promise<{ failedMessageIds: string[] }> {
  const failed: string[] = [];
  const groups = new Map<string, { requests: SettleRequest[]; messageIds: string[] }>();
  for (const { messageId, request } of messages) {
    if (request instanceof Error || !isValidDatasetName(request.dataset)) {
      options.onError?.(
        request instanceof Error
          ? request
          : new UnusableTriggerError(`dataset "${request.dataset}" is not usable`),
        [messageId],
      );
      failed.push(messageId);
      continue;
    }
    const id = `${request.dataset}\n${request.scheduledTime ?? ''}`;
    const group = groups.get(id) ?? { requests: [], messageIds: [] };
    group.requests.push(request);
    group.messageIds.push(messageId);
    groups.set(id, group);
  }
  for (const { requests, messageIds } of groups.values()) {
    const [request] = mergeSettleRequests(requests);
    try {
      options.onOutcome?.(await settleAndStart(store, request, options), messageIds.length);
    } catch (error) {
      options.onError?.(error as Error, messageIds);
      failed.push(...messageIds);
    }
  }
  return { failedMessageIds: failed };
}

/**
 * Starts the run for a drop at once (the local runner and watch mode, which settle on their own):
 * the snapshot as listed, the triggering key carrying the event's version where the store keeps none.
 */
export async function startRunForObject(
  store: BlobStore,
  event: ObjectCreatedEvent,
  start: StartExecution,
): Promise<{ dataset: string; runId: string; executionName: string; status: 'started' | 'already-exists' }> {
  const { dataset, key } = datasetOfEventKey(event.detail.object.key);
  const eventVersion = event.detail.object['version-id'];
  const snapshot = (await listSnapshot(store, dataset)).map((o) =>
    o.key === key && o.versionId === undefined && eventVersion ? { ...o, versionId: eventVersion } : o,
  );
  if (!snapshot.some((o) => o.key === key)) {
    snapshot.push({
      key,
      size: event.detail.object.size ?? 0,
      etag: event.detail.object.etag ?? '',
      lastModifiedMs: 0,
      ...(eventVersion ? { versionId: eventVersion } : {}),
    });
  }
  const input = await runInputOf(store, dataset, snapshot);
  const name = executionName(dataset, input.runId);
  const status = await start(name, input);
  return { dataset, runId: input.runId, executionName: name, status };
}
