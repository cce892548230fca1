// The small JSON pointers that move between states (always far below Step Functions' 256 KiB):
// everything bulky lives in S3 under runs/<dataset>/<runId>/. Each payload a function receives is
// written once, as the zod schema its handler parses the event with (functions/shared/runtime.ts);
// the TypeScript type the stages take is inferred from that schema, so the check and the type agree.
import { z } from 'zod';

export const runRef = z.object({ dataset: z.string().min(1), runId: z.string().min(1) });
export type RunRef = z.infer<typeof runRef>;

/** One object version of the dataset's snapshot under incoming/<dataset>/. */
export const incomingObject = z.object({
  key: z.string().min(1),
  versionId: z.string().optional(),
  size: z.number().nonnegative(),
  etag: z.string().optional(),
});
export type IncomingObject = z.infer<typeof incomingObject>;

/**
 * Where a snapshot too long to ride in the execution input is kept (Step Functions caps a state's
 * input at 256 KiB, about 1,300 files with long multi-part names): an S3 object holding the list.
 */
export const snapshotManifestRef = z.object({
  manifest: z.string().min(1),
  count: z.number().int().positive(),
});
export type SnapshotManifestRef = z.infer<typeof snapshotManifestRef>;

/** The execution input the starter builds (lib/pipeline/starter.ts); Ingest receives it. */
export const runInput = runRef.extend({
  /** the snapshot's objects, inline, or a pointer to the S3 manifest that lists them (lib/pipeline/snapshot.ts) */
  objects: z.union([z.array(incomingObject).min(1), snapshotManifestRef]),
});
export type RunInput = z.infer<typeof runInput>;

export const shardRef = z.object({ index: z.number().int().nonnegative() });
export type ShardRef = z.infer<typeof shardRef>;

/** One item of a shard map (BuildFeatures, Score): the run, its shard, the run's as-of time. */
export const shardTask = runRef.extend({ shard: shardRef, asOfMs: z.number() });
export type ShardTask = z.infer<typeof shardTask>;

/** A stage over all of the run's shards (Fit, Validate, the Publish branches). */
export const shardedRun = runRef.extend({ shardCount: z.number().int().positive() });
export type ShardedRun = z.infer<typeof shardedRun>;

/** One item of the IngestRanges map: a byte range of a dropped file, by its index in the plan. */
export const rangeTask = runRef.extend({ range: z.object({ index: z.number().int().nonnegative() }) });
export type RangeTask = z.infer<typeof rangeTask>;

/** One PublishMemberships worker: a shard, and the count that fixes its customer-hash range. */
export const membershipShardTask = shardedRun.extend({ shard: shardRef });
export type MembershipShardTask = z.infer<typeof membershipShardTask>;

/** Report: the run and its as-of time; `startedAt` is the execution's start time. */
export const reportTask = runRef.extend({ asOfMs: z.number(), startedAt: z.string().optional() });
export type ReportTask = z.infer<typeof reportTask>;

/** What a Catch puts at `$.error`: the error name, and its cause (a JSON string from Lambda, or text). */
export const stepFunctionsError = z.object({ Error: z.string().optional(), Cause: z.string().optional() });
export type StepFunctionsError = z.infer<typeof stepFunctionsError>;

/** Quarantine: the run's input and the failure that stopped it. */
export const failedRun = runInput.extend({ error: stepFunctionsError.optional() });
export type FailedRun = z.infer<typeof failedRun>;

/**
 * A request to run a dataset once its drops have settled: from an S3 event, a scheduled tick, or a
 * re-check the starter queued itself. This is the settle queue's message body (lib/pipeline/starter.ts).
 */
export const settleRequest = z.object({
  dataset: z.string(),
  /** a scheduled refresh's tick (ISO 8601): the run is named after it and runs even if no file changed */
  scheduledTime: z.string().optional(),
  /** latest activity seen for the dataset (epoch ms): the settle window counts from here */
  lastActivityMs: z.number().optional(),
});
export type SettleRequest = z.infer<typeof settleRequest>;

/** What MergeIngest returns at `$.ingest`: the shard map's items and the run's counts. */
export interface IngestOutput {
  shardCount: number;
  shards: ShardRef[];
  asOfMs: number;
  rows: { read: number; accepted: number; rejected: number };
}

/** What a stage returns: the run, the stage's name and a few counts. */
export interface StageDone extends RunRef {
  stage: string;
  [metric: string]: unknown;
}
