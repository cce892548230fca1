// The predictive models' part of each stage (CLV, propensity, lookalike), kept here so the stage
// modules only gain one call each. BuildFeatures writes per-shard inputs, Fit merges them into
// predictive-model.json, Score writes predictive.bin (aligned with scores.bin) and predictive.json
// (group sizes, a CLV sample), Validate turns bands and lookalike audiences into segment groups.
import type { DatasetConfig } from '../config/schema.js';
import {
  CATEGORY_PREFIX,
  type CustomerAttributes,
  type CustomerFeatures,
  computeFeatures,
  sampleKey,
} from '../features/build.js';
import { type ClvHistories, calibrationEndDay, computeClvInputs } from '../features/clv-inputs.js';
import { foldSmallest, shardQuota } from '../features/sampling.js';
import type { TransactionColumns } from '../features/transactions.js';
import type { IngestReport, OutcomeStats } from '../ingest/stage.js';
import {
  type ClvFitParts,
  type ClvModel,
  capSpend,
  combineClvFits,
  fitClvParts,
  scoreClvCustomers,
} from '../models/clv-pipeline.js';
import {
  buildLookalikeSample,
  fitLookalike,
  type LookalikeModel,
  scoreLookalike,
} from '../models/lookalike.js';
import {
  BAND_NAMES,
  buildOutcomeSample,
  buildSelfLabelledSample,
  calibrateBands,
  describeTarget,
  fitScoreModel,
  mergeSamples,
  type PropensityTarget,
  predict,
  type ScoreModel,
  scoreCustomers,
  skippedModel,
} from '../models/propensity.js';
import { type Check, minimumSizeCheck, type Segment, statusOf } from '../segments/checks.js';
import { type BlobStore, getJsonIfExists, putJson } from '../storage/blob.js';
import { type Columns, decodeColumns, encodeColumns } from '../storage/columnar.js';
import { type Offloaded, offload } from '../util/offload.js';
import { readParts, runFile, shardFile } from './run-files.js';
import type { RunRef, ShardTask } from './types.js';

export interface PredictiveModels {
  clv: ClvModel | null;
  propensity: ScoreModel[];
  lookalike: LookalikeModel | null;
}

/** A band or lookalike audience published like a cluster segment (never renumbers the clusters). */
export interface PredictiveSegment extends Segment {
  /** which model made it: `propensity-<target>` or `lookalike` */
  model: string;
  /** predictive.bin column and value that mean membership */
  column: string;
  value: number;
}

interface ShardCounts {
  customers: number;
  groups: Record<string, number>;
  /** CLV values of up to CLV_SAMPLE smallest-keyed customers, for the report's distribution */
  clvSample: { key: number; value: number }[];
  clvSum: number;
  clvCustomers: number;
}

const CLV_SAMPLE = 5000;
const OUTCOME_TARGET: PropensityTarget = { name: 'outcome', kind: 'outcome' };

/** What Ingest counted of the supplied labels (absent for runs staged without an ingest report of them). */
async function outcomeStats(store: BlobStore, ref: RunRef): Promise<OutcomeStats | undefined> {
  return (await getJsonIfExists<IngestReport>(store, runFile(ref, 'ingest.json')))?.outcomes;
}

/**
 * The instant supplied-label training features describe: the configured cut, else the earliest outcome
 * date (nothing recorded at or after any outcome informs the model), else the as-of time.
 */
export function outcomeCutMs(
  config: DatasetConfig,
  stats: OutcomeStats | undefined,
  asOfMs: number,
): { cutMs: number; why: string } {
  if (config.propensity.outcomeCut)
    return {
      cutMs: Math.min(asOfMs, Date.parse(config.propensity.outcomeCut)),
      why: 'propensity.outcomeCut',
    };
  if (stats?.earliestMs !== null && stats?.earliestMs !== undefined && stats.earliestMs < asOfMs)
    return { cutMs: stats.earliestMs, why: 'the earliest outcome date' };
  return { cutMs: asOfMs, why: 'the as-of time (the labels have no date)' };
}

async function seedSet(store: BlobStore, task: RunRef, index: number): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of await readParts(store, task, index, 'seeds')) {
    for (const id of part.customerId as string[]) out.add(id);
  }
  return out;
}

