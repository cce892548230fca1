// Fit stage: merge the shards' statistics and samples and fit the models.
import type { ShardFeatureSummary } from '../features/build.js';
import { dictionaryFor } from '../features/dictionary.js';
import { foldSmallest, shardQuota } from '../features/sampling.js';
import { fitSegmentation, type SegmentationModel } from '../models/segmentation.js';
import { type BlobStore, getJson, putJson } from '../storage/blob.js';
import { type Columns, decodeColumns } from '../storage/columnar.js';
import { applyDuplicateChecks } from './ingest.js';
import { fitPredictive, startClvFit } from './predictive.js';
import { loadRunConfig, runFile, shardFile } from './run-files.js';
import type { ShardedRun, StageDone } from './types.js';

export async function fitModels(store: BlobStore, ref: ShardedRun): Promise<StageDone> {
  const config = await loadRunConfig(store, ref);
  // every shard is done: their exact-duplicate counts go back into the ingest report once
  await applyDuplicateChecks(store, ref, ref.shardCount);
  const indices = Array.from({ length: ref.shardCount }, (_, i) => i);
  const summaries = await Promise.all(
    indices.map((i) => getJson<ShardFeatureSummary>(store, shardFile(ref, i, 'features-summary.json'))),
  );
  const samples = await loadFitSample(store, ref, config.segments.sampleSize);
  // a large CLV fit runs on a worker thread while this one fits the segments and propensity models
  const clv = await startClvFit(store, ref, config);
  let model: SegmentationModel;
  try {
    model = fitSegmentation(summaries, samples.parts, config.segments);
    await putJson(store, runFile(ref, 'model.json'), model);
    await fitPredictive(store, ref, config, samples.parts, clv);
  } catch (error) {
    clv?.parts.cancel();
    throw error;
  }
  await putJson(
    store,
    runFile(ref, 'feature-dictionary.json'),
    dictionaryFor(model.allFeatures ?? model.features),
  );
  return {
    dataset: ref.dataset,
    runId: ref.runId,
    stage: 'fit',
    k: model.k,
    customers: model.customers,
    sampleRowsRead: samples.loaded,
    ...(samples.incomplete ? { sampleIncomplete: true } : {}),
  };
}

/**
 * The shards' fitting samples folded into the `size` smallest keys (the global sample): at most about
 * 2 × size rows are held at once, whatever the number of shards.
 */
export async function loadFitSample(
  store: BlobStore,
  ref: ShardedRun,
  size: number,
): Promise<{ parts: Columns[]; loaded: number; peak: number; incomplete: boolean }> {
  return foldSmallest(
    ref.shardCount,
    async (i) => decodeColumns(await store.get(shardFile(ref, i, 'sample.bin'))).columns,
    size,
    { key: 'sampleKey', quota: shardQuota(size, ref.shardCount) },
  );
}
