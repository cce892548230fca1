import { describe, expect, it } from 'vitest';
import { computeFeatures, selectSample, summariseFeatures } from '../../../lib/features/build.js';
import type { TransactionColumns } from '../../../lib/features/transactions.js';
import { mergeSamples, mergeSummaries } from '../../../lib/models/segmentation.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

function tx(
  rows: {
    c: string;
    day: number;
    amount: number;
    order?: string;
    ret?: boolean;
    discount?: number;
    event?: string;
  }[],
): TransactionColumns {
  return {
    customerId: rows.map((r) => r.c),
    orderId: rows.map((r) => r.order ?? ''),
    eventType: rows.map((r) => r.event ?? ''),
    timestampMs: Float64Array.from(rows.map((r) => T0 + r.day * DAY)),
    amount: Float64Array.from(rows.map((r) => r.amount)),
    discount: Float64Array.from(rows.map((r) => r.discount ?? Number.NaN)),
    isReturn: Uint8Array.from(rows.map((r) => (r.ret ? 1 : 0))),
  };
}

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
