// Verbatim copy of the pre-#10 implementation (commit 84aff27), kept so test/bench/features-kernel.ts can
// time old against new in one run and the equivalence tests can pin identical outputs. Do not optimise.
// BuildFeatures: per-customer behavioural features as of a point in time, for one shard. Only
// events strictly before `asOfMs` count, so a score at T never sees the future. Emits the feature
// columns, mergeable statistics of the transformed values, and a hash-keyed sample for fitting.

import {
  attributeFeatureName,
  definitionOf,
  dictionaryFor,
  eventFeatureName,
  FEATURES,
  type FeatureDefinition,
  transformValue,
  windowFeatureNames,
} from '../../../lib/features/dictionary.js';
import { addValue, emptyStats, type FeatureStats } from '../../../lib/features/stats.js';
import type { Columns } from '../../../lib/storage/columnar.js';
import { fnv1a32 } from '../../../lib/util/hash.js';

const DAY_MS = 86_400_000;

export interface TransactionColumns {
  customerId: string[];
  orderId: string[];
  eventType: string[];
  timestampMs: Float64Array;
  amount: Float64Array;
  discount: Float64Array;
  isReturn: Uint8Array;
  /** optional: absent in older shards and in hand-made test data */
  category?: string[];
  channel?: string[];
}

/** CRM attributes of a shard: one row per customer, every attribute as exported (strings). */
export interface CustomerAttributes {
  customerId: string[];
  attributes: Record<string, string[]>;
}

export interface CustomerFeatures {
  customerId: string[];
  /** feature name → value per customer (raw, untransformed; NaN = unknown) */
  values: Record<string, Float64Array>;
  /** features computed for this data (others had no inputs and are left out) */
  names: string[];
  /** categorical CRM attributes (column → value per customer, '' = unknown), one-hot encoded in Fit */
  categorical?: Record<string, string[]>;
  /**
   * CRM date features: filled values and those at or after the as-of time (then unknown). A column
   * with many is recorded after the point in time the features describe (the propensity leakage screen).
   */
  laterDates?: Record<string, { later: number; filled: number }>;
}

/** Prefix of categorical CRM attribute columns in samples and features.bin. */
export const CATEGORY_PREFIX = 'category:';

export interface FeatureOptions {
  /** look-back windows for the windowed order counts and spend, e.g. [30, 90, 365] */
  windowsDays?: readonly number[];
  /** CRM attributes of the shard's customers, if the dataset has a customer file */
  customers?: CustomerAttributes;
}

/** Concatenates transaction parts (as decoded from shard files) into one set of columns. */
export function concatTransactions(parts: Columns[]): TransactionColumns {
  const total = parts.reduce((n, p) => n + (p.customerId as string[]).length, 0);
  const hasCategory = parts.some((p) => Array.isArray(p.category));
  const hasChannel = parts.some((p) => Array.isArray(p.channel));
  const out: TransactionColumns = {
    customerId: new Array(total),
    orderId: new Array(total),
    eventType: new Array(total),
    timestampMs: new Float64Array(total),
    amount: new Float64Array(total),
    discount: new Float64Array(total),
    isReturn: new Uint8Array(total),
    ...(hasCategory ? { category: new Array<string>(total).fill('') } : {}),
    ...(hasChannel ? { channel: new Array<string>(total).fill('') } : {}),
  };
  let at = 0;
  for (const p of parts) {
    const n = (p.customerId as string[]).length;
    const copy = (into: string[] | undefined, from: unknown): void => {
      if (!into || !Array.isArray(from)) return;
      for (let i = 0; i < n; i++) into[at + i] = from[i] as string;
    };
    copy(out.customerId, p.customerId);
    copy(out.orderId, p.orderId);
    copy(out.eventType, p.eventType);
    copy(out.category, p.category);
    copy(out.channel, p.channel);
    out.timestampMs.set(p.timestampMs as Float64Array, at);
    out.amount.set(p.amount as Float64Array, at);
    out.discount.set(p.discount as Float64Array, at);
    out.isReturn.set(p.isReturn as Uint8Array, at);
    at += n;
  }
  return out;
}

