// The per-dataset configuration marketers or ops drop at config/<dataset>.json (or pass with
// --config locally). Every setting has a default, so a dataset with no config still runs; unknown
// keys are rejected so a typo is reported instead of silently ignored.
import { z } from 'zod';

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
  })
  .catchall(z.unknown());

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
  })
  .strict();

export type DatasetConfig = z.infer<typeof configSchema>;
export type FileSettings = z.infer<typeof fileSettingsSchema>;
export type DestinationSettings = z.infer<typeof destinationSchema>;

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not a valid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
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