/** BuildFeatures: CLV inputs, propensity training rows and lookalike rows for one shard. */
export async function buildPredictiveInputs(
  store: BlobStore,
  task: ShardTask,
  config: DatasetConfig,
  tx: TransactionColumns,
  features: CustomerFeatures,
  customers?: CustomerAttributes,
  /** the run's shard count: each shard keeps only its quota of every global sample (features/sampling.ts) */
  shardCount?: number,
): Promise<void> {
  const file = (name: string) => shardFile(task, task.shard.index, name);
  const quota = (size: number) => shardQuota(size, shardCount);
  if (config.clv.enabled) {
    const inputs = computeClvInputs(tx, {
      asOfMs: task.asOfMs,
      endDay: calibrationEndDay(config.clv.calibrationEnd, task.asOfMs),
      periodDays: config.clv.periodDays,
    });
    await store.put(file('clv-inputs.bin'), encodeColumns(inputs.customers));
    await putJson(store, file('clv-histories.json'), inputs.histories);
    await store.put(
      file('clv-spend.bin'),
      encodeColumns(capSpend(inputs.spend, quota(config.clv.maxSpendCustomers)), {
        repeatBuyers: (inputs.spend.key as Uint32Array).length,
      }),
    );
  }
  const p = config.propensity;
  if (p.enabled) {
    for (const target of p.targets) {
      const built = buildSelfLabelledSample(
        tx,
        task.asOfMs,
        target,
        quota(p.sampleSize),
        config.segments.seed,
      );
      await store.put(file(`propensity-${target.name}.bin`), encodeColumns(built.sample));
    }
    const outcomes = await readParts(store, task, task.shard.index, 'outcomes');
    if (outcomes.length) {
      const customerId = outcomes.flatMap((o) => o.customerId as string[]);
      const label = new Uint8Array(customerId.length);
      const timestampMs = new Float64Array(customerId.length).fill(Number.NaN);
      let at = 0;
      for (const o of outcomes) {
        label.set(o.label as Uint8Array, at);
        if (o.timestampMs instanceof Float64Array) timestampMs.set(o.timestampMs, at);
        at += (o.label as Uint8Array).length;
      }
      // point in time: with dated outcomes the training features are recomputed as of the cut
      const { cutMs } = outcomeCutMs(config, await outcomeStats(store, task), task.asOfMs);
      const asOfCut =
        cutMs < task.asOfMs
          ? computeFeatures(tx, cutMs, {
              windowsDays: config.features.windowsDays,
              ...(customers ? { customers } : {}),
            })
          : features;
      const built = buildOutcomeSample(
        asOfCut,
        { customerId, label, timestampMs },
        quota(p.sampleSize),
        config.segments.seed,
        cutMs,
      );
      await store.put(
        file('propensity-outcome.bin'),
        encodeColumns(built.sample, {
          cutMs,
          asOfMs: task.asOfMs,
          beforeCut: built.beforeCut,
          ...(cutMs < task.asOfMs && asOfCut.laterDates ? { laterDates: asOfCut.laterDates } : {}),
        }),
      );
    }
  }
  if (config.lookalike.enabled) {
    const seeds = await seedSet(store, task, task.shard.index);
    if (seeds.size) {
      const built = buildLookalikeSample(
        features,
        seeds,
        quota(config.lookalike.sampleSize),
        config.segments.seed,
      );
      await store.put(file('lookalike-sample.bin'), encodeColumns(built.sample, { seeds: seeds.size }));
    }
  }
}

/**
 * The shards' `name` samples folded into the `size` smallest keys (bounded memory, see
 * features/sampling.ts), with each shard file's metadata; undefined when no shard wrote one.
 */
async function foldShardSamples(
  store: BlobStore,
  ref: RunRef,
  shards: number,
  name: string,
  size: number,
  where?: (part: Columns, row: number) => boolean,
): Promise<{ parts: Columns[]; metas: Record<string, unknown>[] } | undefined> {
  const metas: Record<string, unknown>[] = [];
  const folded = await foldSmallest(
    shards,
    async (i) => {
      const bytes = await store.getIfExists(shardFile(ref, i, name));
      if (!bytes) return undefined;
      const decoded = decodeColumns(bytes);
      metas.push(decoded.meta);
      return decoded.columns;
    },
    size,
    { key: 'key', quota: shardQuota(size, shards), ...(where ? { where } : {}) },
  );
  return metas.length ? { parts: folded.parts, metas } : undefined;
}