// Attributes that must never become features, whatever the export calls them: direct identifiers
// and special categories (GDPR art. 9, ad platforms' sensitive-targeting rules), age included.
const SENSITIVE =
  /e-?mail|phone|mobile|name|address|street|zip|postcode|postal|\bip\b|ssn|passport|gender|sex|race|ethnic|religio|faith|health|medical|disab|pregnan|sexual|orientation|politic|union|birth|dob|\bage\b|^age|password|card|iban/i;
const DATE_NAME = /date|_at$|since|signup|joined|created|registered|first|start/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;
const NUMBER = /^-?\d+(\.\d+)?$/;

/** True when an attribute column must not be used: identifiers and sensitive categories. */
export const isSensitiveAttribute = (column: string): boolean => SENSITIVE.test(column);

/** Concatenates `customers-NNNN.bin` parts; the sensitive columns are dropped here already. */
export function concatCustomers(parts: Columns[]): CustomerAttributes | undefined {
  if (!parts.length) return undefined;
  const customerId: string[] = [];
  const attributes: Record<string, string[]> = {};
  for (const p of parts) {
    const ids = p.customerId as string[];
    for (const [column, values] of Object.entries(p)) {
      if (column === 'customerId' || !Array.isArray(values) || isSensitiveAttribute(column)) continue;
      if (!attributes[column]) attributes[column] = new Array<string>(customerId.length).fill('');
      const into = attributes[column];
      for (let i = 0; i < ids.length; i++) into.push(values[i] ?? '');
    }
    customerId.push(...ids);
    for (const col of Object.values(attributes)) while (col.length < customerId.length) col.push('');
  }
  return { customerId, attributes };
}

/**
 * Computes the features of every customer with at least one event before `asOfMs` (or, in a
 * customers-only dataset, of every customer in the customer file). Customers are returned in
 * first-seen order; the result is deterministic for the same rows.
 */
export function computeFeatures(
  tx: TransactionColumns,
  asOfMs: number,
  options: FeatureOptions = {},
): CustomerFeatures {
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
  const customersOnly = n === 0 && options.customers !== undefined;
  if (customersOnly) {
    for (const id of options.customers?.customerId ?? []) {
      if (!index.has(id)) {
        index.set(id, ids.length);
        ids.push(id);
      }
    }
  }
  const values: Record<string, Float64Array> = customersOnly
    ? {}
    : behaviouralFeatures(tx, asOfMs, options, ids, rowCustomer);
  let categorical: Record<string, string[]> | undefined;
  const laterDates: Record<string, { later: number; filled: number }> = {};
  if (options.customers)
    categorical = attributeFeatures(options.customers, index, ids.length, asOfMs, values, laterDates);
  const names = dictionaryFor(Object.keys(values)).map((d) => d.name);
  return {
    customerId: ids,
    values,
    names,
    ...(categorical ? { categorical } : {}),
    ...(Object.keys(laterDates).length ? { laterDates } : {}),
  };
}

