// Publish stages: DynamoDB memberships and catalog, S3 exports, and audience destinations.
import { csvLine } from '../publish/csv.js';
import { hashIdentity } from '../publish/identity.js';
import { isHoldout } from '../segments/holdout.js';
import { type BlobStore, getJson, putJson } from '../storage/blob.js';
import { decodeColumns } from '../storage/columnar.js';
import { keys } from '../storage/keys.js';
import type { DynamoSegmentStore, MembershipItem } from '../storage/segment-store.js';
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
    const predictive = await loadPredictiveRows(store, ref, i);
    const items: MembershipItem[] = scored.customerId.map((customerId, row) => {
      const segmentId = validation.segments[scored.segment[row]].id;
      const holdout = isHoldout(
        config.segments.holdoutSalt,
        customerId,
        segmentId,
        config.segments.holdoutShare,
      );
      if (holdout) holdouts++;
      return {
        customerId,
        segmentId,
        runId: ref.runId,
        holdout,
        distance: scored.distance[row],
        ...predictiveValues(predictive, row),
      };
    });
    await segments.putMemberships(ref.dataset, 'clusters', items);
    written += items.length;
  }
  const groups = validation.predictive?.groups ?? [];
  await segments.putCatalog(
    ref.dataset,
    [...validation.segments, ...groups].map((s) => ({
      segmentId: s.id,
      name: s.name,
      description: s.description,
      size: s.size,
      share: s.share,
      status: s.status,
      runId: ref.runId,
      checks: s.checks,
      profile: s.means,
      ...('model' in s ? { model: s.model } : {}),
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
  const groups = validation.predictive?.groups ?? [];
  const perGroup = groups.map(() => csvLine(['customer_id', 'holdout']));
  let memberships = csvLine([
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
  ]);
  for (let i = 0; i < ref.shardCount; i++) {
    const scored = await loadScores(store, ref, i);
    const predictive = await loadPredictiveRows(store, ref, i);
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
        cell(predictive.score?.[row], 2),
        predictive.band ? BAND[predictive.band[row]] : '',
        cell(predictive.percentile?.[row], 2),
        cell(predictive.clv?.[row], 2),
        cell(predictive.pAlive?.[row]),
        cell(predictive.lookalikePercentile?.[row], 2),
        predictive.lookalike ? predictive.lookalike[row] : '',
      ]);
      perSegment[seg.index] += csvLine([id, holdout ? 1 : 0]);
      groups.forEach((g, k) => {
        if (!inGroup(g, predictive, row)) return;
        const held = isHoldout(config.segments.holdoutSalt, id, g.id, config.segments.holdoutShare);
        perGroup[k] += csvLine([id, held ? 1 : 0]);
      });
    }
  }
  const segmentsCsv =
    csvLine(['segment_id', 'name', 'description', 'size', 'share', 'status']) +
    validation.segments
      .map((s) => csvLine([s.id, s.name, s.description, s.size, s.share, s.status]))
      .join('') +
    groups.map((s) => csvLine([s.id, s.name, s.description, s.size, s.share, s.status])).join('');
  await store.put(`${prefix}segments.csv`, segmentsCsv, 'text/csv');
  await store.put(`${prefix}memberships.csv`, memberships, 'text/csv');
  await Promise.all(
    validation.segments.map((s) =>
      store.put(`${prefix}segments/${s.id}.csv`, perSegment[s.index], 'text/csv'),
    ),
  );
  await Promise.all(
    groups.map((g, k) => store.put(`${prefix}segments/${g.id}.csv`, perGroup[k], 'text/csv')),
  );
  return {
    dataset: ref.dataset,
    runId: ref.runId,
    stage: 'publish-exports',
    files: validation.segments.length + groups.length + 2,
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
  results.push(...(await publishGroupAudiences(store, ref, validation, destinations, excluded)));
  await putJson(store, runFile(ref, 'audiences.json'), { results, excluded });
  return { dataset: ref.dataset, runId: ref.runId, stage: 'publish-audiences', audiences: results.length };
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
  destinations: [string, { segments: string[] }][],
  excluded: { holdout: number; noConsent: number; noIdentifier: number },
): Promise<{ destination: string; segment: string; key: string; members: number }[]> {
  const config = await loadRunConfig(store, ref);
  const wanted = (validation.predictive?.groups ?? []).filter(
    (g) =>
      g.status === 'published' &&
      destinations.some(([, d]) => d.segments.includes(g.id) || d.segments.includes(g.name)),
  );
  if (!wanted.length) return [];
  const lines = wanted.map(() => [] as string[]);
  for (let i = 0; i < ref.shardCount; i++) {
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
        if (!hashed.emailSha256 && !hashed.phoneSha256) {
          excluded.noIdentifier++;
          return;
        }
        lines[k].push(csvLine([hashed.emailSha256 ?? '', hashed.phoneSha256 ?? '']));
      });
    }
  }
  const results: { destination: string; segment: string; key: string; members: number }[] = [];
  for (const [name, dest] of destinations) {
    for (const [k, g] of wanted.entries()) {
      if (!dest.segments.includes(g.id) && !dest.segments.includes(g.name)) continue;
      const key = `audiences/${ref.dataset}/${name}/${g.id}.csv`;
      await store.put(key, csvLine(['email_sha256', 'phone_sha256']) + lines[k].join(''), 'text/csv');
      results.push({ destination: name, segment: g.id, key, members: lines[k].length });
    }
  }
  return results;
}
