// BuildFeatures' computations (lib/features/build.ts) on hand-made rows: point-in-time features,
// CRM attributes, statistics and samples that merge across shards as if computed on one.
import { describe, expect, it } from 'vitest';
import {
  computeFeatures,
  concatCustomers,
  isSensitiveAttribute,
  selectSample,
  summariseFeatures,
} from '../../../lib/features/build.js';
import { definitionOf, dictionaryFor } from '../../../lib/features/dictionary.js';
import { concatTransactions } from '../../../lib/features/transactions.js';
import { mergeSamples, mergeSummaries } from '../../../lib/models/segmentation.js';
import { decodeColumns, encodeColumns } from '../../../lib/storage/columnar.js';
import { DAY_MS as DAY, type HandMadeRow, handMadeTransactions } from '../../support/transactions.js';

const T0 = Date.UTC(2026, 0, 1);
const AS_OF = T0 + 100 * DAY;
/** hand-made rows as transaction columns, without the optional category and channel columns */
const tx = (rows: HandMadeRow[]) => handMadeTransactions(rows, T0);
/** the same with category and channel columns ('' where a row has none) */
const txWithCategories = (rows: HandMadeRow[]) =>
  handMadeTransactions(rows, T0, { categoryAndChannel: true });

// A: orders on days 10, 40, 90 (gaps 30 and 50), two categories, two channels, some engagement
const rows: HandMadeRow[] = [
  { c: 'A', day: 10, amount: 30, order: 'a1', category: 'toys', channel: 'web' },
  { c: 'A', day: 10, amount: 10, order: 'a1', category: 'books', channel: 'web' },
  { c: 'A', day: 40, amount: 60, order: 'a2', category: 'toys', channel: 'store' },
  { c: 'A', day: 90, amount: 20, order: 'a3', category: 'toys', channel: 'web' },
  { c: 'A', day: 95, amount: 20, order: 'a3', ret: true },
  { c: 'A', day: 91, event: 'email_open' },
  { c: 'A', day: 91, event: 'email_click' },
  { c: 'A', day: 93, event: 'app_session', category: 'search' },
  { c: 'A', day: 94, event: 'app_session', category: 'wishlist' },
  { c: 'B', day: 80, amount: 50, order: 'b1', category: 'books', channel: 'app' },
];
const value = (f: ReturnType<typeof computeFeatures>, name: string, c: number): number => f.values[name][c];

describe('computeFeatures', () => {
  const rows = [
    { c: 'A', day: 0, amount: 100, order: 'o1', discount: 10 },
    { c: 'A', day: 0, amount: 20, order: 'o1' }, // second line of the same order
    { c: 'A', day: 30, amount: 60, order: 'o2' },
    { c: 'A', day: 35, amount: 60, order: 'o2', ret: true }, // refund of o2
    { c: 'B', day: 50, amount: 40 },
    { c: 'B', day: 55, amount: 0, event: 'email_open' },
  ];
  const asOf = T0 + 60 * DAY;

  it('computes recency, frequency, monetary, tenure, order value, discount share and return rate', () => {
    // Act
    const f = computeFeatures(tx(rows), asOf);
    // Assess
    expect(f.customerId).toEqual(['A', 'B']);
    const v = (name: string) => Array.from(f.values[name]);
    expect(v('recencyDays')).toEqual([30, 10]);
    expect(v('frequency')).toEqual([2, 1]);
    expect(v('monetary')).toEqual([120, 40]); // 180 gross − 60 returned
    expect(v('avgOrderValue')).toEqual([90, 40]); // 180 / 2 orders
    expect(v('tenureDays')).toEqual([60, 10]);
    expect(v('discountShare')).toEqual([0.5, 0]);
    expect(v('returnRate')[0]).toBeCloseTo(1 / 4);
    expect(f.names).toEqual([
      'recencyDays',
      'frequency',
      'monetary',
      'avgOrderValue',
      'tenureDays',
      'orderGapDays',
      'orderGapVariation',
      'discountShare',
      'returnRate',
      'activeDays',
      'events_email_open',
    ]);
  });

  it('ignores every event at or after the as-of time', () => {
    // Prepare: the same data plus a large purchase after the cut
    const late = [...rows, { c: 'A', day: 61, amount: 5000, order: 'o9' }, { c: 'C', day: 70, amount: 10 }];
    // Act
    const before = computeFeatures(tx(rows), asOf);
    const after = computeFeatures(tx(late), asOf);
    // Assess
    expect(after.customerId).toEqual(before.customerId);
    for (const name of before.names)
      expect(Array.from(after.values[name])).toEqual(Array.from(before.values[name]));
  });

  it('leaves out features whose inputs are absent instead of zero-filling them', () => {
    const f = computeFeatures(
      tx([
        { c: 'A', day: 1, amount: 5 },
        { c: 'B', day: 2, amount: 7 },
      ]),
      asOf,
    );
    expect(f.names).not.toContain('discountShare');
    expect(f.names).not.toContain('returnRate');
  });
});