function behaviouralFeatures(
  tx: TransactionColumns,
  asOfMs: number,
  options: FeatureOptions,
  ids: string[],
  rowCustomer: Int32Array,
): Record<string, Float64Array> {
  const n = tx.customerId.length;
  const m = ids.length;
  // counting sort of rows by customer so each customer's rows are contiguous
  const start = new Int32Array(m + 1);
  for (let i = 0; i < n; i++) if (rowCustomer[i] >= 0) start[rowCustomer[i] + 1]++;
  for (let c = 0; c < m; c++) start[c + 1] += start[c];
  const order = new Int32Array(start[m]);
  const fill = start.slice(0, m);
  for (let i = 0; i < n; i++) if (rowCustomer[i] >= 0) order[fill[rowCustomer[i]]++] = i;

  const windows = [...new Set(options.windowsDays ?? [])].filter((w) => w > 0).sort((a, b) => a - b);
  const wCut = windows.map((w) => asOfMs - w * DAY_MS);
  const wOrders = windows.map(() => new Float64Array(m));
  const wSpend = windows.map(() => new Float64Array(m));
  const col = (): Float64Array => new Float64Array(m);
  const recency = col();
  const frequency = col();
  const monetary = col();
  const aov = col();
  const tenure = col();
  const gap = col().fill(Number.NaN);
  const gapCv = col().fill(Number.NaN);
  const discountShare = col();
  const returnRate = col();
  const topCategory = col().fill(Number.NaN);
  const categoryCount = col().fill(Number.NaN);
  const mainChannel = col().fill(Number.NaN);
  const channelCount = col().fill(Number.NaN);
  const activeDays = col();
  const featuresUsed = col();
  const eventCounts = new Map<string, Float64Array>();
  let anyDiscount = false;
  let anyReturn = false;
  let anyCategory = false;
  let anyChannel = false;
  let anyEngagement = false;
  let anyUsage = false;
  // per-customer scratch, reused
  const orderTime = new Map<string, number>();
  const discountedOrders = new Set<string>();
  const windowOrders = windows.map(() => new Set<string>());
  const spendByCategory = new Map<string, number>();
  const linesByChannel = new Map<string, number>();
  const days = new Set<number>();
  const used = new Set<string>();
  let times: Float64Array = new Float64Array(64);

  for (let c = 0; c < m; c++) {
    let firstAny = Infinity;
    let gross = 0;
    let returned = 0;
    let purchaseLines = 0;
    let returnLines = 0;
    let unkeyed = 0;
    let unkeyedDiscounted = 0;
    orderTime.clear();
    discountedOrders.clear();
    for (const s of windowOrders) s.clear();
    spendByCategory.clear();
    linesByChannel.clear();
    days.clear();
    used.clear();
    for (let j = start[c]; j < start[c + 1]; j++) {
      const i = order[j];
      const t = tx.timestampMs[i];
      if (t < firstAny) firstAny = t;
      const event = tx.eventType[i];
      if (event !== '') {
        // engagement and product-usage events are not purchases
        anyEngagement = true;
        const name = eventFeatureName(event);
        let counts = eventCounts.get(name);
        if (!counts) {
          counts = col();
          eventCounts.set(name, counts);
        }
        counts[c]++;
        days.add(Math.floor(t / DAY_MS));
        const feature = tx.category?.[i] ?? '';
        if (feature !== '') {
          used.add(feature);
          anyUsage = true;
        }
        continue;
      }
      const amount = tx.amount[i];
      if (tx.isReturn[i]) {
        returned += amount;
        returnLines++;
        anyReturn = true;
        for (let w = 0; w < windows.length; w++) if (t >= wCut[w]) wSpend[w][c] -= amount;
        continue;
      }
      purchaseLines++;
      gross += amount;
      for (let w = 0; w < windows.length; w++) if (t >= wCut[w]) wSpend[w][c] += amount;
      const discounted = tx.discount[i] > 0;
      if (!Number.isNaN(tx.discount[i])) anyDiscount = true;
      const category = tx.category?.[i] ?? '';
      if (category !== '') {
        anyCategory = true;
        spendByCategory.set(category, (spendByCategory.get(category) ?? 0) + amount);
      }
      const channel = tx.channel?.[i] ?? '';
      if (channel !== '') {
        anyChannel = true;
        linesByChannel.set(channel, (linesByChannel.get(channel) ?? 0) + 1);
      }
      const orderId = tx.orderId[i];
      if (orderId === '') {
        // a row without an order id is its own order
        if (times.length <= unkeyed) times = grow(times);
        times[unkeyed] = t;
        unkeyed++;
        if (discounted) unkeyedDiscounted++;
        for (let w = 0; w < windows.length; w++) if (t >= wCut[w]) wOrders[w][c]++;
      } else {
        const seen = orderTime.get(orderId);
        if (seen === undefined || t < seen) orderTime.set(orderId, t);
        if (discounted) discountedOrders.add(orderId);
        for (let w = 0; w < windows.length; w++) if (t >= wCut[w]) windowOrders[w].add(orderId);
      }
    }
    const orders = orderTime.size + unkeyed;
    // order times: unkeyed rows were written first at [0, unkeyed) then keyed orders follow
    if (times.length < orders) times = grow(times, orders);
    let k = unkeyed;
    for (const t of orderTime.values()) times[k++] = t;
    const sorted = times.subarray(0, orders).sort();
    frequency[c] = orders;
    monetary[c] = Math.max(0, gross - returned);
    aov[c] = orders ? gross / orders : 0;
    const first = orders ? sorted[0] : firstAny;
    const last = orders ? sorted[orders - 1] : firstAny;
    // a customer with returns or events but no purchase before the as-of time: measure from their first event
    recency[c] = (asOfMs - last) / DAY_MS;
    tenure[c] = (asOfMs - first) / DAY_MS;
    if (orders >= 2) gap[c] = (last - first) / DAY_MS / (orders - 1);
    if (orders >= 3) {
      const mean = (last - first) / (orders - 1);
      let ss = 0;
      for (let g = 1; g < orders; g++) ss += (sorted[g] - sorted[g - 1] - mean) ** 2;
      gapCv[c] = mean > 0 ? Math.sqrt(ss / (orders - 1)) / mean : 0;
    }
    discountShare[c] = orders ? (discountedOrders.size + unkeyedDiscounted) / orders : 0;
    returnRate[c] = purchaseLines + returnLines ? returnLines / (purchaseLines + returnLines) : 0;
    for (let w = 0; w < windows.length; w++) {
      wOrders[w][c] += windowOrders[w].size;
      wSpend[w][c] = Math.max(0, wSpend[w][c]);
    }
    if (spendByCategory.size) {
      let top = 0;
      let total = 0;
      for (const v of spendByCategory.values()) {
        total += v;
        if (v > top) top = v;
      }
      topCategory[c] = total > 0 ? top / total : 1 / spendByCategory.size;
      categoryCount[c] = spendByCategory.size;
    }
    if (linesByChannel.size) {
      let top = 0;
      let total = 0;
      for (const v of linesByChannel.values()) {
        total += v;
        if (v > top) top = v;
      }
      mainChannel[c] = top / total;
      channelCount[c] = linesByChannel.size;
    }
    activeDays[c] = days.size;
    featuresUsed[c] = used.size;
  }
  const values: Record<string, Float64Array> = {
    recencyDays: recency,
    frequency,
    monetary,
    avgOrderValue: aov,
    tenureDays: tenure,
    orderGapDays: gap,
    orderGapVariation: gapCv,
  };
  windows.forEach((w, i) => {
    const [ordersName, spendName] = windowFeatureNames(w);
    values[ordersName] = wOrders[i];
    values[spendName] = wSpend[i];
  });
  if (anyDiscount) values.discountShare = discountShare;
  if (anyReturn) values.returnRate = returnRate;
  if (anyCategory) {
    values.topCategoryShare = topCategory;
    values.categories = categoryCount;
  }
  if (anyChannel) {
    values.mainChannelShare = mainChannel;
    values.channels = channelCount;
  }
  if (anyEngagement) {
    values.activeDays = activeDays;
    for (const [name, counts] of eventCounts) values[name] = counts;
  }
  if (anyUsage) values.featuresUsed = featuresUsed;
  return values;
}

