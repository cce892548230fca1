// Publish stages: DynamoDB memberships and catalog (delta), S3 exports (CSV + Parquet), and audience
// destinations (delta per audience, hashed, exactly-once per batch). Consent, suppressions, erasures
// and holdouts are applied here, before anything is written or sent. Data model: docs/data-model.md.
import { createHash } from 'node:crypto';
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import type { DestinationSettings } from '../config/schema.js';
import {
  AudienceBuilder,
  type AudienceMembers,
  deltaId,
  loadAudienceState,
  memberDelta,
  rowsWithout,
  S3CheckpointStore,
  saveAudienceState,
} from '../publish/audience-state.js';
import {
  type AudienceDelta,
  type Connector,
  type ConnectorDeps,
  createConnector,
  type DestinationConfig,
  pushToDestinations,
} from '../publish/connector.js';
import { csvLine } from '../publish/csv.js';
import { type HashedIdentity, hashIdentity } from '../publish/identity.js';
import {
  type CatalogState,
  encodeRangeState,
  loadLegacyCatalog,
  loadManifest,
  loadRangeState,
  type MembershipManifest,
} from '../publish/membership-state.js';
import { createRunSecretProvider } from '../publish/secrets.js';
import {
  exclusionOf,
  loadSuppressions,
  rememberErasures,
  type SuppressionList,
} from '../publish/suppressions.js';
import { isHoldout } from '../segments/holdout.js';
import { type BlobStore, type BlobWriter, getJson, getJsonIfExists, putJson } from '../storage/blob.js';
import { decodeColumns } from '../storage/columnar.js';
import { keys } from '../storage/keys.js';
import { type DynamoSegmentStore, type MembershipItem, membershipRecord } from '../storage/segment-store.js';
import { AUDIENCE_PUBLISH_ERROR, MEMBERSHIP_SHARD_ERROR } from '../util/error-names.js';
import { shardOf } from '../util/hash.js';
import { loadPredictiveModels, loadPredictiveScores, type PredictiveSegment } from './predictive.js';
import { loadRunConfig, readParts, runFile, shardFile } from './run-files.js';
import type { RunRef, StageDone } from './types.js';
import type { ValidationResult } from './validate.js';

interface Scored {
  customerId: string[];
  segment: Int32Array;
  distance: Float64Array;
}

async function loadScores(store: BlobStore, ref: RunRef, index: number): Promise<Scored> {
  const { columns } = decodeColumns(await store.get(shardFile(ref, index, 'scores.bin')));
  return columns as unknown as Scored;
}

const BAND = ['low', 'medium', 'high'] as const;

/** Per-customer predictive values of one shard, read row by row (aligned with scores.bin). */
interface PredictiveRow {
  score?: Float64Array;
  band?: Uint8Array;
  percentile?: Float64Array;
  clv?: Float64Array;
  pAlive?: Float64Array;
  lookalikePercentile?: Float64Array;
  lookalike?: Uint8Array;
  columns: Record<string, unknown>;
}

async function loadPredictiveRows(store: BlobStore, ref: RunRef, index: number): Promise<PredictiveRow> {
  const [models, columns] = await Promise.all([
    loadPredictiveModels(store, ref),
    loadPredictiveScores(store, ref, index),
  ]);
  if (!columns) return { columns: {} };
  const primary = models?.propensity.find((m) => m.status === 'fitted')?.target.name;
  const prefix = `prop_${primary}`;
  return {
    ...(primary
      ? {
          score: columns[`${prefix}_score`] as Float64Array,
          band: columns[`${prefix}_band`] as Uint8Array,
          percentile: columns[`${prefix}_percentile`] as Float64Array,
        }
      : {}),
    clv: columns.clv as Float64Array | undefined,
    pAlive: columns.pAlive as Float64Array | undefined,
    lookalikePercentile: columns.lookalike_percentile as Float64Array | undefined,
    lookalike: columns.lookalike_in as Uint8Array | undefined,
    columns,
  };
}

/** The membership's predictive attributes for one row. */
function predictiveValues(p: PredictiveRow, row: number): Partial<MembershipItem> {
  const out: Partial<MembershipItem> = {};
  if (p.score) out.score = p.score[row];
  if (p.band) out.band = BAND[p.band[row]];
  if (p.percentile) out.percentile = p.percentile[row];
  if (p.clv) out.clv = p.clv[row];
  if (p.pAlive) out.pAlive = p.pAlive[row];
  if (p.lookalikePercentile) out.lookalikePercentile = p.lookalikePercentile[row];
  if (p.lookalike) out.lookalike = p.lookalike[row] === 1;
  return out;
}

/** Is the customer in this band / lookalike group? */
function inGroup(group: PredictiveSegment, p: PredictiveRow, row: number): boolean {
  const column = p.columns[group.column] as Uint8Array | undefined;
  return column !== undefined && column[row] === group.value;
}

const cell = (v: number | undefined, digits = 4): string | number =>
  v === undefined || !Number.isFinite(v) ? '' : Math.round(v * 10 ** digits) / 10 ** digits;

/** Consent flags as ingested: 1 granted, 0 refused, 2 not stated. */
interface Identity {
  email: string;
  phone: string;
  country: string;
  consentEmail: number;
  consentSms: number;
  consentAds: number;
}

const CONSENT_FIELDS = { ads: 'consentAds', email: 'consentEmail', sms: 'consentSms' } as const;
type ConsentChannel = keyof typeof CONSENT_FIELDS;

async function loadIdentities(store: BlobStore, ref: RunRef, index: number): Promise<Map<string, Identity>> {
  const out = new Map<string, Identity>();
  for (const part of await readParts(store, ref, index, 'identities')) {
    const ids = part.customerId as string[];
    const flag = (name: string, i: number, prev: number | undefined): number => {
      const column = part[name] as Uint8Array | undefined;
      const v = column ? column[i] : 2;
      return v !== 2 ? v : (prev ?? 2);
    };
    for (let i = 0; i < ids.length; i++) {
      const prev = out.get(ids[i]);
      out.set(ids[i], {
        email: (part.email as string[])[i] || prev?.email || '',
        phone: (part.phone as string[])[i] || prev?.phone || '',
        country: (part.country as string[])[i] || prev?.country || '',
        consentEmail: flag('consentEmail', i, prev?.consentEmail),
        consentSms: flag('consentSms', i, prev?.consentSms),
        consentAds: flag('consentAds', i, prev?.consentAds),
      });
    }
  }
  return out;
}

