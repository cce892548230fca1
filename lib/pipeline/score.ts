// Score stage (one shard): assign every customer to a segment and aggregate segment profiles.
import { assignSegments, type SegmentationModel } from '../models/segmentation.js';
import { aggregateProfiles } from '../segments/profile.js';
import { type BlobStore, getJson, putJson } from '../storage/blob.js';
import { encodeColumns } from '../storage/columnar.js';
import { loadFeatures } from './features.js';
import { scorePredictive } from './predictive.js';
import { runFile, shardFile } from './run-files.js';
import type { ShardTask, StageDone } from './types.js';

export async function score(store: BlobStore, task: ShardTask): Promise<StageDone> {
  const model = await getJson<SegmentationModel>(store, runFile(task, 'model.json'));
  const features = await loadFeatures(store, task, task.shard.index);
  const { labels, distances } = assignSegments(features, model);
  await store.put(
    shardFile(task, task.shard.index, 'scores.bin'),
    encodeColumns({ customerId: features.customerId, segment: labels, distance: distances }),
  );
  await scorePredictive(store, task, features);
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
