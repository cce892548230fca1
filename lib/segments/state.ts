// The dataset-level pointer to the last successful run, so the next run can keep segment identity,
// read out lift on last run's holdouts and chart segments over time. Written by Report at the end of a
// successful run: state/<dataset>/latest.json plus a copy of that run's per-shard scores (customer,
// segment index) under state/<dataset>/<runId>/scores/, outside the run scratch that lifecycle rules
// expire. Holdout flags are not stored: they are recomputed from the recorded salt and share, which is
// exactly how they were assigned.
import type { SegmentPerformance } from './retirement.js';

export interface HistoryEntry {
  runId: string;
  asOf: string;
  customers: number;
  /** adjusted Rand index with the run before, on the customers both scored */
  agreement: number | null;
  silhouette: number | null;
  daviesBouldin: number | null;
  segments: {
    id: string;
    name: string;
    size: number;
    status: string;
    jaccard: number | null;
  }[];
  /** how the previous run's segments performed in the window up to this run */
  performance: SegmentPerformance[];
}

export interface DatasetState {
  version: 1;
  dataset: string;
  runId: string;
  asOfMs: number;
  shardCount: number;
  holdoutSalt: string;
  holdoutShare: number;
  model: { features: string[]; mean: number[]; std: number[]; centroids: number[]; k: number };
  /** by segment index of that run */
  segments: { id: string; name: string; size: number; status: string; firstRunId: string }[];
  nextId: number;
  /** oldest first, capped at validation.historyRuns */
  history: HistoryEntry[];
}