function hashed(id: string, who: Identity | undefined): HashedIdentity | undefined {
  return who
    ? hashIdentity({ customerId: id, email: who.email, phone: who.phone, country: who.country })
    : undefined;
}

/** Erasure by email/phone hash needs each customer's hashes; skip the hashing when no request has any. */
const needsHashes = (s: SuppressionList): boolean => s.erased.hashes.size > 0 || s.suppressed.hashes.size > 0;

const digest = (value: unknown): string =>
  createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sortedKeys = new Map<string, string[]>();
/**
 * digest() of a flat record without its runId, without building the copy or sorting its keys each
 * time (records of one run share a handful of key sets): the same value, so stored states stay valid.
 */
export function recordDigest(record: Record<string, unknown>): string {
  const own = Object.keys(record);
  const shape = own.join(',');
  let keys = sortedKeys.get(shape);
  if (!keys) {
    keys = own.filter((k) => k !== 'runId').sort((a, b) => (a < b ? -1 : 1));
    sortedKeys.set(shape, keys);
  }
  let text = '{';
  for (let i = 0; i < keys.length; i++) {
    const v = record[keys[i]];
    if (v === undefined) continue;
    if (text.length > 1) text += ',';
    text += `${JSON.stringify(keys[i])}:${v !== null && typeof v === 'object' ? canonicalJson(v) : (JSON.stringify(v) ?? 'null')}`;
  }
  return createHash('sha256').update(`${text}}`).digest('hex').slice(0, 16);
}

/** Per-stage erasure report, merged into the run summary's `erasure` field. */
export interface ErasureReport {
  stage: string;
  places: { where: string; removed: number }[];
  requests?: { suppress: number; erase: number };
  remembered?: number;
}

async function writeErasureReport(store: BlobStore, ref: RunRef, report: ErasureReport): Promise<void> {
  await putJson(store, runFile(ref, `erasure-${report.stage}.json`), report);
}

/** Named so an operator sees at once that the run's shards and its publish disagree. */
export class MembershipShardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = MEMBERSHIP_SHARD_ERROR;
  }
}

/** What one shard worker did: summed by finishMemberships into the step's StageDone. */
export interface MembershipShardResult {
  shard: number;
  shardCount: number;
  memberships: number;
  holdouts: number;
  written: number;
  deleted: number;
  batchWriteCalls: number;
  erasedDeleted: number;
  erasedKeptOut: number;
}

const MODEL = 'clusters';

/**
 * One shard's delta: writes the memberships of its customers that differ from the published state of
 * its hash range (any attribute but runId, which names the run that last changed the item) and deletes
 * the customers of its range that are gone or erased. Its new state and counts go to the run folder;
 * nothing is published until finishMemberships has every shard's. Running it again (a retry, a run
 * that failed before its finish) repeats the same puts and deletes: idempotent.
 */
