// Validate stage: names, descriptions and checks; decides which segments are published.
// Per segment and per run: stability (bootstrap Jaccard; agreement and drift against the previous
// run), separability (silhouette, Davies–Bouldin, effect sizes), actionability (size, share,
// reachability, number of segments, description) and governance. Also keeps segment identity across
// runs, reads out lift on the previous run's holdouts and advises retirement of decayed segments.
import type { DatasetConfig } from '../config/schema.js';
import type { CustomerFeatures } from '../features/build.js';
import { FEATURE_BY_NAME, transformValue } from '../features/dictionary.js';
import { foldSmallest } from '../features/sampling.js';
import { concatTransactions } from '../features/transactions.js';
import type { IngestReport } from '../ingest/stage.js';
import { assignNearest } from '../models/kmeans.js';
import { daviesBouldin, silhouetteScore } from '../models/metrics.js';
import { mergeCrossTabs, RFM_GROUPS } from '../models/rfm.js';
import { mergeSamples, type SegmentationModel } from '../models/segmentation.js';
import { normaliseEmail, normalisePhoneE164 } from '../publish/identity.js';
import {
  representationCheck,
  type SegmentCard,
  segmentCard,
  sensitiveCategoryCheck,
} from '../segments/governance.js';
import { isHoldout } from '../segments/holdout.js';
import { matchSegments, type RetiredSegment, resolveNames } from '../segments/identity.js';
import {
  countOutcomes,
  type LiftCounts,
  type LiftReadout,
  liftReadout,
  mergeLiftCounts,
} from '../segments/lift.js';
import { effectSizes, mergeProfiles, type ProfileAggregate } from '../segments/profile.js';
import { type RetirementAdvice, retirementAdvice, type SegmentPerformance } from '../segments/retirement.js';
import { adjustedRandFromTable, bootstrapStability } from '../segments/stability.js';
import type { DatasetState, HistoryEntry } from '../segments/state.js';
import { buildSegments, type Check, type Segment } from '../segments/validate.js';
import { type BlobStore, getJson, getJsonIfExists, putJson } from '../storage/blob.js';
import { decodeColumns } from '../storage/columnar.js';
import { keys } from '../storage/keys.js';
import { readTransactionParts } from './ingest.js';
import { type PredictiveSummary, predictiveSegments } from './predictive.js';
import { loadRunConfig, readParts, runFile, shardFile } from './run-files.js';
import type { RunRef, ShardTask, StageDone } from './types.js';

export interface ValidationResult {
  segments: Segment[];
  population: Record<string, number>;
  checks: Check[];
  /** the run this one was compared with, if any */
  previousRunId?: string | null;
  /** segments of the previous run that no segment of this run matches */
  retired?: RetiredSegment[];
  /** lift on the previous run's holdouts, per previous segment (by its id) */
  lift?: LiftReadout[];
  retirement?: RetirementAdvice[];
  cards?: SegmentCard[];
  /** earlier runs (oldest first) and this one last */
  history?: HistoryEntry[];
  metrics?: { silhouette: number | null; daviesBouldin: number | null; agreement: number | null };
  /** learned segments against classic RFM groups: counts[segment index][group index] */
  rfm?: { groups: string[]; counts: number[][] };
  /** propensity bands and lookalike audiences, published like segments (absent before predictive models) */
  predictive?: PredictiveSummary;
}

/** What each Score shard adds for Validate: reachability, audit make-up and outcome counts. */
export interface ShardValidationInputs {
  /** per current segment: members, members with a consented hashable identifier */
  reach: { members: number; reachable: number }[];
  /** per current segment: attribute → value → members (audit-only attributes) */
  audit: Record<string, Record<string, number>>[] | null;
  lift: LiftCounts | null;
}

async function loadState(store: BlobStore, ref: RunRef): Promise<DatasetState | undefined> {
  const state = await getJsonIfExists<DatasetState>(store, keys.state.latest(ref.dataset));
  return state && state.runId !== ref.runId ? state : undefined;
}

/**
 * Called by Score for its shard (after labelling): counts reachable members and audit make-up per
 * segment and, when a previous run exists and this run's data goes past its as-of time, the
 * previous members' outcomes. Writes shards/NNNNN/validation.json.
 */
