// The pipeline's stages as plain async functions over a BlobStore (and a segment store for
// publishing). Handlers in functions/ are thin wrappers; tests call these directly.
import { type DatasetConfig, parseConfig } from '../config/schema.js';
import {
  computeFeatures,
  concatTransactions,
  featureDefinitions,
  type ShardFeatureSummary,
  selectSample,
  summariseFeatures,
} from '../features/build.js';
import { type IngestReport, InputRejectedError, ingestSources } from '../ingest/stage.js';
import { assignSegments, fitSegmentation, type SegmentationModel } from '../models/segmentation.js';
import { csvLine } from '../publish/csv.js';
import { hashIdentity } from '../publish/identity.js';
import { isHoldout } from '../segments/holdout.js';
import { aggregateProfiles, mergeProfiles, type ProfileAggregate } from '../segments/profile.js';
import { buildSegments, type Check, type Segment } from '../segments/validate.js';
import { type BlobStore, getJson, getJsonIfExists, putJson } from '../storage/blob.js';
import { type Columns, decodeColumns, encodeColumns } from '../storage/columnar.js';
import { keys, parseIncomingKey } from '../storage/keys.js';
import type { DynamoSegmentStore, MembershipItem } from '../storage/segment-store.js';
import type { IngestOutput, RunInput, RunRef, ShardTask, StageDone } from './types.js';

const runFile = (ref: RunRef, name: string): string => keys.runFile(ref.dataset, ref.runId, name);
const shardFile = (ref: RunRef, index: number, name: string): string =>
  keys.shardFile(ref.dataset, ref.runId, index, name);

export async function loadRunConfig(store: BlobStore, ref: RunRef): Promise<DatasetConfig> {
  return parseConfig(await getJson(store, runFile(ref, 'config.json')), `config of run ${ref.runId}`);
}

async function readParts(store: BlobStore, ref: RunRef, index: number, name: string): Promise<Columns[]> {
  const listed = await store.list(keys.shardPrefix(ref.dataset, ref.runId, index));
  const parts = listed.filter((o) => o.key.slice(o.key.lastIndexOf('/') + 1).startsWith(`${name}-`));
  return Promise.all(parts.map(async (p) => decodeColumns(await store.get(p.key)).columns));
}

// ───────────────────────────── Ingest ─────────────────────────────

export async function ingest(
  store: BlobStore,
  input: RunInput,
  options: { now?: number } = {},
): Promise<IngestOutput> {
  const raw = await getJsonIfExists<unknown>(store, keys.config(input.dataset));
  const config = parseConfig(raw, `s3 ${keys.config(input.dataset)}`);
  await putJson(store, runFile(input, 'config.json'), config);
  const sources = input.objects.map((o) => ({
    file: parseIncomingKey(o.key)?.file ?? o.key,
    size: o.size,
    open: () => store.stream(o.key, o.versionId),
  }));
  const report = await ingestSources(
    sources,
    config,
    (shard, name, part, bytes) =>
      store.put(shardFile(input, shard, `${name}-${String(part).padStart(4, '0')}.bin`), bytes),
    options,
  );
  await putJson(store, runFile(input, 'ingest.json'), report);
  for (const f of report.files) {
    if (f.issues.length || f.fileError) {
      await putJson(store, keys.rejected(input.dataset, `${f.file}.errors.json`), {
        runId: input.runId,
        file: f.file,
        rows: f.rows,
        quarantined: f.quarantined,
        fileError: f.fileError,
        rejectedByCode: f.rejectedByCode,
        issues: f.issues,
      });
    }
  }
  if (report.quarantined.length) throw new InputRejectedError(report);
  if (report.maxEventMs === null) {
    throw new InputRejectedError({
      ...report,
      files: report.files.map((f) => ({ ...f, quarantined: true })),
    });
  }
  const asOfMs = config.asOf ? Date.parse(config.asOf) : report.maxEventMs + 1;
  return {
    shardCount: report.shardCount,
    shards: Array.from({ length: report.shardCount }, (_, index) => ({ index })),
    asOfMs,
    rows: report.rows,
  };
}

