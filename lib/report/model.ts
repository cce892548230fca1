// The data behind one run's HTML report: everything `renderReport` needs, already computed by the
// pipeline (no statistics happen in the renderer). Optional fields are optional sections: when the data
// is absent the renderer leaves the section out rather than showing an empty chart.

/** How a number is shown to people: 12,345 · 23.4 % · $1,234 · 0.82 · 45 days. */
export type ValueFormat = 'count' | 'percent' | 'decimal' | 'currency' | 'days';

/** Outcome of one validation check on one segment. */
export type Verdict = 'pass' | 'warn' | 'fail';

/** The whole report. Numbers are raw (counts, shares in 0–1, money in whole currency units). */
export interface ReportModel {
  /** Report title; defaults to "Audience segments: <dataset>". */
  title?: string;
  /** Dataset name as the marketer dropped it (`incoming/<dataset>/`). */
  dataset: string;
  /** Run identifier, shown in the header and footer. */
  runId: string;
  /** Point in time the features describe, ISO date `YYYY-MM-DD` (or date-time in UTC). */
  asOf: string;
  /** When the run finished, ISO date-time; only shown if given (the renderer never reads the clock). */
  generatedAt?: string;
  /** ISO 4217 code for every money figure in the report, e.g. "USD", "EUR". */
  currency: string;
  ingest: IngestSummary;
  /** Customers scored in this run. */
  customers: number;
  /** Learned segments, in display order. Sizes should add up to `customers`. */
  segments: SegmentCard[];
  /** checks of the run as a whole (number of segments, silhouette, Davies–Bouldin, agreement with the last run) */
  runChecks?: ValidationCheck[];
  /** Feature dictionary; profiles use these labels, units and descriptions. */
  features?: FeatureDefinition[];
  /** Learned segments against classic RFM groups. */
  rfm?: RfmCrossTab;
  propensity?: PropensitySummary;
  /** The lookalike audience, when the dataset has a seed file. */
  lookalike?: LookalikeSummary;
  clv?: ClvSummary;
  /** Earlier runs of the same dataset; omit on a first run. */
  history?: RunHistory;
  /** The run's effective configuration (any JSON), shown as a flat key/value table. */
  config?: ConfigValue;
}

/** Row accounting for the ingest step: read = accepted + rejected. */
export interface IngestSummary {
  rowsRead: number;
  rowsAccepted: number;
  rowsRejected: number;
  /** Input files read, if known. */
  files?: number;
  /** Rejection reasons with row counts; the report shows the largest few. */
  rejectionReasons: RejectionReason[];
}

export interface RejectionReason {
  /** Marketer-readable reason, e.g. "Amount is not a number". */
  reason: string;
  rows: number;
}

export interface SegmentCard {
  /** Stable segment id (kept across runs by centroid matching). */
  id: string;
  /** Human name, user-editable: always escaped. */
  name: string;
  /** One sentence describing the segment against the population. */
  description: string;
  /** Customers in the segment. */
  size: number;
  /** How the segment differs from the population, one entry per feature. */
  profile?: ProfileEntry[];
  /** Validation checks with their figures. */
  validation?: ValidationCheck[];
  /** Share of the segment held out from activation (0–1) for measuring uplift. */
  holdoutShare?: number;
  /** Where the segment was published in this run. */
  destinations?: Destination[];
}

/** A segment's mean for one feature next to the population's mean. Index = segment / population × 100. */
export interface ProfileEntry {
  /** Feature name, matching `FeatureDefinition.name` when a dictionary is given. */
  feature: string;
  segmentValue: number;
  populationValue: number;
}

export interface ValidationCheck {
  /** Check name, e.g. "Stability", "Separability", "Reachable audience". */
  check: string;
  verdict: Verdict;
  /** The measured figure. */
  value: number;
  /** Threshold the figure was compared with, if any. */
  threshold?: number;
  /** How to show `value` and `threshold`. */
  format: ValueFormat;
  /** Short explanation, e.g. what to do about a warning. */
  note?: string;
}

export type DestinationStatus = 'published' | 'skipped' | 'failed' | 'dry-run';

export interface Destination {
  /** Destination as configured, e.g. "Meta: Loyal lookalike seed". */
  name: string;
  /** Platform or store, e.g. "Meta Custom Audiences", "DynamoDB", "CSV export". */
  kind: string;
  status: DestinationStatus;
  /** Members sent (after consent, suppression and holdout). */
  members?: number;
  note?: string;
}

export type FeatureUnit = 'days' | 'count' | 'currency' | 'share' | 'number';

export interface FeatureDefinition {
  /** Column name used in profiles and config, e.g. "recencyDays". */
  name: string;
  /** Short human label, e.g. "Days since last order". */
  label: string;
  description: string;
  unit: FeatureUnit;
  /** Look-back window in days, if the feature has one. */
  windowDays?: number;
}

/** Customers per (segment, RFM group). */
export interface RfmCrossTab {
  /** RFM group names in display order, e.g. "Champions", "At risk". */
  groups: string[];
  /** One row per segment (by id); `counts[j]` is the number of its customers in `groups[j]`. */
  rows: { segmentId: string; counts: number[] }[];
}

export interface PropensitySummary {
  /** What is predicted, in words, e.g. "Purchase in the next 30 days". */
  target: string;
  /** Observed outcome rate across the evaluated customers (0–1). */
  baseRate: number;
  /** Area under the ROC curve on the holdout, if measured. */
  auc?: number;
  /** Deciles by score, 1 = highest scores. `rate` is the observed outcome rate in the decile. */
  deciles: { decile: number; customers: number; rate: number }[];
  /** Calibration bins: mean predicted probability vs observed rate. */
  calibration: { predicted: number; observed: number; customers: number }[];
  /** Where the labels came from, the features' point in time, rows left out: one sentence each. */
  notes?: string[];
  /** Features left out of the model and why (leakage screens, constant columns). */
  dropped?: { feature: string; reason: string }[];
}

export interface LookalikeSummary {
  /** Seed identifiers supplied, and those found among the customers. */
  seedsGiven: number;
  seedsMatched: number;
  /** The audience is the top X % of non-seed customers by resemblance. */
  topPercent: number;
  /** Customers in the audience (seeds are never in it); absent when the model was skipped. */
  audienceSize?: number;
  /** Why there is no audience, when the model was skipped. */
  reason?: string;
  /** Seeds held out of training, and the share of them inside the top X %. */
  heldOutSeeds?: number;
  recallAtTop?: number;
  /** Held-out seed recall against audience size (top X % → share of held-out seeds inside). */
  recall?: { topPercent: number; recall: number }[];
}

export interface ClvSummary {
  /** Horizon of the predicted value, in months. */
  horizonMonths: number;
  /** Equal-width bins in currency units; the last may be open-ended (no `to`). */
  bins: { from: number; to?: number; customers: number }[];
  mean: number;
  median: number;
  /** 90th percentile, if computed. */
  p90?: number;
}

export interface RunHistory {
  /** Earlier runs, oldest first. The current run is added from the model itself. */
  pastRuns: PastRun[];
  /** This run's stability against the previous run (0–1), e.g. share of customers keeping their segment. */
  currentStability?: number;
  /** What the stability figure measures, shown under the chart. */
  stabilityMeasure?: string;
}

export interface PastRun {
  runId: string;
  asOf: string;
  customers: number;
  /** Stability against the run before it (0–1); absent for the first run. */
  stability?: number;
  /** Segment id → customers; a segment missing here did not exist in that run. */
  segmentSizes: Record<string, number>;
}

export type ConfigValue = string | number | boolean | null | ConfigValue[] | { [key: string]: ConfigValue };