/** Per shard JSON, read a few at a time and folded into one value (never all shards' files at once). */
async function foldShardJson<T, A>(
  store: BlobStore,
  ref: RunRef,
  shards: number,
  name: string,
  into: A,
  add: (acc: A, part: T) => void,
): Promise<A> {
  for (let start = 0; start < shards; start += 8) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(8, shards - start) }, (_, j) =>
        getJsonIfExists<T>(store, shardFile(ref, start + j, name)),
      ),
    );
    for (const part of batch) if (part !== undefined) add(into, part);
  }
  return into;
}

/** True when some shard wrote `name` (looked up a few shards at a time, stopping at the first). */
async function anyShardFile(store: BlobStore, ref: RunRef, shards: number, name: string): Promise<boolean> {
  for (let start = 0; start < shards; start += 8) {
    const found = await Promise.all(
      Array.from({ length: Math.min(8, shards - start) }, (_, j) =>
        store.getIfExists(shardFile(ref, start + j, name)),
      ),
    );
    if (found.some((b) => b !== undefined)) return true;
  }
  return false;
}

/** The supplied-outcome target, named by its label when one label column or file supplied it. */
function outcomeTarget(stats: OutcomeStats | undefined): PropensityTarget {
  const labels = stats?.labels ?? [];
  return labels.length === 1 ? { ...OUTCOME_TARGET, label: labels[0] } : OUTCOME_TARGET;
}

function mergeLaterDates(metas: unknown[]): Record<string, { later: number; filled: number }> | undefined {
  const out: Record<string, { later: number; filled: number }> = {};
  for (const meta of metas) {
    if (!meta || typeof meta !== 'object') continue;
    for (const [name, v] of Object.entries(meta as Record<string, { later: number; filled: number }>)) {
      const into = out[name] ?? { later: 0, filled: 0 };
      into.later += v.later;
      into.filled += v.filled;
      out[name] = into;
    }
  }
  return Object.keys(out).length ? out : undefined;
}

/** Where the labels came from, the instant the features describe and the labelled rows left out. */
function describeSuppliedOutcome(
  model: ScoreModel,
  metas: Record<string, unknown>[],
  stats: OutcomeStats | undefined,
  config: DatasetConfig,
): void {
  const cut = metas.map((m) => Number(m.cutMs)).find((v) => Number.isFinite(v));
  const asOfMs = metas.map((m) => Number(m.asOfMs)).find((v) => Number.isFinite(v));
  const beforeCut = metas.reduce((n, m) => n + Number(m.beforeCut ?? 0), 0);
  const unlabelled = stats?.unlabelled ?? 0;
  const notes = (stats?.sources ?? []).map((s) => `Labels from ${s}.`);
  if (cut !== undefined) {
    model.featuresAsOf = new Date(cut).toISOString();
    const why = outcomeCutMs(config, stats, asOfMs ?? cut).why;
    notes.push(
      asOfMs !== undefined && cut < asOfMs
        ? `Training features are as of ${model.featuresAsOf.slice(0, 10)} (${why}): only events before it count, so nothing recorded after an outcome informs the model.`
        : `Training features are as of ${model.featuresAsOf.slice(0, 10)}, ${why}: check that no feature was recorded after the outcome, or give the labels a date (propensity.label.dateColumn).`,
    );
  }
  model.excluded = { unlabelled, beforeCut };
  if (unlabelled > 0)
    notes.push(
      `${unlabelled} customer row(s) with an empty or unrecognised label are scored but were not trained on.`,
    );
  if (beforeCut > 0)
    notes.push(`${beforeCut} outcome(s) dated before the cut were known then and were not trained on.`);
  model.notes = notes;
}

/**
 * Distinct histories from which the CLV fit (BG/NBD, then Gamma-Gamma) moves to a worker thread, so it
 * runs alongside the segmentation and propensity fits: at 1M transactions (56k histories, 66k repeat
 * buyers) it takes ~0.8 CPU seconds there; below this, a worker's start-up (~0.2-0.4 s) would cost more
 * than the overlap saves.
 */
export const CLV_WORKER_HISTORIES = 10_000;

/** A CLV fit under way (on a worker when large): both halves, and what the model reports besides. */
export interface ClvFitStarted {
  parts: Offloaded<ClvFitParts>;
  repeatBuyers?: number;
}

/**
 * Loads the shards' CLV inputs and starts the CLV fit: on a worker thread when the histories are many
 * (the caller fits the other models meanwhile), inline otherwise.
 */