// ───────────────────────────── BuildFeatures ─────────────────────────────

export async function buildFeatures(store: BlobStore, task: ShardTask): Promise<StageDone> {
  const config = await loadRunConfig(store, task);
  const tx = concatTransactions(await readParts(store, task, task.shard.index, 'transactions'));
  const features = computeFeatures(tx, task.asOfMs);
  const columns: Columns = { customerId: features.customerId, ...features.values };
  await store.put(
    shardFile(task, task.shard.index, 'features.bin'),
    encodeColumns(columns, { asOfMs: task.asOfMs }),
  );
  await putJson(
    store,
    shardFile(task, task.shard.index, 'features-summary.json'),
    summariseFeatures(features),
  );
  const sample = selectSample(features, config.segments.sampleSize, config.segments.seed);
  await store.put(shardFile(task, task.shard.index, 'sample.bin'), encodeColumns(sample));
  return {
    dataset: task.dataset,
    runId: task.runId,
    stage: 'features',
    shard: task.shard.index,
    customers: features.customerId.length,
  };
}

async function loadFeatures(store: BlobStore, ref: RunRef, index: number) {
  const { columns } = decodeColumns(await store.get(shardFile(ref, index, 'features.bin')));
  const { customerId, ...values } = columns;
  return {
    customerId: customerId as string[],
    values: values as Record<string, Float64Array>,
    names: Object.keys(values),
  };
}

// ───────────────────────────── Fit ─────────────────────────────

export async function fitModels(store: BlobStore, ref: RunRef & { shardCount: number }): Promise<StageDone> {
  const config = await loadRunConfig(store, ref);
  const indices = Array.from({ length: ref.shardCount }, (_, i) => i);
  const summaries = await Promise.all(
    indices.map((i) => getJson<ShardFeatureSummary>(store, shardFile(ref, i, 'features-summary.json'))),
  );
  const samples = await Promise.all(
    indices.map(async (i) => decodeColumns(await store.get(shardFile(ref, i, 'sample.bin'))).columns),
  );
  const model = fitSegmentation(summaries, samples, config.segments);
  await putJson(store, runFile(ref, 'model.json'), model);
  await putJson(
    store,
    runFile(ref, 'feature-dictionary.json'),
    featureDefinitions(Object.keys(summaries[0]?.stats ?? {})),
  );
  return { dataset: ref.dataset, runId: ref.runId, stage: 'fit', k: model.k, customers: model.customers };
}

// ───────────────────────────── Score ─────────────────────────────

export async function score(store: BlobStore, task: ShardTask): Promise<StageDone> {
  const model = await getJson<SegmentationModel>(store, runFile(task, 'model.json'));
  const features = await loadFeatures(store, task, task.shard.index);
  const { labels, distances } = assignSegments(features, model);
  await store.put(
    shardFile(task, task.shard.index, 'scores.bin'),
    encodeColumns({ customerId: features.customerId, segment: labels, distance: distances }),
  );
  const profile = aggregateProfiles(features, labels, model.k, features.names);
  await putJson(store, shardFile(task, task.shard.index, 'profile.json'), profile);
  return {
    dataset: task.dataset,
    runId: task.runId,
    stage: 'score',
    shard: task.shard.index,
    customers: labels.length,
  };
}

// ───────────────────────────── Validate ─────────────────────────────

export interface ValidationResult {
  segments: Segment[];
  population: Record<string, number>;
  checks: Check[];
}

export async function validate(store: BlobStore, ref: RunRef & { shardCount: number }): Promise<StageDone> {
  const config = await loadRunConfig(store, ref);
  const model = await getJson<SegmentationModel>(store, runFile(ref, 'model.json'));
  const profiles = await Promise.all(
    Array.from({ length: ref.shardCount }, (_, i) =>
      getJson<ProfileAggregate>(store, shardFile(ref, i, 'profile.json')),
    ),
  );
  const result = buildSegments(model, mergeProfiles(profiles), {
    minSize: config.segments.minSize,
    minShare: config.segments.minShare,
    kMax: config.segments.kMax,
  });
  await putJson(store, runFile(ref, 'segments.json'), result satisfies ValidationResult);
  return {
    dataset: ref.dataset,
    runId: ref.runId,
    stage: 'validate',
    segments: result.segments.length,
    published: result.segments.filter((s) => s.status === 'published').length,
  };
}

