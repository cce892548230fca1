// The small JSON pointers that move between states (always far below Step Functions' 256 KiB):
// everything bulky lives in S3 under runs/<dataset>/<runId>/.

export interface RunRef {
  dataset: string;
  runId: string;
}

export interface IncomingObject {
  key: string;
  versionId?: string;
  size: number;
  etag?: string;
}

/**
 * Where a snapshot too long to ride in the execution input is kept (Step Functions caps a state's
 * input at 256 KiB, about 1,300 files with long multi-part names): an S3 object holding the list.
 */
export interface SnapshotManifestRef {
  manifest: string;
  count: number;
}

export interface RunInput extends RunRef {
  /** the snapshot's objects, inline, or a pointer to the S3 manifest that lists them */
  objects: IncomingObject[] | SnapshotManifestRef;
}

export interface ShardRef {
  index: number;
}

export interface IngestOutput {
  shardCount: number;
  shards: ShardRef[];
  asOfMs: number;
  rows: { read: number; accepted: number; rejected: number };
}

export interface ShardTask extends RunRef {
  shard: ShardRef;
  asOfMs: number;
}

export interface StageDone extends RunRef {
  stage: string;
  [metric: string]: unknown;
}
