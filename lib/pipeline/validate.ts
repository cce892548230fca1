// Validate stage: loads what Score and the earlier stages wrote, runs the validation phases of
// lib/segments in order and writes segments.json (and the segment cards). The phases, each a plain
// function: descriptions (names, descriptions, size and share gates), identity (matching to the
// previous run, drift), stability (bootstrap), separability, governance (reachability per
// destination, sensitive categories, representation), lift (the previous run's holdouts) and
// retirement. A segment is published when none of its checks fails.
import type { CustomerFeatures } from '../features/build.js';
import { FEATURE_BY_NAME, transformValue } from '../features/dictionary.js';
import { foldSmallest } from '../features/sampling.js';
import { concatTransactions } from '../features/transactions.js';
import type { IngestReport } from '../ingest/stage.js';
import { mergeCrossTabs, RFM_GROUPS } from '../models/rfm.js';
import { mergeSamples, type SegmentationModel } from '../models/segmentation.js';
import { type Check, type Segment, statusOf } from '../segments/checks.js';
import { describeSegments } from '../segments/describe.js';
import {
  type AuditMakeup,
  countAudit,
  countReach,
  governanceChecks,
  mergeAudit,
  mergeReach,
  type Reach,
  reachableCustomers,
  type SegmentCard,
  segmentCard,
} from '../segments/governance.js';
import { identifySegments, type RetiredSegment } from '../segments/identity.js';
import {
  addPreviousMembers,
  countOutcomes,
  type LiftCounts,
  type LiftReadout,
  liftChecks,
  mergeLiftCounts,
} from '../segments/lift.js';
import { mergeProfiles, type ProfileAggregate } from '../segments/profile.js';
import { type RetirementAdvice, retirementChecks } from '../segments/retirement.js';
import { separabilityChecks } from '../segments/separability.js';
import { type StandardisedSample, stabilityChecks } from '../segments/stability.js';
import type { DatasetState, HistoryEntry } from '../segments/state.js';
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
  reach: Reach[];
  /** per current segment: attribute → value → members (audit-only attributes) */
  audit: AuditMakeup[] | null;
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
  const reachable = reachableCustomers(await readParts(store, task, index, 'identities'));
  const reach = countReach(features.customerId, labels, k, reachable);
  const audit = countAudit(await readParts(store, task, index, 'audit'), features.customerId, labels, k);
  const state = await loadState(store, task);
  let lift: LiftCounts | null = null;
  if (state && task.asOfMs > state.asOfMs) {
    const current = new Map(features.customerId.map((id, i) => [id, labels[i]]));
    const ingestReport = await getJsonIfExists<IngestReport>(store, runFile(task, 'ingest.json'));
    const files =
      ingestReport?.shardCount === state.shardCount
        ? [index]
        : Array.from({ length: state.shardCount }, (_, i) => i);
    const previous = { customerId: [] as string[], segment: [] as number[], holdout: [] as number[] };
    for (const f of files) {
      const bytes = await store.getIfExists(keys.state.scores(task.dataset, state.runId, f));
      if (!bytes) continue;
      const cols = decodeColumns(bytes).columns;
      const scores = { customerId: cols.customerId as string[], segment: cols.segment as Int32Array };
      addPreviousMembers(previous, scores, current, state);
    }
    const tx = concatTransactions((await readTransactionParts(store, task, index)).parts);
    lift = countOutcomes(
      previous,
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
): Promise<StandardisedSample> {
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

export async function validate(store: BlobStore, ref: RunRef & { shardCount: number }): Promise<StageDone> {
  // Prepare: what the earlier stages wrote
  const config = await loadRunConfig(store, ref);
  const v = config.validation;
  const model = await getJson<SegmentationModel>(store, runFile(ref, 'model.json'));
  const profiles = mergeProfiles(
    await Promise.all(
      Array.from({ length: ref.shardCount }, (_, i) =>
        getJson<ProfileAggregate>(store, shardFile(ref, i, 'profile.json')),
      ),
    ),
  );
  const shardInputs = (
    await Promise.all(
      Array.from({ length: ref.shardCount }, (_, i) =>
        getJsonIfExists<ShardValidationInputs>(store, shardFile(ref, i, 'validation.json')),
      ),
    )
  ).filter((x): x is ShardValidationInputs => x !== undefined);
  const state = await loadState(store, ref);
  const sample = await loadFitSample(store, ref, model, v.bootstrapSample);
  const runAsOf = await runAsOfIso(store, ref, config.asOf ?? '');
  const k = model.k;
  const centroids = Float64Array.from(model.centroids);

  // the phases, in order
  const described = describeSegments(model, profiles, {
    minSize: config.segments.minSize,
    minShare: config.segments.minShare,
    kMax: config.segments.kMax,
  });
  const segments = described.segments;
  const identity = identifySegments(state, model, segments, v, ref.runId);
  segments.forEach((s, i) => {
    s.id = identity.ids[i];
    s.name = identity.names[i];
  });
  const stability = stabilityChecks(sample, centroids, k, v, model.seed);
  const separability = separabilityChecks(sample, centroids, k, profiles, v, model.seed);
  const governance = governanceChecks(
    segments,
    mergeReach(
      shardInputs.map((s) => s.reach),
      k,
    ),
    mergeAudit(
      shardInputs.map((s) => s.audit),
      k,
    ),
    config.destinations,
    { minReachableShare: v.minReachableShare, ...config.governance },
  );
  const lift = liftChecks(
    state,
    mergeLiftCounts(shardInputs.flatMap((s) => (s.lift ? [s.lift] : []))),
    identity.match.segments,
    { runId: ref.runId, asOf: runAsOf },
    v,
  );
  const retirement = retirementChecks(
    [...(state?.history ?? []).flatMap((h) => h.performance), ...lift.performance],
    identity.ids,
    { runs: v.retireAfterRuns },
  );
  // checks in the order segments.json has always listed them (the report shows them in this order)
  const runChecks = [...described.checks, ...separability.runChecks, ...lift.runChecks];
  segments.forEach((s, i) => {
    s.checks.push(
      ...stability.checks[i],
      ...separability.checks[i],
      ...governance[i],
      ...identity.checks[i],
      ...lift.checks[i],
      ...retirement.checks[i],
    );
    s.status = statusOf(s.checks);
  });

  // Write: segments.json and the segment cards
  const entry: HistoryEntry = {
    runId: ref.runId,
    asOf: runAsOf,
    customers: profiles.population.size,
    agreement: lift.agreement,
    silhouette: separability.silhouette,
    daviesBouldin: separability.daviesBouldin,
    segments: segments.map((s, i) => ({
      id: s.id,
      name: s.name,
      size: s.size,
      status: s.status,
      jaccard: stability.jaccard[i],
    })),
    performance: lift.performance,
  };
  const history = [...(state?.history ?? []), entry];
  const cards = segments.map((s, i) =>
    segmentCard(
      { ...s, firstRunId: identity.firstRunIds[i] },
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
    population: described.population,
    checks: runChecks,
    previousRunId: state?.runId ?? null,
    retired: identity.match.retired,
    lift: lift.readouts,
    retirement: retirement.advice,
    cards,
    history: history.slice(-v.historyRuns),
    metrics: {
      silhouette: separability.silhouette,
      daviesBouldin: separability.daviesBouldin,
      agreement: lift.agreement,
    },
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
    retired: identity.match.retired.length,
  };
}

/** The run's as-of time, from the features the run computed (written by BuildFeatures). */
async function runAsOfIso(store: BlobStore, ref: RunRef, fallback: string): Promise<string> {
  const bytes = await store.getIfExists(shardFile(ref, 0, 'features.bin'));
  const asOfMs = bytes ? (decodeColumns(bytes).meta as { asOfMs?: number }).asOfMs : undefined;
  return typeof asOfMs === 'number' ? new Date(asOfMs).toISOString() : fallback;
}