// ───────────────────────────── Publish ─────────────────────────────

interface Scored {
  customerId: string[];
  segment: Int32Array;
  distance: Float64Array;
}

async function loadScores(store: BlobStore, ref: RunRef, index: number): Promise<Scored> {
  const { columns } = decodeColumns(await store.get(shardFile(ref, index, 'scores.bin')));
  return columns as unknown as Scored;
}

/** Writes every customer's membership (with its holdout flag) and the segment catalog. */
export async function publishMemberships(
  store: BlobStore,
  segments: DynamoSegmentStore,
  ref: RunRef & { shardCount: number },
): Promise<StageDone> {
  const config = await loadRunConfig(store, ref);
  const validation = await getJson<ValidationResult>(store, runFile(ref, 'segments.json'));
  let written = 0;
  let holdouts = 0;
  for (let i = 0; i < ref.shardCount; i++) {
    const scored = await loadScores(store, ref, i);
    const items: MembershipItem[] = scored.customerId.map((customerId, row) => {
      const segmentId = validation.segments[scored.segment[row]].id;
      const holdout = isHoldout(
        config.segments.holdoutSalt,
        customerId,
        segmentId,
        config.segments.holdoutShare,
      );
      if (holdout) holdouts++;
      return { customerId, segmentId, runId: ref.runId, holdout, distance: scored.distance[row] };
    });
    await segments.putMemberships(ref.dataset, 'clusters', items);
    written += items.length;
  }
  await segments.putCatalog(
    ref.dataset,
    validation.segments.map((s) => ({
      segmentId: s.id,
      name: s.name,
      description: s.description,
      size: s.size,
      share: s.share,
      status: s.status,
      runId: ref.runId,
      checks: s.checks,
      profile: s.means,
    })),
  );
  return {
    dataset: ref.dataset,
    runId: ref.runId,
    stage: 'publish-memberships',
    memberships: written,
    holdouts,
  };
}

/** Per-segment CSV exports plus segments.csv and memberships.csv under exports/<dataset>/latest/. */
export async function publishExports(
  store: BlobStore,
  ref: RunRef & { shardCount: number },
): Promise<StageDone> {
  const config = await loadRunConfig(store, ref);
  const validation = await getJson<ValidationResult>(store, runFile(ref, 'segments.json'));
  const prefix = keys.exports(ref.dataset);
  const perSegment = validation.segments.map(() => csvLine(['customer_id', 'holdout']));
  let memberships = csvLine(['customer_id', 'segment_id', 'segment_name', 'holdout', 'distance']);
  for (let i = 0; i < ref.shardCount; i++) {
    const scored = await loadScores(store, ref, i);
    for (let row = 0; row < scored.customerId.length; row++) {
      const seg = validation.segments[scored.segment[row]];
      const id = scored.customerId[row];
      const holdout = isHoldout(config.segments.holdoutSalt, id, seg.id, config.segments.holdoutShare);
      memberships += csvLine([
        id,
        seg.id,
        seg.name,
        holdout ? 1 : 0,
        Math.round(scored.distance[row] * 1e4) / 1e4,
      ]);
      perSegment[seg.index] += csvLine([id, holdout ? 1 : 0]);
    }
  }
  const segmentsCsv =
    csvLine(['segment_id', 'name', 'description', 'size', 'share', 'status']) +
    validation.segments
      .map((s) => csvLine([s.id, s.name, s.description, s.size, s.share, s.status]))
      .join('');
  await store.put(`${prefix}segments.csv`, segmentsCsv, 'text/csv');
  await store.put(`${prefix}memberships.csv`, memberships, 'text/csv');
  await Promise.all(
    validation.segments.map((s) =>
      store.put(`${prefix}segments/${s.id}.csv`, perSegment[s.index], 'text/csv'),
    ),
  );
  return {
    dataset: ref.dataset,
    runId: ref.runId,
    stage: 'publish-exports',
    files: validation.segments.length + 2,
  };
}

