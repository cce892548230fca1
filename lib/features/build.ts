// BuildFeatures: per-customer behavioural features as of a point in time, for one shard. Only
// events strictly before `asOfMs` count, so a score at T never sees the future. Emits the feature
// columns, mergeable statistics of the transformed values, and a hash-keyed sample for fitting.
import type { Columns } from '../storage/columnar.js';
import { fnv1a32 } from '../util/hash.js';
import {
  attributeFeatureName,
  definitionOf,
  dictionaryFor,
  eventFeatureName,
  FEATURES,
  type FeatureDefinition,
  transformValue,
  windowFeatureNames,
} from './dictionary.js';
import { groupRows, type RowGroups } from './grouping.js';
import { hashKeys, orderByKey, takeColumn } from './sampling.js';
import { addValue, emptyStats, type FeatureStats } from './stats.js';
import type { TransactionColumns } from './transactions.js';

const DAY_MS = 86_400_000;

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
  const groups = groupRows(tx);
  // customers with a row strictly before the as-of time, in the order of their first such row
  const ids: string[] = [];
  const local = new Int32Array(groups.ids.length).fill(-1);
  const globalOf = new Int32Array(groups.ids.length);
  for (let i = 0; i < n; i++) {
    if (!(tx.timestampMs[i] < asOfMs)) continue;
    const g = groups.customerOf[i];
    if (local[g] >= 0) continue;
    local[g] = ids.length;
    globalOf[ids.length] = g;
    ids.push(groups.ids[g]);
  }
  const customersOnly = n === 0 && options.customers !== undefined;
  let index: Map<string, number> | undefined;
  if (options.customers) {
    index = new Map<string, number>();
    for (let c = 0; c < ids.length; c++) index.set(ids[c], c);
  }
  if (customersOnly && index) {
    for (const id of options.customers?.customerId ?? []) {
      if (!index.has(id)) {
        index.set(id, ids.length);
        ids.push(id);
      }
    }
  }
  const values: Record<string, Float64Array> = customersOnly
    ? {}
    : behaviouralFeatures(tx, asOfMs, options, ids.length, groups, globalOf);
  let categorical: Record<string, string[]> | undefined;
  const laterDates: Record<string, { later: number; filled: number }> = {};
  if (options.customers && index)
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

