// Shared by the predictive tests: generated transactions as pipeline columns, CDNOW as pipeline
// columns, the CDNOW file found by walking up from the repository (any worktree), telco- and
// bank-marketing-like CRM exports with a planted signal, and the stages run on an in-memory store.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Archetype, DEFAULT_END_MS, generate } from '../../events/data/generate.js';
import type { TransactionColumns } from '../../lib/features/transactions.js';
import { buildFeatures } from '../../lib/pipeline/features.js';
import { fitModels } from '../../lib/pipeline/fit.js';
import { ingest } from '../../lib/pipeline/ingest.js';
import { score } from '../../lib/pipeline/score.js';
import { buildRunSummary, type RunSummary } from '../../lib/pipeline/summary.js';
import type { RunRef } from '../../lib/pipeline/types.js';
import { validate } from '../../lib/pipeline/validate.js';
import { MemoryBlobStore, putJson } from '../../lib/storage/blob.js';
import { keys } from '../../lib/storage/keys.js';
import { createRandom } from '../../lib/util/random.js';

export const GENERATED_END_MS = DEFAULT_END_MS;
const DAY = 86_400_000;

interface Row {
  customerId: string;
  orderId: string;
  timestampMs: number;
  amount: number;
  discount: number;
  isReturn: boolean;
}

export function toColumns(rows: readonly Row[]): TransactionColumns {
  return {
    customerId: rows.map((r) => r.customerId),
    orderId: rows.map((r) => r.orderId),
    eventType: rows.map(() => ''),
    timestampMs: Float64Array.from(rows, (r) => r.timestampMs),
    amount: Float64Array.from(rows, (r) => Math.abs(r.amount)),
    discount: Float64Array.from(rows, (r) => r.discount),
    isReturn: Uint8Array.from(rows, (r) => (r.isReturn ? 1 : 0)),
  };
}

/** Generated customers (planted archetypes) and their orders as transaction columns. */
export function generatedTransactions(
  customers: number,
  seed = 7,
): { tx: TransactionColumns; archetype: Map<string, Archetype> } {
  const rows: Row[] = [];
  const archetype = new Map<string, Archetype>();
  generate(
    { customers, seed },
    (o) =>
      rows.push({
        customerId: o.customerId,
        orderId: o.orderId,
        timestampMs: o.timeMs,
        amount: o.total,
        discount: o.discount,
        isReturn: o.status === 'refunded',
      }),
    (c) => archetype.set(c.customerId, c.archetype),
  );
  return { tx: toColumns(rows), archetype };
}

/** Keeps the rows whose customer satisfies `keep` (e.g. one hash shard). */
export function filterRows(
  tx: TransactionColumns,
  keep: (customerId: string) => boolean,
): TransactionColumns {
  const idx: number[] = [];
  for (let i = 0; i < tx.customerId.length; i++) if (keep(tx.customerId[i])) idx.push(i);
  return {
    customerId: idx.map((i) => tx.customerId[i]),
    orderId: idx.map((i) => tx.orderId[i]),
    eventType: idx.map((i) => tx.eventType[i]),
    timestampMs: Float64Array.from(idx, (i) => tx.timestampMs[i]),
    amount: Float64Array.from(idx, (i) => tx.amount[i]),
    discount: Float64Array.from(idx, (i) => tx.discount[i]),
    isReturn: Uint8Array.from(idx, (i) => tx.isReturn[i]),
  };
}

/** shared/data/cdnow/CDNOW_sample.txt from SHARED_DATA_DIR or the nearest ancestor holding shared/. */
export function findCdnow(): string {
  const candidates: string[] = [];
  if (process.env.SHARED_DATA_DIR)
    candidates.push(join(process.env.SHARED_DATA_DIR, 'cdnow', 'CDNOW_sample.txt'));
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    candidates.push(join(dir, 'shared', 'data', 'cdnow', 'CDNOW_sample.txt'));
    const parent = resolve(dir, '..');
    if (parent === dir) break;
    dir = parent;
  }
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `CDNOW_sample.txt not found. Set SHARED_DATA_DIR to the folder holding cdnow/CDNOW_sample.txt; looked in:\n${candidates.join('\n')}`,
    );
  }
  return found;
}

