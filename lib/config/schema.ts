// The per-dataset configuration marketers or ops drop at config/<dataset>.json (or pass with
// --config locally). Every setting has a default, so a dataset with no config still runs; unknown
// keys are rejected so a typo is reported instead of silently ignored.
import { z } from 'zod';
import { CONFIG_ERROR } from '../util/error-names.js';

const fieldOverrides = z.record(z.string(), z.string()).describe('field name → column header in the file');

export const fileSettingsSchema = z
  .object({
    /** glob-like match on the file name within the dataset (e.g. "*.csv", "orders/*") */
    match: z.string().default('*'),
    kind: z.enum(['transactions', 'customers', 'outcomes', 'seeds', 'suppressions']).optional(),
    format: z.enum(['csv', 'tsv', 'whitespace', 'jsonl', 'parquet']).optional(),
    delimiter: z.string().min(1).max(1).optional(),
    encoding: z.enum(['utf-8', 'utf-16le', 'utf-16be', 'latin1', 'windows-1252']).optional(),
    header: z.boolean().optional(),
    columns: z.array(z.string()).optional(),
    mapping: fieldOverrides.optional(),
    dayFirst: z.boolean().optional(),
    timeZone: z.string().optional(),
    decimal: z.enum(['.', ',', 'auto']).optional(),
    /** date format of the timestamp column when inference should not decide (e.g. 'dmy', 'yyyymmdd') */
    dateFormat: z
      .enum(['iso', 'epoch-s', 'epoch-ms', 'yyyymmdd', 'mdy', 'dmy', 'ymd-slash', 'excel-serial'])
      .optional(),
    /** accept a file with a header and no rows (e.g. an empty weekly suppression list) */
    allowEmpty: z.boolean().optional(),
    /**
     * Sensitive columns kept for an audit-only use (never a feature, never published): each needs a
     * purpose and a legal basis; any other sensitive column is dropped with a warning.
     */
    auditOnly: z
      .array(
        z
          .object({ column: z.string().min(1), purpose: z.string().min(3), legalBasis: z.string().min(3) })
          .strict(),
      )
      .optional(),
    /** headers checked by the data owner and declared not sensitive (e.g. 'childrenswear_spend') */
    notSensitive: z.array(z.string()).optional(),
  })
  .strict();

export const destinationSchema = z
  .object({
    type: z.enum(['file', 'meta', 'google', 'tiktok', 'linkedin', 'webhook']),
    /** which segments go to this destination: segment ids or names, or "*" for all published */
    segments: z.array(z.string()).default(['*']),
    audienceNamePrefix: z.string().default(''),
    // Platform settings, checked per type below (see lib/publish/connector.ts DestinationConfig).
    /** Secrets Manager ARN of the platform token (`local:NAME` for local runs only) */
    tokenSecretArn: z.string().min(1).optional(),
    /** API base URL override, e.g. a local receiver in tests */
    baseUrl: z.string().url().optional(),
    batchSize: z.number().int().positive().optional(),
    apiVersion: z.string().optional(),
    adAccountId: z.string().optional(),
    audienceId: z.string().optional(),
    customerId: z.string().optional(),
    userListId: z.string().optional(),
    developerTokenSecretArn: z.string().optional(),
    loginCustomerId: z.string().optional(),
    advertiserId: z.string().optional(),
    segmentId: z.string().optional(),
    url: z.string().url().optional(),
    signingSecretArn: z.string().optional(),
    /** per segment (id or name): the platform's audience id (Meta/TikTok audience, Google user list, LinkedIn DMP segment) and name */
    audiences: z
      .record(
        z.string(),
        z.object({ audienceId: z.string().optional(), name: z.string().optional() }).strict(),
      )
      .optional(),
    /** consent flag a member needs for this destination ("none" only for internal systems) */
    consentChannel: z.enum(['ads', 'email', 'sms', 'none']).default('ads'),
    /** compute and report the delta, send nothing, keep the last pushed state */
    dryRun: z.boolean().default(false),
  })
  .catchall(z.unknown())
  .superRefine((d, ctx) => {
    const required: Record<string, string[]> = {
      meta: ['adAccountId', 'tokenSecretArn'],
      google: ['customerId', 'tokenSecretArn'],
      tiktok: ['advertiserId', 'tokenSecretArn'],
      linkedin: ['tokenSecretArn'],
      webhook: ['url', 'signingSecretArn'],
    };
    for (const key of required[d.type] ?? []) {
      if (d[key] === undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: `a ${d.type} destination needs ${key}` });
    }
  });

