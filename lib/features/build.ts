// BuildFeatures: per-customer behavioural features as of a point in time, for one shard. Only
// events strictly before `asOfMs` count, so a score at T never sees the future. Emits the feature
// columns, mergeable statistics of the transformed values, and a hash-keyed sample for fitting.
import type { Columns } from '../storage/columnar.js';
import { fnv1a32 } from '../util/random.js';
import { FEATURES, type FeatureDefinition, transformValue } from './dictionary.js';
import { addValue, emptyStats, type FeatureStats } from './stats.js';

const DAY_MS = 86_400_000;

export interface TransactionColumns {
  customerId: string[];
  orderId: string[];
  eventType: string[];
  timestampMs: Float64Array;
  amount: Float64Array;
  discount: Float64Array;
  isReturn: Uint8Array;
}

export interface CustomerFeatures {
  customerId: string[];
  /** feature name → value per customer (raw, untransformed) */
  values: Record<string, Float64Array>;
  /** features computed for this data (others had no inputs and are left out) */
  names: string[];
}

/** Concatenates transaction parts (as decoded from shard files) into one set of columns. */
export function concatTransactions(parts: Columns[]): TransactionColumns {
  const total = parts.reduce((n, p) => n + (p.customerId as string[]).length, 0);
  const out: TransactionColumns = {
    customerId: new Array(total),
    orderId: new Array(total),
    eventType: new Array(total),
    timestampMs: new Float64Array(total),
    amount: new Float64Array(total),
    discount: new Float64Array(total),
    isReturn: new Uint8Array(total),
  };
  let at = 0;
  for (const p of parts) {
    const n = (p.customerId as string[]).length;
    const ids = p.customerId as string[];
    const orders = p.orderId as string[];
    const events = p.eventType as string[];
    for (let i = 0; i < n; i++) {
      out.customerId[at + i] = ids[i];
      out.orderId[at + i] = orders[i];
      out.eventType[at + i] = events[i];
    }
    out.timestampMs.set(p.timestampMs as Float64Array, at);
    out.amount.set(p.amount as Float64Array, at);
    out.discount.set(p.discount as Float64Array, at);
    out.isReturn.set(p.isReturn as Uint8Array, at);
    at += n;
  }
  return out;
}

/**
 * Computes the features of every customer with at least one event before `asOfMs`.
 * Customers are returned in first-seen order; the result is deterministic for the same rows.
 */