describe('sharded statistics and samples', () => {
  it('merging shard summaries and samples equals computing on one shard', () => {
    // Prepare: 400 customers split across 3 shards by id
    const all: { c: string; day: number; amount: number }[] = [];
    for (let i = 0; i < 400; i++)
      for (let k = 0; k <= i % 5; k++)
        all.push({ c: `C${i}`, day: (i * 7 + k * 11) % 300, amount: 10 + ((i * 13 + k) % 90) });
    const asOf = T0 + 400 * DAY;
    const whole = computeFeatures(tx(all), asOf);
    const shards = [0, 1, 2].map((s) =>
      computeFeatures(tx(all.filter((r) => Number(r.c.slice(1)) % 3 === s)), asOf),
    );
    // Act
    const merged = mergeSummaries(shards.map(summariseFeatures));
    const single = summariseFeatures(whole);
    const sampleMerged = mergeSamples(
      shards.map((f) => selectSample(f, 50, 9)),
      50,
      whole.names,
    );
    const sampleSingle = mergeSamples([selectSample(whole, 50, 9)], 50, whole.names);
    // Assess
    expect(merged.customers).toBe(400);
    for (const name of whole.names) {
      expect(merged.stats[name].count).toBe(single.stats[name].count);
      expect(merged.stats[name].sum).toBeCloseTo(single.stats[name].sum, 9);
      expect(merged.stats[name].sumSq).toBeCloseTo(single.stats[name].sumSq, 6);
    }
    expect(sampleMerged.customerId).toEqual(sampleSingle.customerId);
    expect(Array.from(sampleMerged.monetary as Float64Array)).toEqual(
      Array.from(sampleSingle.monetary as Float64Array),
    );
  });
});