export async function startClvFit(
  store: BlobStore,
  ref: RunRef & { shardCount: number },
  config: DatasetConfig,
): Promise<ClvFitStarted | null> {
  if (!config.clv.enabled) return null;
  const shards = ref.shardCount;
  // one histogram of distinct histories, merged as the shards' files arrive
  const merged = await foldShardJson<ClvHistories, { parts: number; distinct: number; all: ClvHistories }>(
    store,
    ref,
    shards,
    'clv-histories.json',
    { parts: 0, distinct: 0, all: { calibrationEndDay: 0, customers: 0, histories: {} } },
    (acc, part) => {
      if (!acc.parts++) acc.all.calibrationEndDay = part.calibrationEndDay;
      acc.all.customers += part.customers;
      for (const [key, count] of Object.entries(part.histories)) {
        const had = acc.all.histories[key];
        if (had === undefined) acc.distinct++;
        acc.all.histories[key] = (had ?? 0) + count;
      }
    },
  );
  const spend = await foldShardSamples(store, ref, shards, 'clv-spend.bin', config.clv.maxSpendCustomers);
  const repeatBuyers = spend?.metas.every((m) => typeof m.repeatBuyers === 'number')
    ? spend.metas.reduce((n, m) => n + Number(m.repeatBuyers), 0)
    : undefined;
  const parts = offload(
    'fitClvParts',
    [merged.parts ? [merged.all] : [], spend?.parts ?? [], config.clv],
    merged.distinct < CLV_WORKER_HISTORIES,
    fitClvParts,
  );
  return { parts, repeatBuyers };
}

/** The CLV model of a started fit: the same model fitClvModel gives. */
async function finishClvFit(started: ClvFitStarted, config: DatasetConfig): Promise<ClvModel> {
  const { purchases, spend } = await started.parts.result;
  return combineClvFits(purchases, spend, config.clv, started.repeatBuyers);
}

/**
 * Fit: CLV on merged histories, one propensity model per target, the lookalike model. `clvFit` is a
 * CLV fit the caller already started (startClvFit); without it, this starts one.
 */
export async function fitPredictive(
  store: BlobStore,
  ref: RunRef & { shardCount: number },
  config: DatasetConfig,
  population: readonly Columns[],
  clvFit?: ClvFitStarted | null,
): Promise<PredictiveModels> {
  const shards = ref.shardCount;
  const clvStarted = clvFit === undefined ? await startClvFit(store, ref, config) : clvFit;
  // population as of asOf (the clustering sample): band cuts and percentiles
  const popColumns: Record<string, Float64Array> = {};
  const popCategorical: Record<string, string[]> = {};
  const popN = population.reduce((n, p) => n + (p.customerId as string[]).length, 0);
  for (const name of new Set(population.flatMap((p) => Object.keys(p)))) {
    if (name === 'customerId' || name === 'sampleKey') continue;
    if (name.startsWith(CATEGORY_PREFIX)) {
      popCategorical[name.slice(CATEGORY_PREFIX.length)] = population.flatMap((p) => {
        const col = p[name] as string[] | undefined;
        return col ?? new Array<string>((p.customerId as string[]).length).fill('');
      });
      continue;
    }
    const out = new Float64Array(popN);
    let at = 0;
    for (const p of population) {
      const col = p[name] as Float64Array | undefined;
      if (col) out.set(col, at);
      at += (p.customerId as string[]).length;
    }
    popColumns[name] = out;
  }
  const propensity: ScoreModel[] = [];
  const p = config.propensity;
  if (p.enabled) {
    const targets: PropensityTarget[] = [...p.targets];
    const hasOutcomes = await anyShardFile(store, ref, shards, 'propensity-outcome.bin');
    const stats = hasOutcomes ? await outcomeStats(store, ref) : undefined;
    if (hasOutcomes) targets.unshift(outcomeTarget(stats));
    for (const target of targets) {
      const folded = await foldShardSamples(
        store,
        ref,
        shards,
        `propensity-${target.name}.bin`,
        p.sampleSize,
      );
      const merged = folded ? mergeSamples(folded.parts, p.sampleSize) : undefined;
      if (merged && target.kind === 'outcome') {
        const later = mergeLaterDates((folded?.metas ?? []).map((m) => m.laterDates));
        if (later) merged.laterDates = later;
      }
      const model = merged
        ? fitScoreModel(merged, target, p)
        : skippedModel(target, describeTarget(target), 'No training data was built for this target.');
      if (target.kind === 'outcome') describeSuppliedOutcome(model, folded?.metas ?? [], stats, config);
      if (model.status === 'fitted')
        calibrateBands(model, predict(model, popColumns, popN, popCategorical), p.bands);
      propensity.push(model);
    }
  }
  let lookalike: LookalikeModel | null = null;
  if (config.lookalike.enabled) {
    // seeds and non-seeds are sampled separately: sampleSize smallest keys of each
    const size = config.lookalike.sampleSize;
    const label = (value: number) => (part: Columns, row: number) =>
      (part.label as Uint8Array)[row] === value;
    const seedRows = await foldShardSamples(store, ref, shards, 'lookalike-sample.bin', size, label(1));
    const rest = await foldShardSamples(store, ref, shards, 'lookalike-sample.bin', size, label(0));
    if (seedRows && rest) {
      const seeds = seedRows.metas.reduce((n, m) => n + Number(m.seeds ?? 0), 0);
      lookalike = fitLookalike([...seedRows.parts, ...rest.parts], seeds, config.lookalike);
    }
  }
  const clv = clvStarted ? await finishClvFit(clvStarted, config) : null;
  const models: PredictiveModels = { clv, propensity, lookalike };
  await putJson(store, runFile(ref, 'predictive-model.json'), models);
  return models;
}