export async function publishMembershipShard(
  store: BlobStore,
  segments: DynamoSegmentStore,
  ref: RunRef & { shardCount: number; shard: { index: number } },
): Promise<MembershipShardResult & RunRef> {
  const model = MODEL;
  const { shardCount } = ref;
  const shard = ref.shard.index;
  if (shard >= shardCount)
    throw new MembershipShardError(`shard ${shard} is outside the run's ${shardCount} shards`);
  const config = await loadRunConfig(store, ref);
  const validation = await getJson<ValidationResult>(store, runFile(ref, 'segments.json'));
  const suppressions = await loadSuppressions(store, ref);
  const manifest = await loadManifest(store, ref.dataset, model);
  // published digests of this range; what is left in it after the scan is to be deleted
  const before = await loadRangeState(store, ref.dataset, model, manifest, shard, shardCount);
  const ids: string[] = [];
  const digests: string[] = [];
  let written = 0;
  let membershipCalls = 0;
  // Changed records are written as they are built, in whole requests of 25, so only a few thousand
  // are held at a time; the remainder goes with the deletes at the end (as few requests as one write).
  let pending: Record<string, unknown>[] = [];
  let holdouts = 0;
  let erasedKeptOut = 0;
  const erasedIds = new Set<string>();
  const scored = await loadScores(store, ref, shard);
  const identities = needsHashes(suppressions) ? await loadIdentities(store, ref, shard) : undefined;
  const predictive = await loadPredictiveRows(store, ref, shard);
  for (let row = 0; row < scored.customerId.length; row++) {
    const customerId = scored.customerId[row];
    if (row === 0 && shardOf(customerId, shardCount) !== shard)
      // one check per shard is enough to catch a run partitioned by another rule (the old modulo)
      throw new MembershipShardError(
        `shard ${shard} of ${shardCount} holds customer ${customerId}, whose hash belongs to shard ` +
          `${shardOf(customerId, shardCount)}: the run was partitioned by an older version. Drop the files again to start a new run.`,
      );
    const h = identities ? hashed(customerId, identities.get(customerId)) : undefined;
    if (exclusionOf(suppressions, customerId, h) === 'erased') {
      if (before.has(customerId)) erasedIds.add(customerId);
      else erasedKeptOut++;
      continue;
    }
    const segmentId = validation.segments[scored.segment[row]].id;
    const holdout = isHoldout(
      config.segments.holdoutSalt,
      customerId,
      segmentId,
      config.segments.holdoutShare,
    );
    if (holdout) holdouts++;
    const item: MembershipItem = {
      customerId,
      segmentId,
      runId: ref.runId,
      holdout,
      distance: scored.distance[row],
      ...predictiveValues(predictive, row),
    };
    const record = membershipRecord(ref.dataset, model, item);
    const d = recordDigest(record);
    ids.push(customerId);
    digests.push(d);
    const previous = before.get(customerId);
    before.delete(customerId);
    if (previous === d) continue;
    pending.push(record);
    written++;
    if (pending.length >= 25 * 200) {
      membershipCalls += await segments.writeMemberships(ref.dataset, model, pending, []);
      pending = [];
    }
  }
  const deletes = [...before.keys()];
  before.clear();
  // Erased customers no longer in the data are matched by id only (their hashes are gone with them).
  for (const id of deletes) if (suppressions.erased.customerIds.has(id)) erasedIds.add(id);
  membershipCalls += await segments.writeMemberships(ref.dataset, model, pending, deletes);
  const result: MembershipShardResult = {
    shard,
    shardCount,
    memberships: ids.length,
    holdouts,
    written,
    deleted: deletes.length,
    batchWriteCalls: membershipCalls,
    erasedDeleted: erasedIds.size,
    erasedKeptOut,
  };
  await store.put(
    keys.memberships.runRange(ref.dataset, ref.runId, model, shard, shardCount),
    encodeRangeState(ids, digests, { runId: ref.runId, shard, shardCount }),
  );
  await putJson(store, keys.memberships.runResult(ref.dataset, ref.runId, model, shard, shardCount), result);
  return { dataset: ref.dataset, runId: ref.runId, ...result };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function inBatches<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * After every shard succeeded: writes the catalog cards whose content changed (with a new version),
 * publishes the shards' state (copied from the run folder, then the manifest switched in one put), removes
 * the state it superseded, and sums the shards' counts. Until the switch the previous state stays
 * current, so a run that failed after some shards is recomputed against it by the next run.
 */
export async function finishMemberships(
  store: BlobStore,
  segments: DynamoSegmentStore,
  ref: RunRef & { shardCount: number },
): Promise<StageDone> {
  const model = MODEL;
  const { shardCount } = ref;
  const validation = await getJson<ValidationResult>(store, runFile(ref, 'segments.json'));
  const suppressions = await loadSuppressions(store, ref);
  const shards: MembershipShardResult[] = [];
  for (let i = 0; i < shardCount; i++) {
    const r = await getJsonIfExists<MembershipShardResult>(
      store,
      keys.memberships.runResult(ref.dataset, ref.runId, model, i, shardCount),
    );
    if (!r)
      throw new MembershipShardError(
        `shard ${i} of ${shardCount} has no membership result: it did not finish, so nothing of this run is published`,
      );
    shards.push(r);
  }
  const manifest = await loadManifest(store, ref.dataset, model);
  const current = manifest?.runId === ref.runId && manifest.shardCount === shardCount;

  // The catalog: a card is rewritten (with version + 1) only when its content changed.
  const catalogBefore = manifest?.catalog ?? (await loadLegacyCatalog(store, ref.dataset, model));
  const catalogNow: CatalogState = {};
  const cards: Record<string, unknown>[] = [];
  // propensity bands and lookalike audiences are catalogued like segments (with the model they come from)
  for (const s of [...validation.segments, ...(validation.predictive?.groups ?? [])]) {
    const card = {
      ...('model' in s ? { model: s.model } : {}),
      segmentId: s.id,
      name: s.name,
      description: s.description,
      size: s.size,
      share: s.share,
      status: s.status,
      checks: s.checks,
      profile: s.means,
    };
    const d = digest(card);
    const prev = catalogBefore[s.id];
    const version = prev ? (prev.digest === d ? prev.version : prev.version + 1) : 1;
    catalogNow[s.id] = { digest: d, version };
    if (!prev || prev.digest !== d) cards.push({ ...card, runId: ref.runId, version });
  }
  for (const [id, prev] of Object.entries(catalogBefore)) {
    if (catalogNow[id] || prev.digest === 'retired') {
      if (!catalogNow[id]) catalogNow[id] = prev;
      continue;
    }
    // A segment that disappeared keeps its card so old audiences can be traced: Report marks it
    // retired in place (UpdateItem keeps its name and description); a Put here would erase them.
    catalogNow[id] = { digest: 'retired', version: prev.version + 1 };
  }
  const catalogCalls = cards.length ? await segments.putCatalog(ref.dataset, cards) : 0;

  // Publish the state: the range files first, then the manifest naming them (one atomic put).
  if (!current) {
    await inBatches(
      Array.from({ length: shardCount }, (_, i) => i),
      16,
      (i) =>
        store.copy(
          keys.memberships.runRange(ref.dataset, ref.runId, model, i, shardCount),
          keys.memberships.range(ref.dataset, model, ref.runId, i, shardCount),
        ),
    );
    const next: MembershipManifest = {
      runId: ref.runId,
      shardCount,
      catalog: catalogNow,
      superseded: manifest ? { runId: manifest.runId, shardCount: manifest.shardCount } : 'legacy',
    };
    await putJson(store, keys.memberships.manifest(ref.dataset, model), next);
    await removeSuperseded(store, ref.dataset, model, next);
  } else {
    // a repeat of a finish that switched already: only what it may not have removed
    await removeSuperseded(store, ref.dataset, model, manifest);
  }
  await rememberErasures(store, ref);
  const erasedDeleted = shards.reduce((n, r) => n + r.erasedDeleted, 0);
  await writeErasureReport(store, ref, {
    stage: 'memberships',
    places: [{ where: 'dynamodb:memberships', removed: erasedDeleted }],
    requests: suppressions.requests,
    remembered: suppressions.remembered,
  });
  const sum = (k: 'memberships' | 'holdouts' | 'written' | 'deleted' | 'batchWriteCalls' | 'erasedKeptOut') =>
    shards.reduce((n, r) => n + r[k], 0);
  const memberships = sum('memberships');
  const written = sum('written');
  return {
    dataset: ref.dataset,
    runId: ref.runId,
    stage: 'publish-memberships',
    memberships,
    holdouts: sum('holdouts'),
    written,
    deleted: sum('deleted'),
    unchanged: memberships - written,
    catalogWritten: cards.length,
    batchWriteCalls: sum('batchWriteCalls') + catalogCalls,
    erased: { deleted: erasedDeleted, keptOut: sum('erasedKeptOut') },
  };
}

/** Deletes the state a manifest replaced (deleting what is gone already is a no-op). */
async function removeSuperseded(
  store: BlobStore,
  dataset: string,
  model: string,
  manifest: MembershipManifest,
): Promise<void> {
  const old = manifest.superseded;
  if (!old) return;
  if (old === 'legacy') {
    await store.delete([keys.memberships.legacy(dataset, model)]);
    return;
  }
  if (old.runId === manifest.runId) return;
  const stale = Array.from({ length: old.shardCount }, (_, j) =>
    keys.memberships.range(dataset, model, old.runId, j, old.shardCount),
  );
  for (let i = 0; i < stale.length; i += 1000) await store.delete(stale.slice(i, i + 1000));
}

/**
 * Writes only what changed since the last published state, every shard in turn then the finish: what
 * the workflow does with a Distributed Map and a task (the local CLI's and the tests' entry point).
 */
export async function publishMemberships(
  store: BlobStore,
  segments: DynamoSegmentStore,
  ref: RunRef & { shardCount: number },
): Promise<StageDone> {
  for (let i = 0; i < ref.shardCount; i++)
    await publishMembershipShard(store, segments, { ...ref, shard: { index: i } });
  return finishMemberships(store, segments, ref);
}

interface SegmentRows {
  ids: string[];
  holdout: boolean[];
  distance: number[];
}

const parquetColumns = (segmentId: string, rows: SegmentRows) => [
  { name: 'customer_id', data: rows.ids, type: 'STRING' as const },
  { name: 'segment_id', data: rows.ids.map(() => segmentId), type: 'STRING' as const },
  { name: 'holdout', data: rows.holdout, type: 'BOOLEAN' as const },
  { name: 'distance', data: rows.distance, type: 'DOUBLE' as const },
];

/**
 * One segment's Parquet file written a row group per shard: the encoder's bytes go to the blob after
 * each row group, so only one shard's rows of the segment are held, never the whole segment.
 */
function openParquetExport(out: BlobWriter, segmentId: string) {
  const bytes = new ByteWriter();
  const drain = async (): Promise<void> => {
    if (bytes.index === 0) return;
    await out.write(bytes.getBytes().slice());
    // the encoder tracks file positions in offset; index is only the unflushed tail (as its fileWriter)
    bytes.index = 0;
  };
  const empty: SegmentRows = { ids: [], holdout: [], distance: [] };
  const writer = new ParquetWriter({
    writer: Object.assign(bytes, { flush: drain }),
    schema: schemaFromColumnData({ columnData: parquetColumns(segmentId, empty) }),
  });
  return {
    async write(rows: SegmentRows): Promise<void> {
      if (rows.ids.length === 0) return;
      await writer.write({ columnData: parquetColumns(segmentId, rows), rowGroupSize: rows.ids.length });
      await drain();
    },
    async close(): Promise<void> {
      await writer.finish();
      await drain();
      await out.close();
    },
  };
}

/**
 * An audience file of hashed identifiers, written through the store's bounded part buffer rather than
 * joined into one string (a large audience would pass V8's string limit): each row's line is made as it
 * is written. Returns the member count.
 */
async function writeAudienceFile(
  store: BlobStore,
  key: string,
  rows: ArrayLike<number>,
  line: (row: number) => string,
): Promise<number> {
  const out = store.openWrite(key, 'text/csv');
  try {
    await out.write(csvLine(['email_sha256', 'phone_sha256']));
    for (let i = 0; i < rows.length; i++) await out.write(line(rows[i]));
    await out.close();
  } catch (error) {
    await out.abort();
    throw error;
  }
  return rows.length;
}

/**
 * Per-segment CSV (formula-safe cells) and Parquet exports plus segments.csv and memberships.csv under
 * exports/<dataset>/latest/. Erased customers are left out; files of segments that no longer exist are
 * deleted so no stale copy keeps an erased person.
 */
export async function publishExports(
  store: BlobStore,
  ref: RunRef & { shardCount: number },
): Promise<StageDone> {
  const config = await loadRunConfig(store, ref);
  const validation = await getJson<ValidationResult>(store, runFile(ref, 'segments.json'));
  const suppressions = await loadSuppressions(store, ref);
  const prefix = keys.exports(ref.dataset);
  // every export streams to the store shard by shard (one part buffer per open file, Parquet a row group
  // per shard), so its size is bounded by the bucket, not by a string or an array (docs/scale.md, item 3)
  const memberships = store.openWrite(`${prefix}memberships.csv`, 'text/csv');
  const perSegment = validation.segments.map((s) =>
    store.openWrite(`${prefix}segments/${s.id}.csv`, 'text/csv'),
  );
  const parquetOut = validation.segments.map((s) =>
    store.openWrite(`${prefix}segments/${s.id}.parquet`, 'application/vnd.apache.parquet'),
  );
  const parquet = validation.segments.map((s, k) => openParquetExport(parquetOut[k], s.id));
  const groups = validation.predictive?.groups ?? [];
  const perGroup = groups.map((g) => store.openWrite(`${prefix}segments/${g.id}.csv`, 'text/csv'));
  const writers = [memberships, ...perSegment, ...perGroup, ...parquetOut];
  let erased = 0;
  try {
    await memberships.write(
      csvLine([
        'customer_id',
        'segment_id',
        'segment_name',
        'holdout',
        'distance',
        'score',
        'band',
        'percentile',
        'clv',
        'p_alive',
        'lookalike_percentile',
        'lookalike',
      ]),
    );
    for (const w of [...perSegment, ...perGroup]) await w.write(csvLine(['customer_id', 'holdout']));
    for (let i = 0; i < ref.shardCount; i++) {
      const scored = await loadScores(store, ref, i);
      const identities = needsHashes(suppressions) ? await loadIdentities(store, ref, i) : undefined;
      const predictive = await loadPredictiveRows(store, ref, i);
      const shardRows = validation.segments.map((): SegmentRows => ({ ids: [], holdout: [], distance: [] }));
      for (let row = 0; row < scored.customerId.length; row++) {
        const seg = validation.segments[scored.segment[row]];
        const id = scored.customerId[row];
        if (
          exclusionOf(suppressions, id, identities ? hashed(id, identities.get(id)) : undefined) === 'erased'
        ) {
          erased++;
          continue;
        }
        const holdout = isHoldout(config.segments.holdoutSalt, id, seg.id, config.segments.holdoutShare);
        const distance = Math.round(scored.distance[row] * 1e4) / 1e4;
        await memberships.write(
          csvLine([
            id,
            seg.id,
            seg.name,
            holdout ? 1 : 0,
            distance,
            cell(predictive.score?.[row], 2),
            predictive.band ? BAND[predictive.band[row]] : '',
            cell(predictive.percentile?.[row], 2),
            cell(predictive.clv?.[row], 2),
            cell(predictive.pAlive?.[row]),
            cell(predictive.lookalikePercentile?.[row], 2),
            predictive.lookalike ? predictive.lookalike[row] : '',
          ]),
        );
        await perSegment[seg.index].write(csvLine([id, holdout ? 1 : 0]));
        for (let k = 0; k < groups.length; k++) {
          const g = groups[k];
          if (!inGroup(g, predictive, row)) continue;
          const held = isHoldout(config.segments.holdoutSalt, id, g.id, config.segments.holdoutShare);
          await perGroup[k].write(csvLine([id, held ? 1 : 0]));
        }
        const p = shardRows[seg.index];
        p.ids.push(id);
        p.holdout.push(holdout);
        p.distance.push(distance);
      }
      for (let k = 0; k < parquet.length; k++) await parquet[k].write(shardRows[k]);
    }
    await Promise.all([memberships, ...perSegment, ...perGroup].map((w) => w.close()));
    await Promise.all(parquet.map((p) => p.close()));
  } catch (error) {
    // an export cut short must not replace yesterday's file with half of today's
    // settled, not all: a failed abort must not hide the cause (the bucket's lifecycle rule cleans up)
    await Promise.allSettled(writers.map((w) => w.abort()));
    throw error;
  }
  const segmentsCsv =
    csvLine(['segment_id', 'name', 'description', 'size', 'share', 'status']) +
    [...validation.segments, ...(validation.predictive?.groups ?? [])]
      .map((s) => csvLine([s.id, s.name, s.description, s.size, s.share, s.status]))
      .join('');
  await store.put(`${prefix}segments.csv`, segmentsCsv, 'text/csv');
  const written = new Set<string>();
  for (const s of validation.segments) {
    written.add(`${prefix}segments/${s.id}.csv`).add(`${prefix}segments/${s.id}.parquet`);
  }
  for (const g of groups) written.add(`${prefix}segments/${g.id}.csv`);
  const stale = (await store.list(`${prefix}segments/`)).map((o) => o.key).filter((k) => !written.has(k));
  if (stale.length) await store.delete(stale);
  await writeErasureReport(store, ref, { stage: 'exports', places: [{ where: 'exports', removed: erased }] });
  return {
    dataset: ref.dataset,
    runId: ref.runId,
    stage: 'publish-exports',
    files: validation.segments.length * 2 + groups.length + 2,
    staleDeleted: stale.length,
    erased,
  };
}

/** One or more destinations failed; the others completed and their state was saved. */
export class AudiencePublishError extends Error {
  readonly failures: { destination: string; audience: string; error: string }[];
  constructor(failures: { destination: string; audience: string; error: string }[]) {
    super(
      `${failures.length} audience push(es) failed: ${failures
        .map((f) => `${f.destination} "${f.audience}": ${f.error}`)
        .join('; ')}. Every other destination was updated. Fix the destination (token, audience id, ` +
        'platform status) and re-run: delivered batches are not sent again.',
    );
    this.name = AUDIENCE_PUBLISH_ERROR;
    this.failures = failures;
  }
}

export interface AudienceResult {
  destination: string;
  segment: string;
  /** S3 key of the file (file destinations) or of the last pushed state (platforms). */
  key: string;
  /** Audience size after this run (consented, non-holdout, not suppressed). */
  members: number;
  audienceName?: string;
  type?: string;
  status?: 'sent' | 'unchanged' | 'dry-run' | 'failed' | 'written' | 'held-back';
  adds?: number;
  removes?: number;
  sent?: { adds: number; removes: number };
  resumedBatches?: number;
  skipped?: string;
  error?: string;
  /** Removes sent because the person was erased. */
  erased?: number;
}

export interface AudienceDeps {
  connector?: Partial<ConnectorDeps>;
  log?: (msg: string, data?: Record<string, unknown>) => void;
}

let defaultDeps: AudienceDeps = {};
/** Test and local-runner hook: connector deps (e.g. shorter retries) used when a handler passes none. */
export function setAudienceDeps(deps: AudienceDeps): void {
  defaultDeps = deps;
}

const structuredLog = (msg: string, data?: Record<string, unknown>): void => {
  console.info(JSON.stringify({ level: 'INFO', message: msg, ...data }));
};

function targets(dest: DestinationSettings, seg: { id: string; name: string }): boolean {
  return dest.segments.includes('*') || dest.segments.includes(seg.id) || dest.segments.includes(seg.name);
}

/** Destination settings → the connector's config, with this audience's platform id filled in. */
function connectorConfig(dest: DestinationSettings, audienceId: string | undefined): DestinationConfig {
  const d = dest as DestinationSettings & Record<string, unknown>;
  const common = { baseUrl: dest.baseUrl, batchSize: dest.batchSize, apiVersion: dest.apiVersion };
  const token = dest.tokenSecretArn ?? '';
  switch (dest.type) {
    case 'meta':
      return {
        type: 'meta',
        ...common,
        adAccountId: dest.adAccountId ?? '',
        tokenSecretArn: token,
        audienceId,
      };
    case 'google':
      return {
        type: 'google',
        ...common,
        customerId: dest.customerId ?? '',
        userListId: audienceId ?? '',
        tokenSecretArn: token,
        developerTokenSecretArn: dest.developerTokenSecretArn,
        loginCustomerId: dest.loginCustomerId,
        consent: d.consent as { adUserData: 'GRANTED' | 'DENIED'; adPersonalization: 'GRANTED' | 'DENIED' },
      };
    case 'tiktok':
      return {
        type: 'tiktok',
        ...common,
        advertiserId: dest.advertiserId ?? '',
        tokenSecretArn: token,
        audienceId,
      };
    case 'linkedin':
      return { type: 'linkedin', ...common, segmentId: audienceId ?? '', tokenSecretArn: token };
    case 'webhook':
      return {
        type: 'webhook',
        url: dest.url ?? '',
        signingSecretArn: dest.signingSecretArn ?? '',
        batchSize: dest.batchSize,
      };
    default:
      throw new Error(`destination type ${dest.type} has no connector`);
  }
}

/** The platform id of one segment's audience: per-segment mapping first, then the destination's own. */
function audienceSettings(dest: DestinationSettings, seg: { id: string; name: string }) {
  const mapped = dest.audiences?.[seg.id] ?? dest.audiences?.[seg.name];
  const fallback = dest.audienceId ?? dest.userListId ?? dest.segmentId;
  return {
    audienceId: mapped?.audienceId ?? fallback,
    name: mapped?.name ?? `${dest.audienceNamePrefix}${seg.name}`,
  };
}

/** One segment's candidates, sorted by customer id, with their consent flags alongside. */
interface Candidates {
  members: AudienceMembers;
  /** consentEmail, consentSms, consentAds flags: three bytes per member, same rows */
  consent: Uint8Array;
}

type Excluded = {
  holdout: number;
  suppressed: number;
  erased: number;
  noIdentifier: number;
  noConsent: number;
};

/**
 * The candidates of one segment, read shard by shard: only this segment's members are held (hashed).
 * `stated`, when given, is filled from every identity of the run (what "not stated" consent means).
 */
async function segmentCandidates(
  store: BlobStore,
  ref: RunRef & { shardCount: number },
  config: Awaited<ReturnType<typeof loadRunConfig>>,
  seg: { id: string; index: number; size?: number },
  suppressions: SuppressionList,
  excluded: Excluded,
  stated: Record<ConsentChannel, boolean> | undefined,
): Promise<Candidates> {
  // the segment's size bounds its candidates, so the columns are allocated once
  const list = new AudienceBuilder(seg.size ?? 1024, 3);
  for (let i = 0; i < ref.shardCount; i++) {
    const scored = await loadScores(store, ref, i);
    const identities = await loadIdentities(store, ref, i);
    if (stated)
      for (const who of identities.values()) {
        if (who.consentEmail !== 2) stated.email = true;
        if (who.consentSms !== 2) stated.sms = true;
        if (who.consentAds !== 2) stated.ads = true;
      }
    for (let row = 0; row < scored.customerId.length; row++) {
      if (scored.segment[row] !== seg.index) continue;
      const id = scored.customerId[row];
      if (isHoldout(config.segments.holdoutSalt, id, seg.id, config.segments.holdoutShare)) {
        excluded.holdout++;
        continue;
      }
      const who = identities.get(id);
      const identity = hashed(id, who);
      const exclusion = exclusionOf(suppressions, id, identity);
      if (exclusion) {
        excluded[exclusion]++;
        continue;
      }
      if (!who || !identity || (!identity.emailSha256 && !identity.phoneSha256)) {
        excluded.noIdentifier++;
        continue;
      }
      list.add(identity, [who.consentEmail, who.consentSms, who.consentAds]);
    }
  }
  const { members, extra } = list.build();
  return { members, consent: extra };
}

/**
 * One audience's delta on its way to a platform, with the state it leads to: the `rows` of `members`
 * (the segment's candidates) once sent, or those rows without `addRows` when the platform minimum
 * held the adds back (the previous state minus the removes, without keeping the previous state).
 */
interface AudienceJob {
  connector: Connector;
  delta: AudienceDelta;
  stateKey: string;
  generation: number;
  members: AudienceMembers;
  rows: Uint32Array;
  addRows: Uint32Array;
  result: AudienceResult;
}

/**
 * Pushes a group of audiences concurrently, then saves each one's new state: what the platform now
 * holds. A failed push keeps its state, so the next attempt resumes from the checkpoints.
 */
async function pushAudienceJobs(
  store: BlobStore,
  ref: RunRef,
  jobs: readonly AudienceJob[],
  log: NonNullable<AudienceDeps['log']>,
): Promise<void> {
  if (!jobs.length) return;
  const outcomes = await pushToDestinations(
    jobs.map((j) => ({ connector: j.connector, delta: j.delta })),
    { checkpoints: new S3CheckpointStore(store, keys.state.checkpoints(ref.dataset)), log },
  );
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i];
    const outcome = outcomes[i];
    if (!outcome.ok) {
      job.result.status = 'failed';
      job.result.error = outcome.error.message;
      continue;
    }
    const r = outcome.result;
    // Adds held back below a platform minimum with nothing else to send: no request was made.
    job.result.status =
      r.skipped && r.sent.adds + r.sent.removes === 0 && !r.resumedFrom ? 'held-back' : 'sent';
    job.result.sent = r.sent;
    if (r.resumedFrom) job.result.resumedBatches = r.resumedFrom;
    // Adds held back below a platform minimum are not in the platform's audience: leave them out of
    // the state, so they are sent once the audience is big enough.
    if (r.skipped) job.result.skipped = r.skipped.reason;
    await saveAudienceState(
      store,
      job.stateKey,
      {
        generation: job.generation + 1,
        members: job.members,
        audienceName: job.delta.audienceName,
        audienceId: job.delta.audienceId,
      },
      r.skipped ? rowsWithout(job.rows, job.addRows) : job.rows,
    );
  }
}