function grow(a: Float64Array, atLeast = 0): Float64Array {
  const b = new Float64Array(Math.max(a.length * 2, atLeast));
  b.set(a);
  return b;
}

/** Numeric and date attributes become features (NaN when unknown); the rest stay categorical. */
function attributeFeatures(
  crm: CustomerAttributes,
  index: ReadonlyMap<string, number>,
  m: number,
  asOfMs: number,
  values: Record<string, Float64Array>,
  laterDates: Record<string, { later: number; filled: number }>,
): Record<string, string[]> {
  const rowOf = new Int32Array(crm.customerId.length).fill(-1);
  crm.customerId.forEach((id, r) => {
    rowOf[r] = index.get(id) ?? -1;
  });
  const categorical: Record<string, string[]> = {};
  for (const [rawColumn, column] of Object.entries(crm.attributes)) {
    if (isSensitiveAttribute(rawColumn)) continue;
    const name = rawColumn.replace(/[^A-Za-z0-9_]+/g, '_');
    const kind = attributeKind(rawColumn, column);
    if (kind === 'empty') continue;
    if (kind === 'category') {
      const out = new Array<string>(m).fill('');
      for (let r = 0; r < column.length; r++) if (rowOf[r] >= 0) out[rowOf[r]] = column[r].trim();
      categorical[name] = out;
      continue;
    }
    const out = new Float64Array(m).fill(Number.NaN);
    let filled = 0;
    let later = 0;
    for (let r = 0; r < column.length; r++) {
      if (rowOf[r] < 0 || column[r].trim() === '') continue;
      if (kind === 'number') out[rowOf[r]] = Number(column[r]);
      else {
        const t = Date.parse(column[r].trim());
        filled++;
        // a date after the as-of time is the future: unknown as of then
        if (t < asOfMs) out[rowOf[r]] = (asOfMs - t) / DAY_MS;
        else later++;
      }
    }
    values[attributeFeatureName(name, kind)] = out;
    if (kind === 'date') laterDates[attributeFeatureName(name, kind)] = { later, filled };
  }
  return categorical;
}