describe('point-in-time features on hand-made events', () => {
  const f = computeFeatures(txWithCategories(rows), AS_OF, { windowsDays: [30, 90] });

  it('counts orders and net spend in each window before the as-of time', () => {
    // Assess: A's 30-day window holds order a3 (day 90) and its refund (day 95); 90 days reach day 10
    expect(value(f, 'orders30d', 0)).toBe(1);
    expect(value(f, 'spend30d', 0)).toBe(0); // 20 bought, 20 returned
    expect(value(f, 'orders90d', 0)).toBe(3); // day 10 is exactly 90 days back: included
    expect(value(f, 'spend90d', 0)).toBe(100); // 40 + 60 + 20 − 20
    expect(value(f, 'orders30d', 1)).toBe(1);
  });

  it('computes the mean and the regularity of the days between orders', () => {
    // gaps 30 and 50: mean 40, population std 10, coefficient of variation 0.25
    expect(value(f, 'orderGapDays', 0)).toBe(40);
    expect(value(f, 'orderGapVariation', 0)).toBeCloseTo(0.25, 12);
    // one order: unknown, not zero
    expect(Number.isNaN(value(f, 'orderGapDays', 1))).toBe(true);
  });

  it('measures category affinity and channel preference', () => {
    // A spent 110 on toys of 120 gross; 3 of 4 purchase lines on the web
    expect(value(f, 'topCategoryShare', 0)).toBeCloseTo(110 / 120, 12);
    expect(value(f, 'categories', 0)).toBe(2);
    expect(value(f, 'mainChannelShare', 0)).toBe(0.75);
    expect(value(f, 'channels', 0)).toBe(2);
    expect(value(f, 'topCategoryShare', 1)).toBe(1);
  });

  it('counts engagement per event type, active days and distinct features used', () => {
    expect(value(f, 'events_email_open', 0)).toBe(1);
    expect(value(f, 'events_app_session', 0)).toBe(2);
    expect(value(f, 'activeDays', 0)).toBe(3); // days 91, 93, 94
    expect(value(f, 'featuresUsed', 0)).toBe(2);
    expect(value(f, 'events_app_session', 1)).toBe(0);
  });

  it('changes nothing when events after the as-of time are added', () => {
    // Prepare
    const late: HandMadeRow[] = [
      ...rows,
      { c: 'A', day: 100, amount: 999, order: 'a9', category: 'tv', channel: 'phone' },
      { c: 'A', day: 120, event: 'email_open' },
      { c: 'C', day: 101, amount: 5, order: 'c1' },
    ];
    // Act
    const after = computeFeatures(txWithCategories(late), AS_OF, { windowsDays: [30, 90] });
    // Assess
    expect(after.customerId).toEqual(f.customerId);
    expect(after.names).toEqual(f.names);
    for (const name of f.names) expect(Array.from(after.values[name])).toEqual(Array.from(f.values[name]));
  });

  it('leaves out features whose inputs are absent instead of filling zeros', () => {
    // Prepare: purchases only, no category, channel, discount, returns or engagement
    const plain = txWithCategories([{ c: 'A', day: 1, amount: 5, order: 'x' }]);
    delete plain.category;
    delete plain.channel;
    // Act
    const g = computeFeatures(plain, AS_OF);
    // Assess
    expect(g.names).toEqual([
      'recencyDays',
      'frequency',
      'monetary',
      'avgOrderValue',
      'tenureDays',
      'orderGapDays',
      'orderGapVariation',
    ]);
  });

  it('documents every feature it emits', () => {
    for (const name of f.names) {
      const d = definitionOf(name);
      expect(d, name).toBeDefined();
      expect(d!.definition.length).toBeGreaterThan(10);
      expect(d!.sources.length).toBeGreaterThan(0);
    }
    expect(definitionOf('orders30d')!.windowDays).toBe(30);
    expect(dictionaryFor(f.names).map((d) => d.name)).toEqual(f.names);
  });
});

describe('CRM attributes', () => {
  it('turns numbers and dates into features, keeps categories for one-hot, never sensitive columns', () => {
    // Prepare: a customers part as ingest writes it
    const part = decodeColumns(
      encodeColumns({
        customerId: ['A', 'B', 'Z'],
        plan: ['pro', 'basic', 'pro'],
        seats: ['3', '', '7'],
        signup_date: ['2025-12-02', '2026-05-01', '2025-01-01'],
        gender: ['f', 'm', 'f'],
        email: ['a@x', 'b@x', 'z@x'],
      }),
    ).columns;
    const customers = concatCustomers([part]);
    // Act
    const f = computeFeatures(txWithCategories(rows), AS_OF, { customers });
    // Assess
    expect(f.values.crm_seats[0]).toBe(3);
    expect(Number.isNaN(f.values.crm_seats[1])).toBe(true);
    expect(f.values.crm_signup_date_daysAgo[0]).toBe(130); // 2025-12-02 → 2026-04-11
    expect(Number.isNaN(f.values.crm_signup_date_daysAgo[1])).toBe(true); // after the as-of time
    expect(f.categorical).toEqual({ plan: ['pro', 'basic'] });
    expect(Object.keys(f.values).some((n) => /^crm_(gender|email)/.test(n))).toBe(false);
    expect(isSensitiveAttribute('date_of_birth')).toBe(true);
    expect(summariseFeatures(f).levels).toEqual({ plan: { pro: 1, basic: 1 } });
  });

  it('uses every customer of the customer file when there are no transactions', () => {
    const customers = concatCustomers([
      { customerId: ['A', 'B'], plan: ['pro', 'basic'], mrr: ['10.5', '99'] },
    ]);
    const f = computeFeatures(concatTransactions([]), AS_OF, { customers });
    expect(f.customerId).toEqual(['A', 'B']);
    expect(f.names).toEqual(['crm_mrr']);
    expect(Array.from(f.values.crm_mrr)).toEqual([10.5, 99]);
  });
});
