// Shared by the predictive tests: generated transactions as pipeline columns, CDNOW as pipeline
// columns, and the CDNOW file found by walking up from the repository (any worktree).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Archetype, DEFAULT_END_MS, generate } from '../../events/data/generate.js';
import type { TransactionColumns } from '../../lib/features/build.js';

export const GENERATED_END_MS = DEFAULT_END_MS;

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
