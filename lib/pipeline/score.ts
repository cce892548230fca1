// Score stage (one shard): assign every customer to a segment and aggregate segment profiles.
import { assignRfm, crossTab } from '../models/rfm.js';
import { assignSegments, profileFeatures, type SegmentationModel } from '../models/segmentation.js';
import { aggregateProfiles } from '../segments/profile.js';
import { type BlobStore, getJson, putJson } from '../storage/blob.js';
import { encodeColumns } from '../storage/columnar.js';
import { loadFeatures } from './features.js';
import { scorePredictive } from './predictive.js';
import { runFile, shardFile } from './run-files.js';
import type { ShardTask, StageDone } from './types.js';
import { scoreValidationInputs } from './validate.js';

export async function score(store: BlobStore, task: ShardTask): Promise<StageDone> {
  const model = await getJson<SegmentationModel>(store, runFile(task, 'model.json'));
  const features = await loadFeatures(store, task, task.shard.index);
  const { labels, distances } = assignSegments(features, model);
  await store.put(
    shardFile(task, task.shard.index, 'scores.bin'),
    encodeColumns({ customerId: features.customerId, segment: labels, distance: distances }),
  );
  await scorePredictive(store, task, features);
  const profiled = profileFeatures(features, model);
  const profile = aggregateProfiles(profiled, labels, model.k, profiled.names);
  await putJson(store, shardFile(task, task.shard.index, 'profile.json'), profile);
  // reachability, audit make-up and last run's outcomes, counted here where the shard is loaded
  await scoreValidationInputs(store, task, features, labels, model.k);
  const { recencyDays, frequency, monetary } = features.values;
  if (model.rfm && recencyDays && frequency && monetary) {
    // classic RFM groups next to the learned segments: customers per (segment, group)
    const groups = assignRfm(model.rfm, recencyDays, frequency, monetary);
    await putJson(store, shardFile(task, task.shard.index, 'rfm.json'), crossTab(labels, groups, model.k));
  }
  return {
    dataset: task.dataset,
    runId: task.runId,
    stage: 'score',
    shard: task.shard.index,
    customers: labels.length,
  };
}
