// Fit stage: merge the shards' statistics and samples and fit the models.
import type { ShardFeatureSummary } from '../features/build.js';
import { dictionaryFor } from '../features/dictionary.js';
import { fitSegmentation } from '../models/segmentation.js';
import { type BlobStore, getJson, putJson } from '../storage/blob.js';
import { decodeColumns } from '../storage/columnar.js';
import { fitPredictive } from './predictive.js';
import { loadRunConfig, runFile, shardFile } from './run-files.js';
import type { RunRef, StageDone } from './types.js';

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
  await fitPredictive(store, ref, config, samples);
  await putJson(
    store,
    runFile(ref, 'feature-dictionary.json'),
    dictionaryFor(model.allFeatures ?? model.features),
  );
  return { dataset: ref.dataset, runId: ref.runId, stage: 'fit', k: model.k, customers: model.customers };
}
