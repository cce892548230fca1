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

export interface RunInput extends RunRef {
  objects: IncomingObject[];
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