export function computeFeatures(tx: TransactionColumns, asOfMs: number): CustomerFeatures {
  const n = tx.customerId.length;
  const index = new Map<string, number>();
  const rowCustomer = new Int32Array(n).fill(-1);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    if (!(tx.timestampMs[i] < asOfMs)) continue; // strictly before the as-of time
    const id = tx.customerId[i];
    let c = index.get(id);
    if (c === undefined) {
      c = ids.length;
      index.set(id, c);
      ids.push(id);
    }
    rowCustomer[i] = c;
  }
  const m = ids.length;
  // counting sort of rows by customer so each customer's rows are contiguous
  const start = new Int32Array(m + 1);
  for (let i = 0; i < n; i++) if (rowCustomer[i] >= 0) start[rowCustomer[i] + 1]++;
  for (let c = 0; c < m; c++) start[c + 1] += start[c];
  const order = new Int32Array(start[m]);
  const fill = start.slice(0, m);
  for (let i = 0; i < n; i++) if (rowCustomer[i] >= 0) order[fill[rowCustomer[i]]++] = i;

  const recency = new Float64Array(m);
  const frequency = new Float64Array(m);
  const monetary = new Float64Array(m);
  const aov = new Float64Array(m);
  const tenure = new Float64Array(m);
  const discountShare = new Float64Array(m);
  const returnRate = new Float64Array(m);
  let anyDiscount = false;
  let anyReturn = false;
  const orderIds = new Set<string>();
  const discountedOrders = new Set<string>();

  for (let c = 0; c < m; c++) {
    let first = Infinity;
    let last = -Infinity;
    let firstAny = Infinity;
    let gross = 0;
    let returned = 0;
    let purchaseLines = 0;
    let returnLines = 0;
    let unkeyedOrders = 0;
    let unkeyedDiscounted = 0;
    orderIds.clear();
    discountedOrders.clear();
    for (let j = start[c]; j < start[c + 1]; j++) {
      const i = order[j];
      const t = tx.timestampMs[i];
      if (t < firstAny) firstAny = t;
      if (tx.eventType[i] !== '') continue; // engagement events are not purchases
      if (tx.isReturn[i]) {
        returned += tx.amount[i];
        returnLines++;
        anyReturn = true;
        continue;
      }
      purchaseLines++;
      gross += tx.amount[i];
      if (t < first) first = t;
      if (t > last) last = t;
      const discounted = tx.discount[i] > 0;
      if (!Number.isNaN(tx.discount[i])) anyDiscount = true;
      const orderId = tx.orderId[i];
      if (orderId === '') {
        unkeyedOrders++;
        if (discounted) unkeyedDiscounted++;
      } else {
        orderIds.add(orderId);
        if (discounted) discountedOrders.add(orderId);
      }
    }
    const orders = orderIds.size + unkeyedOrders;
    frequency[c] = orders;
    monetary[c] = Math.max(0, gross - returned);
    aov[c] = orders ? gross / orders : 0;
    // a customer with returns but no purchase before the as-of time: measure from their first event
    recency[c] = (orders ? asOfMs - last : asOfMs - firstAny) / DAY_MS;
    tenure[c] = (orders ? asOfMs - first : asOfMs - firstAny) / DAY_MS;
    discountShare[c] = orders ? (discountedOrders.size + unkeyedDiscounted) / orders : 0;
    returnRate[c] = purchaseLines + returnLines ? returnLines / (purchaseLines + returnLines) : 0;
  }
  const values: Record<string, Float64Array> = {
    recencyDays: recency,
    frequency,
    monetary,
    avgOrderValue: aov,
    tenureDays: tenure,
  };
  if (anyDiscount) values.discountShare = discountShare;
  if (anyReturn) values.returnRate = returnRate;
  return { customerId: ids, values, names: FEATURES.map((f) => f.name).filter((name) => name in values) };
}

export interface ShardFeatureSummary {
  customers: number;
  /** statistics of the transformed values, per feature */
  stats: Record<string, FeatureStats>;
}

export function summariseFeatures(features: CustomerFeatures): ShardFeatureSummary {
  const stats: Record<string, FeatureStats> = {};
  for (const def of FEATURES) {
    const values = features.values[def.name];
    if (!values) continue;
    const s = emptyStats();
    for (let i = 0; i < values.length; i++) addValue(s, transformValue(def, values[i]));
    stats[def.name] = s;
  }
  return { customers: features.customerId.length, stats };
}

/** Stable per-customer sampling key: a shard keeps its `size` smallest keys, so the union of
 * shard samples contains exactly the global sample whatever the sharding. */
export function sampleKey(customerId: string, seed: number): number {
  return fnv1a32(`${seed}:${customerId}`);
}

export function selectSample(features: CustomerFeatures, size: number, seed: number): Columns {
  const n = features.customerId.length;
  const keysAll = new Uint32Array(n);
  for (let i = 0; i < n; i++) keysAll[i] = sampleKey(features.customerId[i], seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => keysAll[a] - keysAll[b] || (features.customerId[a] < features.customerId[b] ? -1 : 1));
  const chosen = idx.slice(0, Math.min(size, n));
  const out: Columns = {
    customerId: chosen.map((i) => features.customerId[i]),
    sampleKey: Uint32Array.from(chosen, (i) => keysAll[i]),
  };
  for (const name of features.names) out[name] = Float64Array.from(chosen, (i) => features.values[name][i]);
  return out;
}

export function featureDefinitions(names: readonly string[]): FeatureDefinition[] {
  return FEATURES.filter((f) => names.includes(f.name));
}