export async function scoreValidationInputs(
  store: BlobStore,
  task: ShardTask,
  features: CustomerFeatures,
  labels: Int32Array,
  k: number,
): Promise<ShardValidationInputs> {
  const index = task.shard.index;
  const identities = await readParts(store, task, index, 'identities');
  const reachableIds = new Set<string>();
  const refused = new Set<string>();
  for (const part of identities) {
    const ids = part.customerId as string[];
    const consent = part.consentAds as Uint8Array | undefined;
    for (let i = 0; i < ids.length; i++) {
      if (consent && consent[i] === 0) refused.add(ids[i]);
      // the same normalisation the push hashes, without the hashing: an identifier a platform can match
      const email = (part.email as string[] | undefined)?.[i] ?? '';
      const phone = (part.phone as string[] | undefined)?.[i] ?? '';
      const country = (part.country as string[] | undefined)?.[i] ?? '';
      if ((email && normaliseEmail(email)) || (phone && normalisePhoneE164(phone, country || undefined)))
        reachableIds.add(ids[i]);
    }
  }
  const reach = Array.from({ length: k }, () => ({ members: 0, reachable: 0 }));
  for (let i = 0; i < labels.length; i++) {
    reach[labels[i]].members++;
    const id = features.customerId[i];
    if (reachableIds.has(id) && !refused.has(id)) reach[labels[i]].reachable++;
  }
  const auditParts = await readParts(store, task, index, 'audit');
  let audit: ShardValidationInputs['audit'] = null;
  if (auditParts.length) {
    const row = new Map(features.customerId.map((id, i) => [id, i]));
    audit = Array.from({ length: k }, () => ({}));
    for (const part of auditParts) {
      const ids = part.customerId as string[];
      for (const [attribute, column] of Object.entries(part)) {
        if (attribute === 'customerId' || !Array.isArray(column)) continue;
        for (let i = 0; i < ids.length; i++) {
          const r = row.get(ids[i]);
          if (r === undefined || !column[i]) continue;
          const bySegment = audit[labels[r]];
          bySegment[attribute] ??= {};
          bySegment[attribute][column[i]] = (bySegment[attribute][column[i]] ?? 0) + 1;
        }
      }
    }
  }
  const state = await loadState(store, task);
  let lift: LiftCounts | null = null;
  if (state && task.asOfMs > state.asOfMs) {
    const current = new Map(features.customerId.map((id, i) => [id, labels[i]]));
    const ingestReport = await getJsonIfExists<IngestReport>(store, runFile(task, 'ingest.json'));
    const files =
      ingestReport?.shardCount === state.shardCount
        ? [index]
        : Array.from({ length: state.shardCount }, (_, i) => i);
    const previousIds: string[] = [];
    const previousSegment: number[] = [];
    const previousHoldout: number[] = [];
    for (const f of files) {
      const bytes = await store.getIfExists(keys.state.scores(task.dataset, state.runId, f));
      if (!bytes) continue;
      const cols = decodeColumns(bytes).columns;
      const ids = cols.customerId as string[];
      const seg = cols.segment as Int32Array;
      for (let i = 0; i < ids.length; i++) {
        // customers of other shards (when the shard counts differ), or erased since: not ours to count
        if (!current.has(ids[i])) continue;
        const s = state.segments[seg[i]];
        if (!s) continue;
        previousIds.push(ids[i]);
        previousSegment.push(seg[i]);
        previousHoldout.push(isHoldout(state.holdoutSalt, ids[i], s.id, state.holdoutShare) ? 1 : 0);
      }
    }
    const tx = concatTransactions((await readTransactionParts(store, task, index)).parts);
    lift = countOutcomes(
      { customerId: previousIds, segment: previousSegment, holdout: previousHoldout },
      tx,
      current,
      { fromMs: state.asOfMs, toMs: task.asOfMs },
      { previousK: state.segments.length, currentK: k },
      { previousRunId: state.runId },
    );
  }
  const out: ShardValidationInputs = { reach, audit, lift };
  await putJson(store, shardFile(task, index, 'validation.json'), out);
  return out;
}