function attributeKind(column: string, values: readonly string[]): 'number' | 'date' | 'category' | 'empty' {
  let known = 0;
  let numbers = 0;
  let dates = 0;
  for (const raw of values) {
    const v = raw.trim();
    if (v === '') continue;
    known++;
    if (NUMBER.test(v)) numbers++;
    else if (ISO_DATE.test(v) && !Number.isNaN(Date.parse(v))) dates++;
  }
  if (!known) return 'empty';
  if (dates === known || (DATE_NAME.test(column) && dates >= 0.95 * known)) return 'date';
  if (numbers === known) return 'number';
  return 'category';
}

export interface ShardFeatureSummary {
  customers: number;
  /** statistics of the transformed values, per feature */
  stats: Record<string, FeatureStats>;
  /** categorical CRM attributes: column → value → customers ('' = unknown) */
  levels?: Record<string, Record<string, number>>;
}

export function summariseFeatures(features: CustomerFeatures): ShardFeatureSummary {
  const stats: Record<string, FeatureStats> = {};
  for (const name of features.names) {
    const def = definitionOf(name);
    const values = features.values[name];
    if (!def || !values) continue;
    const s = emptyStats();
    for (let i = 0; i < values.length; i++) addValue(s, transformValue(def, values[i]), values[i]);
    stats[name] = s;
  }
  const summary: ShardFeatureSummary = { customers: features.customerId.length, stats };
  if (features.categorical) {
    summary.levels = {};
    for (const [column, col] of Object.entries(features.categorical)) {
      const counts: Record<string, number> = {};
      for (const v of col) counts[v] = (counts[v] ?? 0) + 1;
      summary.levels[column] = counts;
    }
  }
  return summary;
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
  // categorical attributes ride along for the predictive models' population (segmentation reads names only)
  for (const [column, values] of Object.entries(features.categorical ?? {}))
    out[`${CATEGORY_PREFIX}${column}`] = chosen.map((i) => values[i]);
  return out;
}

/** Dictionary entries of the features present (kept for callers of the first version). */
export function featureDefinitions(names: readonly string[]): FeatureDefinition[] {
  return dictionaryFor(names);
}

export { FEATURES };