/**
 * Pushes each configured destination's audiences as a delta against what it last accepted. A member
 * is in an audience when their segment is published and targeted, they are not in the holdout, not
 * suppressed or erased, carry a usable hashed email or phone, and consent on the destination's channel
 * allows it: refused (0) never; not stated (2) only when the dataset states that channel for nobody.
 * A failing platform fails its own audiences (reported, state kept for resume) and then the step.
 * One segment at a time: its candidates are read shard by shard, its audiences (one per destination)
 * diffed and pushed together, then released, so memory follows the largest segment, not the run.
 */
export async function publishAudiences(
  store: BlobStore,
  ref: RunRef & { shardCount: number },
  deps: AudienceDeps = defaultDeps,
): Promise<StageDone> {
  const config = await loadRunConfig(store, ref);
  const validation = await getJson<ValidationResult>(store, runFile(ref, 'segments.json'));
  const published = validation.segments.filter((s) => s.status === 'published');
  const destinations = Object.entries(config.destinations);
  const log = deps.log ?? structuredLog;
  const suppressions = await loadSuppressions(store, ref);
  const done = (extra: Record<string, unknown>): StageDone => ({
    dataset: ref.dataset,
    runId: ref.runId,
    stage: 'publish-audiences',
    ...extra,
  });
  if (!destinations.length) {
    await rememberErasures(store, ref);
    return done({ audiences: 0, destinations: [] });
  }
  const wanted = published.filter((s) => destinations.some(([, d]) => targets(d, s)));
  const excluded: Excluded = { holdout: 0, suppressed: 0, erased: 0, noIdentifier: 0, noConsent: 0 };
  // Which channels anyone stated consent for (decides what "not stated" means, see above): known
  // after the first segment's pass, which reads every shard's identities.
  const stated = { email: false, sms: false, ads: false };
  /** Rows of the candidates whose consent allows the channel (ascending). */
  const allowedRows = (c: Candidates, channel: DestinationSettings['consentChannel']): Uint32Array => {
    const n = c.members.size;
    if (channel === 'none') return Uint32Array.from({ length: n }, (_, i) => i);
    const offset = channel === 'email' ? 0 : channel === 'sms' ? 1 : 2;
    const notStatedAllowed = !stated[channel as ConsentChannel];
    const rows = new Uint32Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const flag = c.consent[i * 3 + offset];
      if (flag === 1 || (flag === 2 && notStatedAllowed)) rows[k++] = i;
    }
    return rows.subarray(0, k);
  };

  // results in destination × segment order, whatever order the segments are processed in
  const slots: AudienceResult[][] = destinations.map(() => []);
  const connectorDeps: ConnectorDeps = {
    getSecret: createRunSecretProvider(),
    ...deps.connector,
  };
  for (const [k, seg] of wanted.entries()) {
    const candidates = await segmentCandidates(
      store,
      ref,
      config,
      seg,
      suppressions,
      excluded,
      k === 0 ? stated : undefined,
    );
    const jobs: AudienceJob[] = [];
    // one hex identity per candidate, shared by every destination's adds: a first push adds the
    // whole segment to each destination, and the hex form is most of a member's cost (~320 B)
    const made: (HashedIdentity | undefined)[] = Array.from({ length: candidates.members.size });
    const identityOf = (row: number): HashedIdentity => {
      let m = made[row];
      if (!m) {
        m = candidates.members.identity(row);
        made[row] = m;
      }
      return m;
    };
    for (const [d, [name, dest]] of destinations.entries()) {
      if (!targets(dest, seg)) continue;
      const rows = allowedRows(candidates, dest.consentChannel);
      excluded.noConsent += candidates.members.size - rows.length;
      const { audienceId, name: audienceName } = audienceSettings(dest, seg);
      if (dest.type === 'file') {
        const key = keys.audienceFile(ref.dataset, name, seg.id);
        const written = await writeAudienceFile(store, key, rows, (i) => {
          const m = candidates.members.identity(i);
          return csvLine([m.emailSha256 ?? '', m.phoneSha256 ?? '']);
        });
        slots[d].push({
          destination: name,
          segment: seg.id,
          key,
          members: written,
          audienceName,
          type: 'file',
          status: 'written',
        });
        continue;
      }
      const stateKey = keys.state.audience(ref.dataset, name, seg.id);
      const previous = await loadAudienceState(store, stateKey);
      // the audience is `rows` of the candidates: one index per member, no copy per destination
      const delta = memberDelta(previous.members, candidates.members, rows);
      // hex identities only for the members that change (the whole audience on a first push)
      const adds = Array.from(delta.adds, identityOf);
      const removes = previous.members.identities(delta.removes);
      let erased = 0;
      for (const r of removes) if (exclusionOf(suppressions, r.customerId, r) === 'erased') erased++;
      const result: AudienceResult = {
        destination: name,
        segment: seg.id,
        key: stateKey,
        members: rows.length,
        audienceName,
        type: dest.type,
        adds: adds.length,
        removes: removes.length,
        erased,
      };
      slots[d].push(result);
      if (adds.length === 0 && removes.length === 0) {
        result.status = 'unchanged';
        continue;
      }
      if (dest.dryRun) {
        result.status = 'dry-run';
        continue;
      }
      let connector: Connector;
      try {
        connector = createConnector(name, connectorConfig(dest, audienceId), connectorDeps);
      } catch (error) {
        result.status = 'failed';
        result.error = error instanceof Error ? error.message : String(error);
        continue;
      }
      jobs.push({
        connector,
        delta: {
          destination: name,
          audienceName,
          audienceId,
          runId: deltaId(ref.dataset, name, seg.id, previous.generation),
          adds,
          removes,
          totalAfter: rows.length,
        },
        stateKey,
        generation: previous.generation,
        members: candidates.members,
        rows,
        addRows: delta.adds,
        result,
      });
    }
    await pushAudienceJobs(store, ref, jobs, log);
  }
  const results: AudienceResult[] = slots.flat();
  // Audiences pushed before whose segment is no longer targeted (unpublished, retired, config changed):
  // the platform still holds them, so suppressed and erased members are removed there too.
  for (const [name, dest] of destinations) {
    if (dest.type === 'file') continue;
    const current = new Set(results.filter((r) => r.destination === name).map((r) => r.key));
    const prefix = keys.state.audiencePrefix(ref.dataset, name);
    for (const { key } of await store.list(prefix)) {
      if (current.has(key) || !key.endsWith('.bin')) continue;
      const previous = await loadAudienceState(store, key);
      const segment = key.slice(prefix.length, -'.bin'.length);
      const removeRows: number[] = [];
      for (let i = 0; i < previous.members.size; i++)
        if (exclusionOf(suppressions, previous.members.id(i), previous.members.identity(i)))
          removeRows.push(i);
      const removes = previous.members.identities(removeRows);
      let erased = 0;
      for (const r of removes) if (exclusionOf(suppressions, r.customerId, r) === 'erased') erased++;
      const audienceName = previous.audienceName ?? `${dest.audienceNamePrefix}${segment}`;
      const result: AudienceResult = {
        destination: name,
        segment,
        key,
        members: previous.members.size - removes.length,
        audienceName,
        type: dest.type,
        adds: 0,
        removes: removes.length,
        erased,
        status: 'unchanged',
      };
      results.push(result);
      if (removes.length === 0 || dest.dryRun) continue;
      let connector: Connector;
      try {
        connector = createConnector(name, connectorConfig(dest, previous.audienceId), connectorDeps);
      } catch (error) {
        result.status = 'failed';
        result.error = error instanceof Error ? error.message : String(error);
        continue;
      }
      // one retired audience at a time: its whole previous state is in memory until it is saved
      await pushAudienceJobs(
        store,
        ref,
        [
          {
            connector,
            delta: {
              destination: name,
              audienceName,
              audienceId: previous.audienceId,
              runId: deltaId(ref.dataset, name, segment, previous.generation),
              adds: [],
              removes,
              totalAfter: previous.members.size - removes.length,
            },
            stateKey: key,
            generation: previous.generation,
            members: previous.members,
            rows: rowsWithout(
              Uint32Array.from({ length: previous.members.size }, (_, i) => i),
              removeRows,
            ),
            addRows: new Uint32Array(0),
            result,
          },
        ],
        log,
      );
    }
  }
  await rememberErasures(store, ref);
  results.push(
    ...(await publishGroupAudiences(store, ref, validation, destinations, excluded, suppressions)),
  );
  await putJson(store, runFile(ref, 'audiences.json'), { results, excluded });
  await writeErasureReport(store, ref, {
    stage: 'audiences',
    places: results
      .filter((r) => (r.erased ?? 0) > 0 && r.status === 'sent')
      .map((r) => ({ where: `destination:${r.destination}/${r.audienceName}`, removed: r.erased ?? 0 })),
  });
  const failures = results
    .filter((r) => r.status === 'failed')
    .map((r) => ({
      destination: r.destination,
      audience: r.audienceName ?? r.segment,
      error: r.error ?? '',
    }));
  if (failures.length) throw new AudiencePublishError(failures);
  return done({
    audiences: results.length,
    sent: results.filter((r) => r.status === 'sent').length,
    heldBack: results.filter((r) => r.status === 'held-back').length,
    unchanged: results.filter((r) => r.status === 'unchanged').length,
    excluded,
  });
}

