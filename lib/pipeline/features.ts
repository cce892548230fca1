// BuildFeatures stage (one shard): point-in-time features, mergeable statistics, fitting sample.
import { computeFeatures, concatTransactions, selectSample, summariseFeatures } from '../features/build.js';
import { type BlobStore, putJson } from '../storage/blob.js';
import { type Columns, decodeColumns, encodeColumns } from '../storage/columnar.js';
import { buildPredictiveInputs } from './predictive.js';
import { loadRunConfig, readParts, shardFile } from './run-files.js';
import type { RunRef, ShardTask, StageDone } from './types.js';

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
  await buildPredictiveInputs(store, task, config, tx, features);
  return {
    dataset: task.dataset,
    runId: task.runId,
    stage: 'features',
    shard: task.shard.index,
    customers: features.customerId.length,
  };
}

export async function loadFeatures(store: BlobStore, ref: RunRef, index: number) {
  const { columns } = decodeColumns(await store.get(shardFile(ref, index, 'features.bin')));
  const { customerId, ...values } = columns;
  return {
    customerId: customerId as string[],
    values: values as Record<string, Float64Array>,
    names: Object.keys(values),
  };
}
