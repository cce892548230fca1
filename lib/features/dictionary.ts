// The feature dictionary: what each behavioural feature means, in words marketing, analytics and
// legal can agree on. Written with every run (feature-dictionary.json and the report). Some
// features are families whose names carry a parameter (a window, an event type, a CRM column).

export interface FeatureDefinition {
  name: string;
  /** short label for tables and descriptions */
  label: string;
  definition: string;
  unit: 'days' | 'orders' | 'currency' | 'share' | 'count' | 'number';
  /** look-back window in days; null = all history before the as-of time */
  windowDays: number | null;
  /** input columns (mapped field names) the feature is computed from */
  sources: string[];
  /** transform applied before standardising: heavy-tailed money and counts get log1p */
  transform: 'none' | 'log1p';
  /** 'cluster' features shape the segments; 'profile' features only describe them */
  role: 'cluster' | 'profile';
  /**
   * What a shard without any input for this feature means for its customers: 'zero' (no such
   * events, so the count or share is 0) or 'missing' (unknown; left out of statistics, and
   * profiles use the population mean).
   */
  whenAbsent: 'zero' | 'missing';
}

type Def = Omit<FeatureDefinition, 'whenAbsent'> & { whenAbsent?: FeatureDefinition['whenAbsent'] };
const def = (d: Def): FeatureDefinition => ({ whenAbsent: 'zero', ...d });

// Which features shape the clusters is a deliberate choice: recency, frequency, basket size,
// tenure and discount use separate the behaviours marketers act on. Windowed counts, category and
// channel mixes and engagement counts are mostly restatements of frequency or sparse, and pull
// k-means into splitting on noise, so they describe segments instead.
export const FEATURES: readonly FeatureDefinition[] = [
  def({
    name: 'recencyDays',
    label: 'days since last order',
    definition: 'Days from the last purchase before the as-of time to the as-of time.',
    unit: 'days',
    windowDays: null,
    sources: ['customerId', 'timestamp'],
    transform: 'log1p',
    role: 'cluster',
  }),
  def({
    name: 'frequency',
    label: 'orders',
    definition:
      'Number of distinct purchase orders before the as-of time (rows without an order id count once each).',
    unit: 'orders',
    windowDays: null,
    sources: ['customerId', 'orderId', 'timestamp'],
    transform: 'log1p',
    role: 'cluster',
  }),
  def({
    name: 'monetary',
    label: 'net spend',
    definition: 'Purchases minus returns before the as-of time, in the currency of the export.',
    unit: 'currency',
    windowDays: null,
    sources: ['customerId', 'amount', 'timestamp'],
    transform: 'log1p',
    role: 'cluster',
  }),
  def({
    name: 'avgOrderValue',
    label: 'average order value',
    definition: 'Gross purchase amount divided by the number of orders.',
    unit: 'currency',
    windowDays: null,
    sources: ['amount', 'orderId'],
    transform: 'log1p',
    role: 'cluster',
  }),
  def({
    name: 'tenureDays',
    label: 'days since first order',
    definition: 'Days from the first purchase to the as-of time.',
    unit: 'days',
    windowDays: null,
    sources: ['customerId', 'timestamp'],
    transform: 'none',
    role: 'cluster',
  }),
  def({
    name: 'orderGapDays',
    label: 'days between orders',
    definition:
      'Mean days between consecutive orders (first to last order span divided by orders − 1); unknown for customers with one order.',
    unit: 'days',
    windowDays: null,
    sources: ['customerId', 'orderId', 'timestamp'],
    transform: 'log1p',
    role: 'profile',
    whenAbsent: 'missing',
  }),
  def({
    name: 'orderGapVariation',
    label: 'irregularity of orders',
    definition:
      'Coefficient of variation of the days between consecutive orders (0 = clockwork, about 1 = random timing); unknown below three orders.',
    unit: 'number',
    windowDays: null,
    sources: ['customerId', 'orderId', 'timestamp'],
    transform: 'none',
    role: 'profile',
    whenAbsent: 'missing',
  }),
  def({
    name: 'discountShare',
    label: 'share of orders with a discount',
    definition: 'Share of purchase orders that carried a discount (discount sensitivity).',
    unit: 'share',
    windowDays: null,
    sources: ['discount'],
    transform: 'none',
    role: 'cluster',
  }),
  def({
    name: 'returnRate',
    label: 'return rate',
    // profile only: in most exports a few percent of customers return anything, and a sparse
    // feature like this pulls k-means into a tiny "returners" cluster instead of real behaviour
    definition: 'Returned or cancelled lines as a share of all purchase and return lines.',
    unit: 'share',
    windowDays: null,
    sources: ['quantity', 'amount', 'status'],
    transform: 'none',
    role: 'profile',
  }),
  def({
    name: 'topCategoryShare',
    label: 'share of spend in the top category',
    definition:
      "Share of the customer's gross spend that went to their most-bought category (category affinity).",
    unit: 'share',
    windowDays: null,
    sources: ['category', 'amount'],
    transform: 'none',
    role: 'profile',
    whenAbsent: 'missing',
  }),
  def({
    name: 'categories',
    label: 'categories bought',
    definition: 'Number of distinct product categories purchased.',
    unit: 'count',
    windowDays: null,
    sources: ['category'],
    transform: 'log1p',
    role: 'profile',
    whenAbsent: 'missing',
  }),
  def({
    name: 'mainChannelShare',
    label: 'share of orders in the main channel',
    definition:
      "Share of purchase lines placed through the customer's most-used channel (channel preference).",
    unit: 'share',
    windowDays: null,
    sources: ['channel'],
    transform: 'none',
    role: 'profile',
    whenAbsent: 'missing',
  }),
  def({
    name: 'channels',
    label: 'channels used',
    definition: 'Number of distinct sales channels purchased through.',
    unit: 'count',
    windowDays: null,
    sources: ['channel'],
    transform: 'log1p',
    role: 'profile',
    whenAbsent: 'missing',
  }),
  def({
    name: 'activeDays',
    label: 'active days',
    definition: 'Distinct calendar days (UTC) with an engagement or product-usage event.',
    unit: 'days',
    windowDays: null,
    sources: ['eventType', 'timestamp'],
    transform: 'log1p',
    role: 'profile',
  }),
  def({
    name: 'featuresUsed',
    label: 'distinct features used',
    definition: 'Distinct values of the category column on non-purchase events (features or pages used).',
    unit: 'count',
    windowDays: null,
    sources: ['eventType', 'category'],
    transform: 'log1p',
    role: 'profile',
  }),
];

