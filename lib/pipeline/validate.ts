// Validate stage: names, descriptions and checks; decides which segments are published.
import type { SegmentationModel } from '../models/segmentation.js';
import { mergeProfiles, type ProfileAggregate } from '../segments/profile.js';
import { buildSegments, type Check, type Segment } from '../segments/validate.js';
import { type BlobStore, getJson, putJson } from '../storage/blob.js';
import { type PredictiveSummary, predictiveSegments } from './predictive.js';
import { loadRunConfig, runFile, shardFile } from './run-files.js';
import type { RunRef, StageDone } from './types.js';

export interface ValidationResult {
  segments: Segment[];
  population: Record<string, number>;
  checks: Check[];
  /** propensity bands and lookalike audiences, published like segments (absent before predictive models) */
  predictive?: PredictiveSummary;
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
  const predictive = await predictiveSegments(store, ref, config);
  await putJson(store, runFile(ref, 'segments.json'), { ...result, predictive } satisfies ValidationResult);
  return {
    dataset: ref.dataset,
    runId: ref.runId,
    stage: 'validate',
    segments: result.segments.length,
    published: result.segments.filter((s) => s.status === 'published').length,
  };
}