export async function loadPredictiveModels(
  store: BlobStore,
  ref: RunRef,
): Promise<PredictiveModels | undefined> {
  return getJsonIfExists<PredictiveModels>(store, runFile(ref, 'predictive-model.json'));
}

/** Score: per-customer predictive columns for one shard, aligned with the features' customer order. */
export async function scorePredictive(
  store: BlobStore,
  task: ShardTask,
  features: {
    customerId: string[];
    values: Record<string, Float64Array>;
    categorical?: Record<string, string[]>;
  },
): Promise<void> {
  const models = await loadPredictiveModels(store, task);
  if (!models) return;
  const n = features.customerId.length;
  const columns: Columns = { customerId: features.customerId };
  const counts: ShardCounts = { customers: n, groups: {}, clvSample: [], clvSum: 0, clvCustomers: 0 };
  for (const model of models.propensity) {
    if (model.status !== 'fitted') continue;
    const s = scoreCustomers(model, features.values, n, features.categorical);
    const prefix = `prop_${model.target.name}`;
    columns[`${prefix}_score`] = s.score;
    columns[`${prefix}_band`] = s.band;
    columns[`${prefix}_percentile`] = s.percentile;
    for (let code = 0; code < 3; code++) {
      let k = 0;
      for (let i = 0; i < n; i++) if (s.band[i] === code) k++;
      counts.groups[`prop-${model.target.name}-${BAND_NAMES[code]}`] = k;
    }
  }
  if (models.lookalike?.status === 'fitted') {
    const seeds = await seedSet(store, task, task.shard.index);
    const s = scoreLookalike(models.lookalike, features, seeds);
    columns.lookalike_score = s.score;
    columns.lookalike_percentile = s.percentile;
    columns.lookalike_in = s.inAudience;
    counts.groups['lookalike-top'] = s.inAudience.reduce((k, v) => k + v, 0);
  }
  if (models.clv?.status === 'fitted') {
    const bytes = await store.getIfExists(shardFile(task, task.shard.index, 'clv-inputs.bin'));
    const clvValue = new Float64Array(n).fill(Number.NaN);
    const pAlive = new Float64Array(n).fill(Number.NaN);
    const purchases = new Float64Array(n).fill(Number.NaN);
    if (bytes) {
      const inputs = decodeColumns(bytes).columns;
      const scored = scoreClvCustomers(models.clv, inputs);
      if (scored) {
        const row = new Map<string, number>();
        features.customerId.forEach((id, i) => {
          row.set(id, i);
        });
        const ids = inputs.customerId as string[];
        const sample: { key: number; value: number }[] = [];
        for (let k = 0; k < ids.length; k++) {
          const i = row.get(ids[k]);
          if (i === undefined) continue;
          clvValue[i] = scored.clv[k];
          pAlive[i] = scored.probabilityAlive[k];
          purchases[i] = scored.expectedPurchases[k];
          if (Number.isFinite(scored.clv[k])) {
            counts.clvSum += scored.clv[k];
            counts.clvCustomers++;
            sample.push({ key: sampleKey(ids[k], 7), value: scored.clv[k] });
          }
        }
        counts.clvSample = sample.sort((a, b) => a.key - b.key).slice(0, CLV_SAMPLE);
      }
    }
    columns.clv = clvValue;
    columns.pAlive = pAlive;
    columns.expectedPurchases = purchases;
  }
  await store.put(shardFile(task, task.shard.index, 'predictive.bin'), encodeColumns(columns));
  await putJson(store, shardFile(task, task.shard.index, 'predictive.json'), counts);
}