const clvDefaults = {
  enabled: true,
  periodDays: 7,
  horizonPeriods: 52,
  discountRatePerPeriod: 0,
  maxSpendCustomers: 200_000,
  penalizer: 0,
};
export const clvSettingsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** last day (inclusive, UTC, YYYY-MM-DD) of the calibration period; default: the as-of day */
    calibrationEnd: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .optional(),
    /** days per model period (7 = weeks, as in the CDNOW reference) */
    periodDays: z.number().positive().default(7),
    /** prediction horizon, in periods */
    horizonPeriods: z.number().min(0).default(52),
    discountRatePerPeriod: z.number().gt(-1).default(0),
    /** repeat buyers used to fit the spend model (hash-keyed sample above this; exact below) */
    maxSpendCustomers: z.number().int().min(100).default(200_000),
    /** L2 penalty of the BG/NBD fit (lifetimes' convention); 0 = exact maximum likelihood. A fit whose
     * predictions overflow is refitted with 1e-4 and a warning. */
    penalizer: z.number().min(0).default(0),
  })
  .strict();

const bandSharesDefaults = { high: 0.2, medium: 0.3 };
const propensityDefaults = {
  enabled: true,
  targets: [{ name: 'purchase', kind: 'purchase' as const, windowDays: 30 }],
  bands: bandSharesDefaults,
  minPositives: 100,
  minNegatives: 100,
  validationShare: 0.3,
  l2: 1,
  sampleSize: 100_000,
  leakageAuc: 0.98,
  detectLabel: true,
};
/** A label column inside a customers/CRM export: the supervised outcome, never a feature. */
export const labelColumnSchema = z
  .object({
    /** header of the label column in the customers file, e.g. "Churn" or "y" */
    column: z.string().min(1),
    /** values meaning "positive" (case-insensitive); default: yes, true, 1, y, t, positive, converted, churned */
    positive: z.array(z.string().min(1)).min(1).optional(),
    /** values meaning "negative" (case-insensitive); default with `positive` set: any other non-empty value */
    negative: z.array(z.string().min(1)).min(1).optional(),
    /** header of the column saying when the outcome happened (features are then taken before it) */
    dateColumn: z.string().min(1).optional(),
  })
  .strict();
export const propensitySettingsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** self-labelled targets: purchase = buys within windowDays after the cut, churn = does not */
    targets: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z0-9-]{1,32}$/),
            kind: z.enum(['purchase', 'churn']),
            windowDays: z.number().int().positive(),
          })
          .strict(),
      )
      .default(propensityDefaults.targets),
    /** share of scored customers in the high and medium bands (the rest are low) */
    bands: z
      .object({ high: z.number().min(0).max(1), medium: z.number().min(0).max(1) })
      .strict()
      .refine((b) => b.high + b.medium <= 1, { message: 'propensity.bands.high + medium must be <= 1' })
      .default(bandSharesDefaults),
    minPositives: z.number().int().min(1).default(100),
    minNegatives: z.number().int().min(1).default(100),
    /** share of customers held out (by hash) to measure AUC, lift and calibration */
    validationShare: z.number().gt(0).lt(1).default(0.3),
    /** L2 strength (1/C in scikit-learn terms) */
    l2: z.number().min(0).default(1),
    /** customers in the training sample (hash-keyed, uniform across shards) */
    sampleSize: z.number().int().min(100).default(100_000),
    /** a single feature separating the labels with at least this AUC is treated as a leak */
    leakageAuc: z.number().gt(0.5).max(1).default(0.98),
    /** the label column of a customers file (supplied outcome, trained like an outcomes file) */
    label: labelColumnSchema.optional(),
    /** without `label`: take a customers column named churned, churn, converted, label, target, y or outcome as the label */
    detectLabel: z.boolean().default(true),
    /**
     * features for supplied outcomes are computed as of this instant (ISO 8601); default: the earliest
     * outcome date when outcomes are dated, else the as-of time. Outcomes dated before it are not trained on.
     */
    outcomeCut: z.string().datetime({ offset: true }).optional(),
  })
  .strict();