// One pass over each customer's rows (grouped once per shard, lib/features/grouping.ts) with per-code
// scratch tables stamped by customer instead of per-customer Maps and Sets: nothing is allocated per row.
// Sums run over the same rows in the same order as before, so every value is the same to the bit.
function behaviouralFeatures(
  tx: TransactionColumns,
  asOfMs: number,
  options: FeatureOptions,
  m: number,
  groups: RowGroups,
  globalOf: Int32Array,
): Record<string, Float64Array> {
  const { start, rows, orderOf, categoryOf, channelOf, eventOf } = groups;
  const timestampMs = tx.timestampMs;
  const amounts = tx.amount;
  const discounts = tx.discount;
  const isReturn = tx.isReturn;
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
  // feature name → counts, created in the order the names are first met (the columns' order)
  const eventCounts = new Map<string, Float64Array>();
  const countsOfEvent: (Float64Array | undefined)[] = new Array(groups.events.length);
  let anyDiscount = false;
  let anyReturn = false;
  let anyCategory = false;
  let anyChannel = false;
  let anyEngagement = false;
  let anyUsage = false;
  // per-code scratch: a slot belongs to customer c while its stamp is c
  const categories = groups.categories.length;
  const spendByCategory = new Float64Array(categories);
  const categoryStamp = new Int32Array(categories).fill(-1);
  const categoriesSeen = new Int32Array(categories);
  const usedStamp = new Int32Array(categories).fill(-1);
  const channels = groups.channels.length;
  const linesByChannel = new Float64Array(channels);
  const channelStamp = new Int32Array(channels).fill(-1);
  const channelsSeen = new Int32Array(channels);
  const maxOrders = groups.maxOrders;
  const orderFirst = new Float64Array(maxOrders);
  const orderLast = new Float64Array(maxOrders);
  const orderDiscounted = new Uint8Array(maxOrders);
  const orderStamp = new Int32Array(maxOrders).fill(-1);
  const ordersSeen = new Int32Array(maxOrders);
  let times: Float64Array = new Float64Array(64);
  let days: Float64Array = new Float64Array(64);

  for (let c = 0; c < m; c++) {
    const g = globalOf[c];
    let firstAny = Infinity;
    let gross = 0;
    let returned = 0;
    let purchaseLines = 0;
    let returnLines = 0;
    let unkeyed = 0;
    let unkeyedDiscounted = 0;
    let keyed = 0;
    let categoryN = 0;
    let channelN = 0;
    let dayN = 0;
    let used = 0;
    for (let j = start[g]; j < start[g + 1]; j++) {
      const i = rows[j];
      const t = timestampMs[i];
      if (!(t < asOfMs)) continue; // strictly before the as-of time
      if (t < firstAny) firstAny = t;
      const event = eventOf[i];
      if (event >= 0) {
        // engagement and product-usage events are not purchases
        anyEngagement = true;
        let counts = countsOfEvent[event];
        if (!counts) {
          const name = eventFeatureName(groups.events[event]);
          counts = eventCounts.get(name);
          if (!counts) {
            counts = col();
            eventCounts.set(name, counts);
          }
          countsOfEvent[event] = counts;
        }
        counts[c]++;
        if (days.length <= dayN) days = grow(days);
        days[dayN++] = Math.floor(t / DAY_MS);
        const feature = categoryOf[i];
        if (feature >= 0) {
          if (usedStamp[feature] !== c) {
            usedStamp[feature] = c;
            used++;
          }
          anyUsage = true;
        }
        continue;
      }
      const amount = amounts[i];
      if (isReturn[i]) {
        returned += amount;
        returnLines++;
        anyReturn = true;
        for (let w = 0; w < windows.length; w++) if (t >= wCut[w]) wSpend[w][c] -= amount;
        continue;
      }
      purchaseLines++;
      gross += amount;
      for (let w = 0; w < windows.length; w++) if (t >= wCut[w]) wSpend[w][c] += amount;
      const discounted = discounts[i] > 0;
      if (!Number.isNaN(discounts[i])) anyDiscount = true;
      const category = categoryOf[i];
      if (category >= 0) {
        anyCategory = true;
        if (categoryStamp[category] !== c) {
          categoryStamp[category] = c;
          spendByCategory[category] = 0;
          categoriesSeen[categoryN++] = category;
        }
        spendByCategory[category] += amount;
      }
      const channel = channelOf[i];
      if (channel >= 0) {
        anyChannel = true;
        if (channelStamp[channel] !== c) {
          channelStamp[channel] = c;
          linesByChannel[channel] = 0;
          channelsSeen[channelN++] = channel;
        }
        linesByChannel[channel]++;
      }
      const order = orderOf[i];
      if (order < 0) {
        // a row without an order id is its own order
        if (times.length <= unkeyed) times = grow(times);
        times[unkeyed] = t;
        unkeyed++;
        if (discounted) unkeyedDiscounted++;
        for (let w = 0; w < windows.length; w++) if (t >= wCut[w]) wOrders[w][c]++;
      } else if (orderStamp[order] !== c) {
        orderStamp[order] = c;
        orderFirst[order] = t;
        orderLast[order] = t;
        orderDiscounted[order] = discounted ? 1 : 0;
        ordersSeen[keyed++] = order;
      } else {
        if (t < orderFirst[order]) orderFirst[order] = t;
        if (t > orderLast[order]) orderLast[order] = t;
        if (discounted) orderDiscounted[order] = 1;
      }
    }
    const orders = keyed + unkeyed;
    // order times: unkeyed rows were written first at [0, unkeyed), keyed orders follow (sorted below)
    if (times.length < orders) times = grow(times, orders);
    let discountedOrders = 0;
    for (let k = 0; k < keyed; k++) {
      const order = ordersSeen[k];
      times[unkeyed + k] = orderFirst[order];
      discountedOrders += orderDiscounted[order];
      // an order counts in a window when any of its lines does
      for (let w = 0; w < windows.length; w++) if (orderLast[order] >= wCut[w]) wOrders[w][c]++;
    }
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
      for (let k = 1; k < orders; k++) ss += (sorted[k] - sorted[k - 1] - mean) ** 2;
      gapCv[c] = mean > 0 ? Math.sqrt(ss / (orders - 1)) / mean : 0;
    }
    discountShare[c] = orders ? (discountedOrders + unkeyedDiscounted) / orders : 0;
    returnRate[c] = purchaseLines + returnLines ? returnLines / (purchaseLines + returnLines) : 0;
    for (let w = 0; w < windows.length; w++) wSpend[w][c] = Math.max(0, wSpend[w][c]);
    if (categoryN) {
      let top = 0;
      let total = 0;
      // summed in first-seen order, as the per-customer Map of spend used to be
      for (let k = 0; k < categoryN; k++) {
        const v = spendByCategory[categoriesSeen[k]];
        total += v;
        if (v > top) top = v;
      }
      topCategory[c] = total > 0 ? top / total : 1 / categoryN;
      categoryCount[c] = categoryN;
    }
    if (channelN) {
      let top = 0;
      let total = 0;
      for (let k = 0; k < channelN; k++) {
        const v = linesByChannel[channelsSeen[k]];
        total += v;
        if (v > top) top = v;
      }
      mainChannel[c] = top / total;
      channelCount[c] = channelN;
    }
    activeDays[c] = distinctCount(days, dayN);
    featuresUsed[c] = used;
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

/** Distinct values among the first `n` of `a` (reorders them). */
function distinctCount(a: Float64Array, n: number): number {
  if (n < 2) return n;
  const s = a.subarray(0, n).sort();
  let k = 1;
  for (let i = 1; i < n; i++) if (s[i] !== s[i - 1]) k++;
  return k;
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

/** What a customer's sampling key hashes before its id. */
const samplePrefix = (seed: number): string => `${seed}:`;

/** Stable per-customer sampling key: a shard keeps its `size` smallest keys, so the union of
 * shard samples contains exactly the global sample whatever the sharding. */
export function sampleKey(customerId: string, seed: number): number {
  return fnv1a32(samplePrefix(seed) + customerId);
}

/** sampleKey of every customer, the prefix hashed once (keyHasher in sampling.ts; equal by test). */
export function sampleKeys(customerIds: readonly string[], seed: number): Uint32Array {
  return hashKeys(customerIds, samplePrefix(seed));
}

export function selectSample(features: CustomerFeatures, size: number, seed: number): Columns {
  const n = features.customerId.length;
  const keysAll = sampleKeys(features.customerId, seed);
  const chosen = orderByKey(keysAll, features.customerId).subarray(0, Math.min(size, n));
  const out: Columns = {
    customerId: takeColumn(features.customerId, chosen),
    sampleKey: takeColumn(keysAll, chosen),
  };
  for (const name of features.names) out[name] = takeColumn(features.values[name], chosen);
  // categorical attributes ride along for the predictive models' population (segmentation reads names only)
  for (const [column, values] of Object.entries(features.categorical ?? {}))
    out[`${CATEGORY_PREFIX}${column}`] = takeColumn(values, chosen);
  return out;
}

/** Dictionary entries of the features present (kept for callers of the first version). */
export function featureDefinitions(names: readonly string[]): FeatureDefinition[] {
  return dictionaryFor(names);
}

export { FEATURES };
