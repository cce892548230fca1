import { describe, expect, it } from 'vitest';
import {
  computeFeatures,
  concatCustomers,
  isSensitiveAttribute,
  summariseFeatures,
} from '../../../lib/features/build.js';
import { definitionOf, dictionaryFor } from '../../../lib/features/dictionary.js';
import { concatTransactions, type TransactionColumns } from '../../../lib/features/transactions.js';
import { decodeColumns, encodeColumns } from '../../../lib/storage/columnar.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const AS_OF = T0 + 100 * DAY;

type Row = {
  c: string;
  day: number;
  amount?: number;
  order?: string;
  ret?: boolean;
  event?: string;
  category?: string;
  channel?: string;
};

function tx(rows: Row[]): TransactionColumns {
  return {
    customerId: rows.map((r) => r.c),
    orderId: rows.map((r) => r.order ?? ''),
    eventType: rows.map((r) => r.event ?? ''),
    timestampMs: Float64Array.from(rows.map((r) => T0 + r.day * DAY)),
    amount: Float64Array.from(rows.map((r) => r.amount ?? 0)),
    discount: Float64Array.from(rows.map(() => Number.NaN)),
    isReturn: Uint8Array.from(rows.map((r) => (r.ret ? 1 : 0))),
    category: rows.map((r) => r.category ?? ''),
    channel: rows.map((r) => r.channel ?? ''),
  };
}

// A: orders on days 10, 40, 90 (gaps 30 and 50), two categories, two channels, some engagement
const rows: Row[] = [
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

describe('point-in-time features on hand-made events', () => {
  const f = computeFeatures(tx(rows), AS_OF, { windowsDays: [30, 90] });

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
    const late: Row[] = [
      ...rows,
      { c: 'A', day: 100, amount: 999, order: 'a9', category: 'tv', channel: 'phone' },
      { c: 'A', day: 120, event: 'email_open' },
      { c: 'C', day: 101, amount: 5, order: 'c1' },
    ];
    // Act
    const after = computeFeatures(tx(late), AS_OF, { windowsDays: [30, 90] });
    // Assess
    expect(after.customerId).toEqual(f.customerId);
    expect(after.names).toEqual(f.names);
    for (const name of f.names) expect(Array.from(after.values[name])).toEqual(Array.from(f.values[name]));
  });

  it('leaves out features whose inputs are absent instead of filling zeros', () => {
    // Prepare: purchases only, no category, channel, discount, returns or engagement
    const plain = tx([{ c: 'A', day: 1, amount: 5, order: 'x' }]);
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
    const f = computeFeatures(tx(rows), AS_OF, { customers });
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