const lookalikeDefaults = {
  enabled: true,
  topPercent: 10,
  holdoutSeedShare: 0.2,
  l2: 1,
  sampleSize: 100_000,
};
export const lookalikeSettingsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** the audience is the top X % of non-seed customers by similarity */
    topPercent: z.number().gt(0).max(100).default(10),
    /** share of seeds held out of training to measure how well seeds rank */
    holdoutSeedShare: z.number().gt(0).lt(1).default(0.2),
    l2: z.number().min(0).default(1),
    sampleSize: z.number().int().min(100).default(100_000),
  })
  .strict();

export const configSchema = z
  .object({
    files: z.array(fileSettingsSchema).default([]),
    /** share of bad rows a file may have before it is quarantined instead of partly used */
    maxRowErrorRate: z.number().min(0).max(1).default(0.05),
    /** exact repeats of a transaction (same customer, time, amount and order id): reject or keep */
    duplicateRows: z.enum(['reject', 'keep']).default('reject'),
    /** shards for BuildFeatures/Score; 0 = derive from input size */
    shards: z.number().int().min(0).max(10_000).default(0),
    /** ISO 4217 currency of the amounts, for reports */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .default('USD'),
    /** score "as of" this instant (ISO 8601); default: the latest event in the data */
    asOf: z.string().datetime({ offset: true }).optional(),
    features: z
      .object({
        windowsDays: z.array(z.number().int().positive()).default([90, 365]),
      })
      .strict()
      .default({ windowsDays: [90, 365] }),
    segments: z
      .object({
        kMin: z.number().int().min(2).max(12).default(3),
        kMax: z.number().int().min(2).max(12).default(5),
        nInit: z.number().int().min(1).max(50).default(4),
        seed: z.number().int().default(42),
        /** customers in the fitting sample (uniform across shards) */
        sampleSize: z.number().int().min(100).default(50_000),
        minSize: z.number().int().min(0).default(50),
        minShare: z.number().min(0).max(1).default(0.02),
        holdoutShare: z.number().min(0).max(0.5).default(0.1),
        holdoutSalt: z.string().default('holdout-v1'),
      })
      .strict()
      .refine((s) => s.kMin <= s.kMax, { message: 'segments.kMin must not exceed segments.kMax' })
      .default({
        kMin: 3,
        kMax: 5,
        nInit: 4,
        seed: 42,
        sampleSize: 50_000,
        minSize: 50,
        minShare: 0.02,
        holdoutShare: 0.1,
        holdoutSalt: 'holdout-v1',
      }),
    destinations: z.record(z.string(), destinationSchema).default({}),
    /** the gates a segment must pass to be published, and the across-run readouts */
    validation: z
      .object({
        /** bootstrap refits for stability; 0 turns the bootstrap off */
        bootstrapRuns: z.number().int().min(0).max(200).default(20),
        /** fit-sample rows the bootstrap and silhouette use (kept small so Validate stays fast) */
        bootstrapSample: z.number().int().min(50).default(5_000),
        /** mean bootstrap Jaccard below which a segment is unstable (warn) */
        unstableJaccard: z.number().min(0).max(1).default(0.75),
        /** mean bootstrap Jaccard below which a segment has dissolved (fail) */
        dissolvedJaccard: z.number().min(0).max(1).default(0.5),
        /** mean silhouette below which the run's separation is weak (warn) */
        minSilhouette: z.number().min(-1).max(1).default(0.25),
        /** Davies–Bouldin index above which the run's separation is weak (warn) */
        maxDaviesBouldin: z.number().min(0).default(1.5),
        /** a segment whose strongest feature differs from the rest by less than this Cohen's d is vague (warn) */
        minEffectSize: z.number().min(0).default(0.5),
        /** share of members with a consented, hashable identifier below which a destination push is thin (warn) */
        minReachableShare: z.number().min(0).max(1).default(0.3),
        /** previous-run matching: max RMS centroid distance per feature, in standard deviations */
        matchDistance: z.number().positive().default(0.75),
        /** adjusted Rand index with the previous run below which the segmentation moved (warn) */
        minRunAgreement: z.number().min(-1).max(1).default(0.6),
        /** relative size change of a matched segment above which it drifted (warn) */
        maxSizeDrift: z.number().min(0).default(0.3),
        /** centroid move of a matched segment above which it drifted (warn), standard deviations per feature */
        maxCentroidDrift: z.number().min(0).default(0.5),
        /** consecutive runs a segment may do no better than broad targeting before retirement is advised */
        retireAfterRuns: z.number().int().min(1).default(3),
        /** what counts as the outcome in the lift readout */
        outcome: z.enum(['purchase']).default('purchase'),
        /** runs kept in the dataset's history pointer (the full history is in the runs table) */
        historyRuns: z.number().int().min(1).max(200).default(26),
      })
      .strict()
      .prefault({}),
    /** who owns the segments and what they are for: printed on every segment card */
    governance: z
      .object({
        owner: z.string().default('unassigned'),
        intendedUse: z.string().default('marketing audiences and personalisation'),
        refreshCadence: z.string().default('on every data drop'),
        /** extra words a segment name or description must not contain */
        sensitiveTerms: z.array(z.string()).default([]),
        /** four-fifths rule threshold for audit-only attributes */
        representationRatio: z.number().min(0).max(1).default(0.8),
      })
      .strict()
      .prefault({}),
    /** customer lifetime value (BG/NBD + Gamma-Gamma); see lib/models/clv-pipeline.ts */
    clv: clvSettingsSchema.default(clvDefaults),
    /** propensity models (self-labelled targets and supplied outcomes); see lib/models/propensity.ts */
    propensity: propensitySettingsSchema.default(propensityDefaults),
    /** lookalike audiences from a seed file; see lib/models/lookalike.ts */
    lookalike: lookalikeSettingsSchema.default(lookalikeDefaults),
  })
  .strict();

export type DatasetConfig = z.infer<typeof configSchema>;
export type FileSettings = z.infer<typeof fileSettingsSchema>;
export type ClvSettings = z.infer<typeof clvSettingsSchema>;
export type PropensitySettings = z.infer<typeof propensitySettingsSchema>;
export type LabelColumnSettings = z.infer<typeof labelColumnSchema>;
export type LookalikeSettings = z.infer<typeof lookalikeSettingsSchema>;
export type DestinationSettings = z.infer<typeof destinationSchema>;

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not a valid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = CONFIG_ERROR;
  }
}

/** Parses and checks a configuration object; throws ConfigError listing every problem by path. */
export function parseConfig(raw: unknown, source = 'configuration'): DatasetConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

/** The settings that apply to one file: the first `files` entry whose pattern matches its name. */
export function settingsForFile(config: DatasetConfig, file: string): FileSettings | undefined {
  return config.files.find((f) => globMatch(f.match, file));
}

export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(name) || re.test(name.split('/').pop() ?? name);
}