/** CDNOW purchases as the pipeline's transaction columns (dates at UTC midnight, as ingest reads them). */
export function cdnowTransactions(): TransactionColumns {
  const lines = readFileSync(findCdnow(), 'utf8').trim().split('\n');
  return toColumns(
    lines.map((line, i) => {
      const f = line.trim().split(/\s+/);
      const ms = Date.UTC(Number(f[2].slice(0, 4)), Number(f[2].slice(4, 6)) - 1, Number(f[2].slice(6, 8)));
      return {
        customerId: f[1],
        orderId: `o${i}`,
        timestampMs: ms,
        amount: Number(f[4]),
        discount: Number.NaN,
        isReturn: false,
      };
    }),
  );
}

/** One customers row of the telco-like CRM export (churn planted on contract, tenure, charges, fibre). */
export interface TelcoOptions {
  customers: number;
  seed?: number;
  /** the export's as-of day: churn and login dates fall in the 120 days before it */
  asOfMs: number;
  /** add `churn_reason` and `cancellation_date`, filled only for churners (recorded when they leave) */
  afterOutcomeColumns?: boolean;
  /** add `churn_date` (the label's date) and `last_login`, refreshed up to the export day for everyone */
  dated?: boolean;
  /** share of rows whose Churn cell is empty or garbled (scored, never trained on) */
  unlabelledShare?: number;
}

/** A telco-like CRM export (Churn=Yes/No, tenure, contract, monthly charges) as CSV text. */
export function telcoCsv(o: TelcoOptions): { csv: string; churned: Map<string, boolean> } {
  const rnd = createRandom(o.seed ?? 5);
  const pick = <T>(items: readonly T[]): T => items[rnd.int(items.length)];
  const header = [
    'customerID',
    'gender',
    'SeniorCitizen',
    'Partner',
    'tenure',
    'Contract',
    'InternetService',
    'PaymentMethod',
    'MonthlyCharges',
    'TotalCharges',
    ...(o.afterOutcomeColumns ? ['churn_reason', 'cancellation_date'] : []),
    ...(o.dated ? ['churn_date', 'last_login'] : []),
    'Churn',
  ];
  const lines = [header.join(',')];
  const churned = new Map<string, boolean>();
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  for (let i = 0; i < o.customers; i++) {
    const id = `${String(1000 + i).padStart(4, '0')}-TLC`;
    const contract = pick(['Month-to-month', 'Month-to-month', 'One year', 'Two year']);
    const internet = pick(['DSL', 'Fiber optic', 'Fiber optic', 'No']);
    const payment = pick([
      'Electronic check',
      'Mailed check',
      'Bank transfer (automatic)',
      'Credit card (automatic)',
    ]);
    const tenure = 1 + rnd.int(72);
    const monthly =
      Math.round(
        (20 + (internet === 'Fiber optic' ? 50 : internet === 'DSL' ? 25 : 0) + rnd.next() * 30) * 100,
      ) / 100;
    const logit =
      -1.2 +
      (contract === 'Month-to-month' ? 1.8 : contract === 'One year' ? 0.2 : -1.2) -
      0.035 * tenure +
      0.018 * (monthly - 65) +
      (internet === 'Fiber optic' ? 0.5 : 0) +
      (payment === 'Electronic check' ? 0.5 : 0);
    const churn = rnd.next() < 1 / (1 + Math.exp(-logit));
    churned.set(id, churn);
    const total = tenure === 1 && rnd.next() < 0.3 ? '' : (monthly * tenure).toFixed(2);
    const churnDayMs = o.asOfMs - (1 + rnd.int(120)) * DAY;
    const row = [
      id,
      pick(['Female', 'Male']),
      rnd.next() < 0.16 ? '1' : '0',
      pick(['Yes', 'No']),
      String(tenure),
      contract,
      internet,
      `"${payment}"`,
      monthly.toFixed(2),
      total,
      ...(o.afterOutcomeColumns
        ? churn
          ? [pick(['Price', 'Competitor', 'Service', 'Moved']), day(churnDayMs)]
          : ['', '']
        : []),
      ...(o.dated
        ? [churn ? day(churnDayMs) : '', day(o.asOfMs - (churn ? 130 : 1 + rnd.int(30)) * DAY)]
        : []),
      rnd.next() < (o.unlabelledShare ?? 0) ? pick(['', 'unknown']) : churn ? 'Yes' : 'No',
    ];
    lines.push(row.join(','));
  }
  return { csv: `${lines.join('\n')}\n`, churned };
}