/**
 * Propensity bands and lookalike audiences go to a file destination only when it names them (id or
 * name) in `segments`: "*" keeps meaning every published cluster, so adding a model never starts
 * pushing new audiences nobody asked for. Same consent, holdout and hashing rules as clusters.
 */
async function publishGroupAudiences(
  store: BlobStore,
  ref: RunRef & { shardCount: number },
  validation: ValidationResult,
  destinations: [string, { type: string; segments: string[] }][],
  excluded: { holdout: number; noConsent: number; noIdentifier: number; suppressed: number; erased: number },
  suppressions: Awaited<ReturnType<typeof loadSuppressions>>,
): Promise<AudienceResult[]> {
  const config = await loadRunConfig(store, ref);
  const files = destinations.filter(([, d]) => d.type === 'file');
  const wanted = (validation.predictive?.groups ?? []).filter(
    (g) =>
      g.status === 'published' &&
      files.some(([, d]) => d.segments.includes(g.id) || d.segments.includes(g.name)),
  );
  if (!wanted.length) return [];
  // every (file destination, group) file is written shard by shard: one shard's lines are held, not the run's
  const outputs = files.flatMap(([name, dest]) =>
    wanted
      .map((g, k) => ({ name, g, k }))
      .filter(({ g }) => dest.segments.includes(g.id) || dest.segments.includes(g.name))
      .map(({ name, g, k }) => {
        const key = keys.audienceFile(ref.dataset, name, g.id);
        return { name, g, k, key, out: store.openWrite(key, 'text/csv') };
      }),
  );
  const counts = wanted.map(() => 0);
  try {
    for (const o of outputs) await o.out.write(csvLine(['email_sha256', 'phone_sha256']));
    for (let i = 0; i < ref.shardCount; i++) {
      const lines = wanted.map(() => [] as string[]);
      const scored = await loadScores(store, ref, i);
      const predictive = await loadPredictiveRows(store, ref, i);
      const identities = await loadIdentities(store, ref, i);
      for (let row = 0; row < scored.customerId.length; row++) {
        const id = scored.customerId[row];
        wanted.forEach((g, k) => {
          if (!inGroup(g, predictive, row)) return;
          if (isHoldout(config.segments.holdoutSalt, id, g.id, config.segments.holdoutShare)) {
            excluded.holdout++;
            return;
          }
          const who = identities.get(id);
          if (!who || who.consentAds === 0) {
            if (who) excluded.noConsent++;
            else excluded.noIdentifier++;
            return;
          }
          const hashed = hashIdentity({
            customerId: id,
            email: who.email,
            phone: who.phone,
            country: who.country,
          });
          const exclusion = exclusionOf(suppressions, id, hashed);
          if (exclusion) {
            excluded[exclusion]++;
            return;
          }
          if (!hashed.emailSha256 && !hashed.phoneSha256) {
            excluded.noIdentifier++;
            return;
          }
          lines[k].push(csvLine([hashed.emailSha256 ?? '', hashed.phoneSha256 ?? '']));
        });
      }
      for (const [k, group] of lines.entries()) counts[k] += group.length;
      for (const o of outputs) for (const line of lines[o.k]) await o.out.write(line);
    }
    for (const o of outputs) await o.out.close();
  } catch (error) {
    for (const o of outputs) await o.out.abort().catch(() => undefined);
    throw error;
  }
  const results: AudienceResult[] = outputs.map((o) => ({
    destination: o.name,
    segment: o.g.id,
    key: o.key,
    members: counts[o.k],
    type: 'file',
    status: 'written' as const,
  }));
  return results;
}