export const FEATURE_BY_NAME: ReadonlyMap<string, FeatureDefinition> = new Map(
  FEATURES.map((f) => [f.name, f]),
);

const WINDOW = /^(orders|spend)(\d+)d$/;
const EVENT = /^events_([a-z0-9_]+)$/;
const ATTRIBUTE = /^crm_([A-Za-z0-9_]+)$/;
const DATE_ATTRIBUTE = /^crm_([A-Za-z0-9_]+)_daysAgo$/;
const LEVEL = /^crm_([A-Za-z0-9_]+)=(.*)$/s;

export const windowFeatureNames = (days: number): [string, string] => [`orders${days}d`, `spend${days}d`];
export const eventFeatureName = (eventType: string): string =>
  `events_${eventType.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
export const attributeFeatureName = (column: string, kind: 'number' | 'date'): string =>
  kind === 'date' ? `crm_${column}_daysAgo` : `crm_${column}`;
export const levelFeatureName = (column: string, level: string): string => `crm_${column}=${level}`;

/** Definition of any feature, including the parameterised families; undefined for unknown names. */
export function definitionOf(name: string): FeatureDefinition | undefined {
  const fixed = FEATURE_BY_NAME.get(name);
  if (fixed) return fixed;
  let m = WINDOW.exec(name);
  if (m) {
    const days = Number(m[2]);
    return m[1] === 'orders'
      ? def({
          name,
          label: `orders in the last ${days} days`,
          definition: `Distinct purchase orders in the ${days} days before the as-of time.`,
          unit: 'orders',
          windowDays: days,
          sources: ['customerId', 'orderId', 'timestamp'],
          transform: 'log1p',
          role: 'profile',
        })
      : def({
          name,
          label: `spend in the last ${days} days`,
          definition: `Purchases minus returns in the ${days} days before the as-of time.`,
          unit: 'currency',
          windowDays: days,
          sources: ['customerId', 'amount', 'timestamp'],
          transform: 'log1p',
          role: 'profile',
        });
  }
  m = EVENT.exec(name);
  if (m) {
    const words = m[1].replace(/_/g, ' ');
    return def({
      name,
      label: `${words} events`,
      definition: `Number of "${words}" events (engagement or product usage) before the as-of time.`,
      unit: 'count',
      windowDays: null,
      sources: ['eventType', 'timestamp'],
      transform: 'log1p',
      role: 'profile',
    });
  }
  m = DATE_ATTRIBUTE.exec(name);
  if (m) {
    return def({
      name,
      label: `days since ${m[1].replace(/_/g, ' ')}`,
      definition: `Days from the customer file's "${m[1]}" date to the as-of time; unknown when empty or later than the as-of time.`,
      unit: 'days',
      windowDays: null,
      sources: [m[1]],
      transform: 'none',
      role: 'profile',
      whenAbsent: 'missing',
    });
  }
  m = LEVEL.exec(name);
  if (m) {
    const level = m[2] === OTHER_LEVEL ? 'any rarer value' : `"${m[2]}"`;
    return def({
      name,
      label: `${m[1].replace(/_/g, ' ')}: ${m[2]}`,
      definition: `Share of customers whose "${m[1]}" in the customer file is ${level} (one-hot; rare values pooled).`,
      unit: 'share',
      windowDays: null,
      sources: [m[1]],
      transform: 'none',
      role: 'profile',
      whenAbsent: 'missing',
    });
  }
  m = ATTRIBUTE.exec(name);
  if (m) {
    return def({
      name,
      label: m[1].replace(/_/g, ' '),
      definition: `The customer file's numeric "${m[1]}" as exported; unknown when empty.`,
      unit: 'number',
      windowDays: null,
      sources: [m[1]],
      transform: 'none',
      role: 'profile',
      whenAbsent: 'missing',
    });
  }
  return undefined;
}

/** The level that rare values of a categorical attribute are pooled into. */
export const OTHER_LEVEL = '(other)';

/** Dictionary entries for the given names, in dictionary order (fixed features first). */
export function dictionaryFor(names: readonly string[]): FeatureDefinition[] {
  const fixed = FEATURES.filter((f) => names.includes(f.name));
  const rest = names
    .filter((n) => !FEATURE_BY_NAME.has(n))
    .map((n) => definitionOf(n))
    .filter((d): d is FeatureDefinition => d !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...fixed, ...rest];
}

export function transformValue(def: FeatureDefinition, value: number): number {
  return def.transform === 'log1p' ? Math.log1p(Math.max(0, value)) : value;
}