/** A bank-marketing-like export (`y` = yes/no after a call campaign), signal on past outcome and balance. */
export function bankCsv(customers: number, seed = 9): string {
  const rnd = createRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[rnd.int(items.length)];
  const lines = ['client_id;job;marital;education;balance;housing;loan;campaign;previous;poutcome;y'];
  for (let i = 0; i < customers; i++) {
    const poutcome = pick(['unknown', 'unknown', 'unknown', 'failure', 'other', 'success']);
    const housing = pick(['yes', 'no']);
    const balance = Math.round(Math.exp(5 + 2 * rnd.next()) * (rnd.next() < 0.1 ? -0.2 : 1));
    const campaign = 1 + rnd.int(8);
    const logit =
      -2 +
      (poutcome === 'success' ? 2.8 : poutcome === 'failure' ? -0.3 : 0) +
      (housing === 'no' ? 0.9 : 0) -
      0.15 * campaign +
      0.35 * Math.log1p(Math.max(0, balance) / 500);
    const y = rnd.next() < 1 / (1 + Math.exp(-logit)) ? 'yes' : 'no';
    lines.push(
      [
        `B${100000 + i}`,
        pick(['admin.', 'technician', 'services', 'management', 'retired', 'blue-collar']),
        pick(['married', 'single', 'divorced']),
        pick(['primary', 'secondary', 'tertiary']),
        String(balance),
        housing,
        pick(['yes', 'no', 'no']),
        String(campaign),
        String(poutcome === 'unknown' ? 0 : 1 + rnd.int(3)),
        poutcome,
        y,
      ].join(';'),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Runs Ingest → BuildFeatures → Fit → Score → Validate on an in-memory store (no state machine) and
 * returns the run summary: the predictive stages as a dropped file set sees them, in seconds.
 */
export async function runInMemory(
  files: { name: string; text: string }[],
  config: unknown,
  dataset = 'crm',
): Promise<{ store: MemoryBlobStore; summary: RunSummary; ref: RunRef & { shardCount: number } }> {
  const store = new MemoryBlobStore();
  await putJson(store, keys.config(dataset), config);
  const objects = [];
  for (const f of files) {
    const bytes = new TextEncoder().encode(f.text);
    const key = `${keys.incomingPrefix(dataset)}${f.name}`;
    await store.put(key, bytes);
    objects.push({ key, size: bytes.length });
  }
  const runRef = { dataset, runId: 'r1' };
  const out = await ingest(store, { ...runRef, objects });
  const ref = { ...runRef, shardCount: out.shardCount };
  const tasks = out.shards.map((shard) => ({ ...runRef, shard, asOfMs: out.asOfMs }));
  for (const t of tasks) await buildFeatures(store, t);
  await fitModels(store, ref);
  for (const t of tasks) await score(store, t);
  await validate(store, ref);
  const summary = await buildRunSummary(store, { ...runRef, asOfMs: out.asOfMs });
  return { store, summary, ref };
}