interface Identity {
  email: string;
  phone: string;
  country: string;
  consentAds: number;
}

async function loadIdentities(store: BlobStore, ref: RunRef, index: number): Promise<Map<string, Identity>> {
  const out = new Map<string, Identity>();
  for (const part of await readParts(store, ref, index, 'identities')) {
    const ids = part.customerId as string[];
    for (let i = 0; i < ids.length; i++) {
      const prev = out.get(ids[i]);
      const email = (part.email as string[])[i] || prev?.email || '';
      const phone = (part.phone as string[])[i] || prev?.phone || '';
      const consent = (part.consentAds as Uint8Array)[i];
      out.set(ids[i], {
        email,
        phone,
        country: (part.country as string[])[i] || prev?.country || '',
        consentAds: consent !== 2 ? consent : (prev?.consentAds ?? 2),
      });
    }
  }
  return out;
}

/**
 * Audience destinations of type "file": hashed identifiers (SHA-256 of the normalised email and
 * phone) of each published segment's consented, non-holdout members. Raw identifiers never leave.
 */
export async function publishAudiences(
  store: BlobStore,
  ref: RunRef & { shardCount: number },
): Promise<StageDone> {
  const config = await loadRunConfig(store, ref);
  const validation = await getJson<ValidationResult>(store, runFile(ref, 'segments.json'));
  const published = validation.segments.filter((s) => s.status === 'published');
  const destinations = Object.entries(config.destinations).filter(([, d]) => d.type === 'file');
  const results: { destination: string; segment: string; key: string; members: number }[] = [];
  if (!destinations.length) {
    return {
      dataset: ref.dataset,
      runId: ref.runId,
      stage: 'publish-audiences',
      audiences: 0,
      destinations: [],
    };
  }
  const bySegment = new Map(published.map((s) => [s.index, [] as string[]]));
  const excluded = { holdout: 0, noConsent: 0, noIdentifier: 0 };
  for (let i = 0; i < ref.shardCount; i++) {
    const scored = await loadScores(store, ref, i);
    const identities = await loadIdentities(store, ref, i);
    for (let row = 0; row < scored.customerId.length; row++) {
      const lines = bySegment.get(scored.segment[row]);
      if (!lines) continue;
      const id = scored.customerId[row];
      const seg = validation.segments[scored.segment[row]];
      if (isHoldout(config.segments.holdoutSalt, id, seg.id, config.segments.holdoutShare)) {
        excluded.holdout++;
        continue;
      }
      const who = identities.get(id);
      if (!who || who.consentAds === 0) {
        if (who) excluded.noConsent++;
        else excluded.noIdentifier++;
        continue;
      }
      const hashed = hashIdentity({
        customerId: id,
        email: who.email,
        phone: who.phone,
        country: who.country,
      });
      if (!hashed.emailSha256 && !hashed.phoneSha256) {
        excluded.noIdentifier++;
        continue;
      }
      lines.push(csvLine([hashed.emailSha256 ?? '', hashed.phoneSha256 ?? '']));
    }
  }
  for (const [name, dest] of destinations) {
    for (const seg of published) {
      if (
        !dest.segments.includes('*') &&
        !dest.segments.includes(seg.id) &&
        !dest.segments.includes(seg.name)
      )
        continue;
      const key = `audiences/${ref.dataset}/${name}/${seg.id}.csv`;
      const lines = bySegment.get(seg.index) ?? [];
      await store.put(key, csvLine(['email_sha256', 'phone_sha256']) + lines.join(''), 'text/csv');
      results.push({ destination: name, segment: seg.id, key, members: lines.length });
    }
  }
  await putJson(store, runFile(ref, 'audiences.json'), { results, excluded });
  return { dataset: ref.dataset, runId: ref.runId, stage: 'publish-audiences', audiences: results.length };
}

export type { IngestReport };