/** The fit sample, standardised as the model was fitted, capped at `size` rows. */
async function loadFitSample(
  store: BlobStore,
  ref: RunRef & { shardCount: number },
  model: SegmentationModel,
  size: number,
): Promise<{ data: Float64Array; n: number; d: number }> {
  const take = Math.min(size, model.sampleSize);
  // folded shard by shard into the smallest keys (bounded memory whatever the shard count)
  const { parts } = await foldSmallest(
    ref.shardCount,
    async (i) => {
      const bytes = await store.getIfExists(shardFile(ref, i, 'sample.bin'));
      return bytes ? decodeColumns(bytes).columns : undefined;
    },
    take,
    { key: 'sampleKey' },
  );
  // the merged sample is ordered by sampling key, i.e. a uniform random order: its first rows are a
  // uniform subsample
  const sample = mergeSamples(parts, take, model.features);
  const n = (sample.customerId as string[]).length;
  const d = model.features.length;
  const data = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const def = FEATURE_BY_NAME.get(model.features[j]);
    const col = sample[model.features[j]] as Float64Array | undefined;
    for (let i = 0; i < n; i++) {
      const raw = col ? col[i] : 0;
      const v = def ? transformValue(def, raw) : raw;
      // unknown values sit at the mean, as in standardise() (a sparse CRM column is NaN for most rows)
      data[i * d + j] = Number.isNaN(v) ? 0 : (v - model.mean[j]) / model.std[j];
    }
  }
  return { data, n, d };
}

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

function stabilityCheck(jaccard: number, v: DatasetConfig['validation'], runs: number): Check {
  const verdict = jaccard < v.dissolvedJaccard ? 'fail' : jaccard < v.unstableJaccard ? 'warn' : 'pass';
  return {
    name: 'stability',
    verdict,
    value: r4(jaccard),
    threshold: v.unstableJaccard,
    reason:
      verdict === 'fail'
        ? `dissolved: on ${runs} resamples of the customers it came back with only ${jaccard.toFixed(2)} of the same members (below ${v.dissolvedJaccard}); it is an artefact of this sample, not a real group`
        : verdict === 'warn'
          ? `unstable: on ${runs} resamples it kept ${jaccard.toFixed(2)} of its members on average (below ${v.unstableJaccard}); its edges move with the data`
          : `stable: on ${runs} resamples it kept ${jaccard.toFixed(2)} of its members on average`,
  };
}

