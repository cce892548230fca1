// Validate stage: names, descriptions and checks; decides which segments are published.
import { mergeCrossTabs, RFM_GROUPS } from '../models/rfm.js';
import type { SegmentationModel } from '../models/segmentation.js';
import { mergeProfiles, type ProfileAggregate } from '../segments/profile.js';
import { buildSegments, type Check, type Segment } from '../segments/validate.js';
import { type BlobStore, getJson, getJsonIfExists, putJson } from '../storage/blob.js';
import { loadRunConfig, runFile, shardFile } from './run-files.js';
import type { RunRef, StageDone } from './types.js';

export interface ValidationResult {
  segments: Segment[];
  population: Record<string, number>;
  checks: Check[];
  /** learned segments against classic RFM groups: counts[segment index][group index] */
  rfm?: { groups: string[]; counts: number[][] };
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
  const tabs = await Promise.all(
    Array.from({ length: ref.shardCount }, (_, i) =>
      getJsonIfExists<number[][]>(store, shardFile(ref, i, 'rfm.json')),
    ),
  );
  const present = tabs.filter((t): t is number[][] => t !== undefined && t !== null);
  const output: ValidationResult = {
    ...result,
    ...(present.length ? { rfm: { groups: [...RFM_GROUPS], counts: mergeCrossTabs(present) } } : {}),
  };
  await putJson(store, runFile(ref, 'segments.json'), output);
  return {
    dataset: ref.dataset,
    runId: ref.runId,
    stage: 'validate',
    segments: result.segments.length,
    published: result.segments.filter((s) => s.status === 'published').length,
  };
}