/** Per-customer predictive columns of one shard (undefined when no predictive model ran). */
export async function loadPredictiveScores(
  store: BlobStore,
  ref: RunRef,
  index: number,
): Promise<Columns | undefined> {
  const bytes = await store.getIfExists(shardFile(ref, index, 'predictive.bin'));
  return bytes ? decodeColumns(bytes).columns : undefined;
}

export interface PredictiveSummary {
  groups: PredictiveSegment[];
  clvDistribution?: { customers: number; mean: number; sample: number[] };
}

/** Validate: band and lookalike groups with sizes and the minimum-size checks, plus the CLV distribution. */
export async function predictiveSegments(
  store: BlobStore,
  ref: RunRef & { shardCount: number },
  config: DatasetConfig,
): Promise<PredictiveSummary> {
  const models = await loadPredictiveModels(store, ref);
  if (!models) return { groups: [] };
  // shard counts summed as they arrive; the CLV sample keeps the smallest keys (bounded at any shard count)
  const counts = await foldShardJson<ShardCounts, ShardCounts>(
    store,
    ref,
    ref.shardCount,
    'predictive.json',
    { customers: 0, groups: {}, clvSample: [], clvSum: 0, clvCustomers: 0 },
    (acc, c) => {
      acc.customers += c.customers;
      for (const [id, n] of Object.entries(c.groups)) acc.groups[id] = (acc.groups[id] ?? 0) + n;
      acc.clvSum += c.clvSum;
      acc.clvCustomers += c.clvCustomers;
      acc.clvSample.push(...c.clvSample);
      if (acc.clvSample.length > 2 * CLV_SAMPLE)
        acc.clvSample = acc.clvSample.sort((a, b) => a.key - b.key).slice(0, CLV_SAMPLE);
    },
  );
  const total = counts.customers;
  const size = (id: string) => counts.groups[id] ?? 0;
  const groups: PredictiveSegment[] = [];
  const add = (
    id: string,
    name: string,
    description: string,
    model: string,
    column: string,
    value: number,
  ) => {
    const n = size(id);
    const checks: Check[] = [
      minimumSizeCheck(n, config.segments.minSize, {
        pass: 'large enough to activate',
        fail: `fewer than ${config.segments.minSize} customers: too small to activate`,
      }),
    ];
    groups.push({
      id,
      index: -1,
      name,
      description,
      size: n,
      share: total ? n / total : 0,
      status: statusOf(checks),
      checks,
      means: {},
      z: {},
      model,
      column,
      value,
    });
  };
  for (const m of models.propensity) {
    if (m.status !== 'fitted') continue;
    for (const [code, band] of [
      [2, 'high'],
      [1, 'medium'],
      [0, 'low'],
    ] as const) {
      add(
        `prop-${m.target.name}-${band}`,
        `${m.description}: ${band} propensity`,
        `Customers in the ${band} band of the "${m.description}" score (${band === 'high' ? `top ${Math.round(config.propensity.bands.high * 100)} %` : band === 'medium' ? `next ${Math.round(config.propensity.bands.medium * 100)} %` : 'the rest'}).`,
        `propensity-${m.target.name}`,
        `prop_${m.target.name}_band`,
        code,
      );
    }
  }
  if (models.lookalike?.status === 'fitted') {
    add(
      'lookalike-top',
      `Lookalikes: top ${models.lookalike.topPercent} %`,
      `The ${models.lookalike.topPercent} % of non-seed customers who most resemble the seed audience.`,
      'lookalike',
      'lookalike_in',
      1,
    );
  }
  const clvCustomers = counts.clvCustomers;
  const summary: PredictiveSummary = { groups };
  if (clvCustomers > 0) {
    const sample = counts.clvSample
      .sort((a, b) => a.key - b.key)
      .slice(0, CLV_SAMPLE)
      .map((s) => s.value)
      .sort((a, b) => a - b);
    summary.clvDistribution = {
      customers: clvCustomers,
      mean: counts.clvSum / clvCustomers,
      sample,
    };
  }
  return summary;
}