export async function validate(store: BlobStore, ref: RunRef & { shardCount: number }): Promise<StageDone> {
  const config = await loadRunConfig(store, ref);
  const v = config.validation;
  const model = await getJson<SegmentationModel>(store, runFile(ref, 'model.json'));
  const profiles = await Promise.all(
    Array.from({ length: ref.shardCount }, (_, i) =>
      getJson<ProfileAggregate>(store, shardFile(ref, i, 'profile.json')),
    ),
  );
  const merged = mergeProfiles(profiles);
  const base = buildSegments(model, merged, {
    minSize: config.segments.minSize,
    minShare: config.segments.minShare,
    kMax: config.segments.kMax,
  });
  const shardInputs = (
    await Promise.all(
      Array.from({ length: ref.shardCount }, (_, i) =>
        getJsonIfExists<ShardValidationInputs>(store, shardFile(ref, i, 'validation.json')),
      ),
    )
  ).filter((x): x is ShardValidationInputs => x !== undefined);
  const state = await loadState(store, ref);
  const runChecks = [...base.checks];
  const segments = base.segments;
  const k = model.k;

  // identity: keep ids and names of matched segments
  const previous = state
    ? {
        ...state.model,
        runId: state.runId,
        ids: state.segments.map((s) => s.id),
        names: state.segments.map((s) => s.name),
        nextId: state.nextId,
      }
    : undefined;
  const identity = matchSegments(previous, model, { maxDistance: v.matchDistance, runId: ref.runId });
  const names = resolveNames(
    identity.segments,
    segments.map((s) => s.name),
  );
  const firstRunIds = identity.segments.map((s) =>
    s.previousIndex >= 0 ? (state?.segments[s.previousIndex]?.firstRunId ?? ref.runId) : ref.runId,
  );
  segments.forEach((s, i) => {
    s.id = identity.segments[i].id;
    s.name = names[i];
  });

  // stability and separability on the fit sample
  const sample = await loadFitSample(store, ref, model, v.bootstrapSample);
  const centroids = Float64Array.from(model.centroids);
  const jaccard: (number | null)[] = new Array(k).fill(null);
  if (v.bootstrapRuns > 0 && sample.n > k * 2) {
    const boot = bootstrapStability(sample.data, sample.n, sample.d, centroids, k, {
      runs: v.bootstrapRuns,
      seed: model.seed,
    });
    boot.jaccard.forEach((j, i) => {
      jaccard[i] = r4(j);
      segments[i].checks.push(stabilityCheck(j, v, boot.runs));
    });
  }
  let silhouette: number | null = null;
  let db: number | null = null;
  if (sample.n > k) {
    const { labels } = assignNearest(sample.data, sample.n, sample.d, centroids, k);
    const present = new Set(labels).size;
    if (present >= 2) {
      silhouette = r4(
        silhouetteScore(sample.data, sample.n, sample.d, labels, k, {
          sampleSize: 2000,
          seed: model.seed,
        }),
      );
      db = r4(daviesBouldin(sample.data, sample.n, sample.d, labels, k, centroids));
      runChecks.push(
        {
          name: 'silhouette',
          verdict: silhouette >= v.minSilhouette ? 'pass' : 'warn',
          value: silhouette,
          threshold: v.minSilhouette,
          reason:
            silhouette >= v.minSilhouette
              ? `customers sit clearly closer to their own segment than to the next (silhouette ${silhouette.toFixed(2)})`
              : `segments overlap (silhouette ${silhouette.toFixed(2)} below ${v.minSilhouette}): treat them as soft groupings`,
        },
        {
          name: 'Davies–Bouldin',
          verdict: db <= v.maxDaviesBouldin ? 'pass' : 'warn',
          value: db,
          threshold: v.maxDaviesBouldin,
          reason:
            db <= v.maxDaviesBouldin
              ? `segments are compact relative to the distance between them (${db.toFixed(2)}, lower is better)`
              : `segments are wide relative to the distance between them (${db.toFixed(2)} above ${v.maxDaviesBouldin})`,
        },
      );
    }
  }
  merged.segments.forEach((agg, i) => {
    const effects = effectSizes(agg, merged.population);
    const ranked = Object.entries(effects).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
    if (!ranked.length) return;
    const [feature, size] = ranked[0];
    const strong = Math.abs(size) >= v.minEffectSize;
    segments[i].checks.push({
      name: 'separability',
      verdict: strong ? 'pass' : 'warn',
      value: r4(Math.abs(size)),
      threshold: v.minEffectSize,
      reason: strong
        ? `differs most from everyone else on ${feature} (effect size ${size.toFixed(2)} sd)${ranked[1] ? `, then ${ranked[1][0]} (${ranked[1][1].toFixed(2)} sd)` : ''}`
        : `no feature sets it apart from everyone else by ${v.minEffectSize} sd or more (largest: ${feature}, ${size.toFixed(2)} sd)`,
    });
  });

  // actionability: reachability per destination
  const reach = Array.from({ length: k }, () => ({ members: 0, reachable: 0 }));
  for (const s of shardInputs)
    s.reach.forEach((r, i) => {
      if (!reach[i]) return;
      reach[i].members += r.members;
      reach[i].reachable += r.reachable;
    });
  const hasIdentities = reach.some((r) => r.reachable > 0);
  for (const [name, dest] of Object.entries(config.destinations)) {
    segments.forEach((s, i) => {
      if (!dest.segments.includes('*') && !dest.segments.includes(s.id) && !dest.segments.includes(s.name))
        return;
      const share = reach[i].members ? reach[i].reachable / reach[i].members : 0;
      const ok = share >= v.minReachableShare;
      s.checks.push({
        name: `reachability (${name})`,
        verdict: ok ? 'pass' : 'warn',
        value: r4(share),
        threshold: v.minReachableShare,
        reason: hasIdentities
          ? `${reach[i].reachable} of ${reach[i].members} members (${pct(share)}) have a consented email or phone ${name} can match${ok ? '' : `; below ${pct(v.minReachableShare)}, the audience will be thin`}`
          : `no customer file with emails or phones was dropped, so ${name} can reach no one: add a customers export`,
      });
    });
  }

  // governance
  const audit = shardInputs.some((s) => s.audit)
    ? Array.from({ length: k }, (_, i) => {
        const out: Record<string, Record<string, number>> = {};
        for (const s of shardInputs)
          for (const [attr, groups] of Object.entries(s.audit?.[i] ?? {}))
            for (const [value, n] of Object.entries(groups)) {
              out[attr] ??= {};
              out[attr][value] = (out[attr][value] ?? 0) + n;
            }
        return out;
      })
    : null;
  const auditPopulation: Record<string, Record<string, number>> = {};
  for (const seg of audit ?? [])
    for (const [attr, groups] of Object.entries(seg))
      for (const [value, n] of Object.entries(groups)) {
        auditPopulation[attr] ??= {};
        auditPopulation[attr][value] = (auditPopulation[attr][value] ?? 0) + n;
      }
  segments.forEach((s, i) => {
    s.checks.push(sensitiveCategoryCheck(s.name, s.description, config.governance.sensitiveTerms));
    if (audit)
      s.checks.push(
        representationCheck(audit[i], auditPopulation, { ratio: config.governance.representationRatio })
          .check,
      );
  });

  // across runs: agreement, drift, lift, retirement
  const lift = mergeLiftCounts(shardInputs.flatMap((s) => (s.lift ? [s.lift] : [])));
  let agreement: number | null = null;
  const readouts: LiftReadout[] = [];
  const performance: SegmentPerformance[] = [];
  const runAsOf = await runAsOfIso(store, ref, config.asOf ?? '');
  if (state) {
    const prevSize = (i: number) => state.segments[i]?.size ?? 0;
    segments.forEach((s, i) => {
      const id = identity.segments[i];
      if (id.previousIndex < 0) {
        s.checks.push({
          name: 'identity',
          verdict: 'pass',
          value: 'new',
          threshold: 'matched or new',
          reason: `new this run: no segment of run ${state.runId} lies within ${v.matchDistance} sd of its centre`,
        });
        return;
      }
      const before = prevSize(id.previousIndex);
      const drift = before ? Math.abs(s.size - before) / before : 0;
      s.checks.push(
        {
          name: 'size drift',
          verdict: drift <= v.maxSizeDrift ? 'pass' : 'warn',
          value: r4(drift),
          threshold: v.maxSizeDrift,
          reason: `${before} → ${s.size} customers since run ${state.runId} (${drift <= v.maxSizeDrift ? 'within' : 'beyond'} ${pct(v.maxSizeDrift)})`,
        },
        {
          name: 'centroid drift',
          verdict: (id.distance ?? 0) <= v.maxCentroidDrift ? 'pass' : 'warn',
          value: r4(id.distance ?? 0),
          threshold: v.maxCentroidDrift,
          reason: `its centre moved ${(id.distance ?? 0).toFixed(2)} sd per feature since run ${state.runId}; it keeps id ${s.id} and its name`,
        },
      );
    });
    if (lift) {
      agreement = r4(adjustedRandFromTable(lift.transitions));
      const shared = lift.transitions.reduce((t, row) => t + row.reduce((a, b) => a + b, 0), 0);
      runChecks.push({
        name: 'agreement with previous run',
        verdict: agreement >= v.minRunAgreement ? 'pass' : 'warn',
        value: agreement,
        threshold: v.minRunAgreement,
        reason: `adjusted Rand index ${agreement.toFixed(2)} on the ${shared} customers both runs scored${agreement >= v.minRunAgreement ? '' : `: below ${v.minRunAgreement}, the segmentation changed materially since run ${state.runId}`}`,
      });
      const popRead = liftReadout(lift.population, { id: '*', name: 'everyone' }, v.outcome);
      const currentByPrev = new Map(identity.segments.map((s, i) => [s.previousIndex, i]));
      let keptAll = 0;
      let sharedAll = 0;
      lift.transitions.forEach((row, a) => {
        const b = currentByPrev.get(a);
        sharedAll += row.reduce((x, y) => x + y, 0);
        if (b !== undefined) keptAll += row[b];
      });
      state.segments.forEach((prev, a) => {
        const read = liftReadout(lift.segments[a], { id: prev.id, name: prev.name }, v.outcome);
        readouts.push(read);
        const row = lift.transitions[a];
        const total = row.reduce((x, y) => x + y, 0);
        const b = currentByPrev.get(a);
        performance.push({
          runId: ref.runId,
          asOf: runAsOf,
          segmentId: prev.id,
          rate: read.rate,
          populationRate: popRead.rate,
          lift: read.holdout && read.treated ? read.lift : null,
          populationLift: popRead.holdout && popRead.treated ? popRead.lift : null,
          orderValue: read.orderValue,
          populationOrderValue: popRead.orderValue,
          retention: total ? r4(b !== undefined ? row[b] / total : 0) : null,
          populationRetention: sharedAll ? r4(keptAll / sharedAll) : null,
        });
        const i = b ?? -1;
        if (i >= 0)
          segments[i].checks.push({
            name: 'lift vs holdout',
            verdict: read.holdout === 0 ? 'warn' : read.significant && read.lift < 0 ? 'warn' : 'pass',
            value: read.lift,
            threshold: 0,
            reason: read.note,
          });
      });
      readouts.push(popRead);
    }
  }
  const history: HistoryEntry[] = [...(state?.history ?? [])];
  const entry: HistoryEntry = {
    runId: ref.runId,
    asOf: runAsOf,
    customers: merged.population.size,
    agreement,
    silhouette,
    daviesBouldin: db,
    segments: segments.map((s, i) => ({
      id: s.id,
      name: s.name,
      size: s.size,
      status: s.status,
      jaccard: jaccard[i],
    })),
    performance,
  };
  history.push(entry);
  const advice = retirementAdvice(
    history.flatMap((h) => h.performance),
    { runs: v.retireAfterRuns },
  );
  for (const a of advice) {
    const s = segments.find((x) => x.id === a.segmentId);
    if (!s) continue;
    s.checks.push({
      name: 'performance vs broad targeting',
      verdict: a.recommend ? 'warn' : 'pass',
      value: a.underperformingRuns,
      threshold: v.retireAfterRuns,
      reason: a.recommend ? `recommended for retirement: ${a.reason}. ${a.evidence.join('; ')}` : a.reason,
    });
  }

  for (const s of segments)
    s.status = s.checks.every((c) => c.verdict !== 'fail') ? 'published' : 'not-published';
  entry.segments.forEach((e, i) => {
    e.status = segments[i].status;
  });
  const cards = segments.map((s, i) =>
    segmentCard(
      { ...s, firstRunId: firstRunIds[i] },
      {
        runId: ref.runId,
        k,
        features: model.features,
        governance: config.governance,
        holdoutShare: config.segments.holdoutShare,
      },
    ),
  );
  const tabs = await Promise.all(
    Array.from({ length: ref.shardCount }, (_, i) =>
      getJsonIfExists<number[][]>(store, shardFile(ref, i, 'rfm.json')),
    ),
  );
  const rfmTabs = tabs.filter((t): t is number[][] => t !== undefined && t !== null);
  const result: ValidationResult = {
    ...(rfmTabs.length ? { rfm: { groups: [...RFM_GROUPS], counts: mergeCrossTabs(rfmTabs) } } : {}),
    segments,
    population: base.population,
    checks: runChecks,
    previousRunId: state?.runId ?? null,
    retired: identity.retired,
    lift: readouts,
    retirement: advice,
    cards,
    history: history.slice(-v.historyRuns),
    metrics: { silhouette, daviesBouldin: db, agreement },
  };
  const predictive = await predictiveSegments(store, ref, config);
  await putJson(store, runFile(ref, 'segments.json'), { ...result, predictive } satisfies ValidationResult);
  await putJson(store, runFile(ref, 'segment-cards.json'), cards);
  return {
    dataset: ref.dataset,
    runId: ref.runId,
    stage: 'validate',
    segments: result.segments.length,
    published: result.segments.filter((s) => s.status === 'published').length,
    retired: identity.retired.length,
  };
}

/** The run's as-of time, from the features the run computed (written by BuildFeatures). */
async function runAsOfIso(store: BlobStore, ref: RunRef, fallback: string): Promise<string> {
  const bytes = await store.getIfExists(shardFile(ref, 0, 'features.bin'));
  const asOfMs = bytes ? (decodeColumns(bytes).meta as { asOfMs?: number }).asOfMs : undefined;
  return typeof asOfMs === 'number' ? new Date(asOfMs).toISOString() : fallback;
}
