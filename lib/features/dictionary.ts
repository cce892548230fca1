// The feature dictionary: what each behavioural feature means, in words marketing, analytics and
// legal can agree on. Written with every run (feature-dictionary.json and the report).

export interface FeatureDefinition {
  name: string;
  /** short label for tables and descriptions */
  label: string;
  definition: string;
  unit: 'days' | 'orders' | 'currency' | 'share' | 'count';
  /** look-back window in days; null = all history before the as-of time */
  windowDays: number | null;
  /** input columns (mapped field names) the feature is computed from */
  sources: string[];
  /** transform applied before standardising: heavy-tailed money and counts get log1p */
  transform: 'none' | 'log1p';
  /** 'cluster' features shape the segments; 'profile' features only describe them */
  role: 'cluster' | 'profile';
}

export const FEATURES: readonly FeatureDefinition[] = [
  {
    name: 'recencyDays',
    label: 'days since last order',
    definition: 'Days from the last purchase before the as-of time to the as-of time.',
    unit: 'days',
    windowDays: null,
    sources: ['customerId', 'timestamp'],
    transform: 'log1p',
    role: 'cluster',
  },
  {
    name: 'frequency',
    label: 'orders',
    definition:
      'Number of distinct purchase orders before the as-of time (rows without an order id count once each).',
    unit: 'orders',
    windowDays: null,
    sources: ['customerId', 'orderId', 'timestamp'],
    transform: 'log1p',
    role: 'cluster',
  },
  {
    name: 'monetary',
    label: 'net spend',
    definition: 'Purchases minus returns before the as-of time, in the currency of the export.',
    unit: 'currency',
    windowDays: null,
    sources: ['customerId', 'amount', 'timestamp'],
    transform: 'log1p',
    role: 'cluster',
  },
  {
    name: 'avgOrderValue',
    label: 'average order value',
    definition: 'Gross purchase amount divided by the number of orders.',
    unit: 'currency',
    windowDays: null,
    sources: ['amount', 'orderId'],
    transform: 'log1p',
    role: 'cluster',
  },
  {
    name: 'tenureDays',
    label: 'days since first order',
    definition: 'Days from the first purchase to the as-of time.',
    unit: 'days',
    windowDays: null,
    sources: ['customerId', 'timestamp'],
    transform: 'none',
    role: 'cluster',
  },
  {
    name: 'discountShare',
    label: 'share of orders with a discount',
    definition: 'Share of purchase orders that carried a discount (discount sensitivity).',
    unit: 'share',
    windowDays: null,
    sources: ['discount'],
    transform: 'none',
    role: 'cluster',
  },
  {
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
  },
];

export const FEATURE_BY_NAME: ReadonlyMap<string, FeatureDefinition> = new Map(
  FEATURES.map((f) => [f.name, f]),
);

export function transformValue(def: FeatureDefinition, value: number): number {
  return def.transform === 'log1p' ? Math.log1p(Math.max(0, value)) : value;
}
