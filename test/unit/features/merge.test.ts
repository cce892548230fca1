import { describe, expect, it } from 'vitest';
import {
  type CustomerAttributes,
  computeFeatures,
  selectSample,
  summariseFeatures,
} from '../../../lib/features/build.js';
import type { TransactionColumns } from '../../../lib/features/transactions.js';
import { assignSegments, fitSegmentation, profileFeatures } from '../../../lib/models/segmentation.js';
import { shardOf } from '../../../lib/util/hash.js';
import { createRandom } from '../../../lib/util/random.js';

const DAY = 86_400_000;
const AS_OF = Date.UTC(2026, 6, 1);

/** Three behaviours (frequent, bargain, lapsed) with categories, channels, returns and a CRM plan. */
function dataset(customers: number): { tx: TransactionColumns; crm: CustomerAttributes } {
  const r = createRandom(3);
  const tx: TransactionColumns = {
    customerId: [],
    orderId: [],
    eventType: [],
    timestampMs: new Float64Array(0),
    amount: new Float64Array(0),
    discount: new Float64Array(0),
    isReturn: new Uint8Array(0),
    category: [],
    channel: [],
  };
  const t: number[] = [];
  const amount: number[] = [];
  const discount: number[] = [];
  const ret: number[] = [];
  const crm: CustomerAttributes = { customerId: [], attributes: { plan: [], seats: [] } };
  for (let c = 0; c < customers; c++) {
    const id = `K${c}`;
    const kind = c % 3;
    const orders = kind === 0 ? 8 + r.int(6) : 1 + r.int(3);
    const last = kind === 2 ? 300 + r.int(200) : r.int(40);
    for (let o = 0; o < orders; o++) {
      tx.customerId.push(id);
      tx.orderId.push(`${id}-${o}`);
      tx.eventType.push('');
      tx.category?.push(['toys', 'books', 'home'][r.int(3)]);
      tx.channel?.push(r.next() < 0.7 ? 'web' : 'store');
      t.push(AS_OF - (last + o * (10 + r.int(20))) * DAY);
      amount.push(kind === 1 ? 15 + r.next() * 10 : 60 + r.next() * 60);
      discount.push(kind === 1 ? 3 : r.next() < 0.1 ? 5 : 0);
      ret.push(r.next() < 0.03 ? 1 : 0);
    }
    if (c % 5 === 0) {
      tx.customerId.push(id);
      tx.orderId.push('');
      tx.eventType.push('email_open');
      tx.category?.push('');
      tx.channel?.push('');
      t.push(AS_OF - r.int(30) * DAY);
      amount.push(0);
      discount.push(Number.NaN);
      ret.push(0);
    }
    crm.customerId.push(id);
    crm.attributes.plan.push(['free', 'pro', 'team', `rare${c}`][c % 4 === 3 ? 3 : r.int(3)]);
    crm.attributes.seats.push(c % 7 === 0 ? '' : `${1 + r.int(20)}`);
  }
  tx.timestampMs = Float64Array.from(t);
  tx.amount = Float64Array.from(amount);
  tx.discount = Float64Array.from(discount);
  tx.isReturn = Uint8Array.from(ret);
  return { tx, crm };
}

function split(tx: TransactionColumns, crm: CustomerAttributes, shards: number) {
  return Array.from({ length: shards }, (_, s) => {
    const rows = tx.customerId.map((id, i) => (shardOf(id, shards) === s ? i : -1)).filter((i) => i >= 0);
    const part: TransactionColumns = {
      customerId: rows.map((i) => tx.customerId[i]),
      orderId: rows.map((i) => tx.orderId[i]),
      eventType: rows.map((i) => tx.eventType[i]),
      timestampMs: Float64Array.from(rows, (i) => tx.timestampMs[i]),
      amount: Float64Array.from(rows, (i) => tx.amount[i]),
      discount: Float64Array.from(rows, (i) => tx.discount[i]),
      isReturn: Uint8Array.from(rows, (i) => tx.isReturn[i]),
      category: rows.map((i) => tx.category?.[i] ?? ''),
      channel: rows.map((i) => tx.channel?.[i] ?? ''),
    };
    const keep = crm.customerId.map((id, i) => (shardOf(id, shards) === s ? i : -1)).filter((i) => i >= 0);
    const crmPart: CustomerAttributes = {
      customerId: keep.map((i) => crm.customerId[i]),
      attributes: Object.fromEntries(
        Object.entries(crm.attributes).map(([k, v]) => [k, keep.map((i) => v[i])]),
      ),
    };
    return computeFeatures(part, AS_OF, { windowsDays: [30, 90], customers: crmPart });
  });
}

const options = { kMin: 3, kMax: 4, nInit: 2, seed: 5, sampleSize: 100_000 };

function expectClose(a: unknown, b: unknown, path = ''): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a)) expect(Number.isNaN(b), path).toBe(true);
    else expect(Math.abs(a - b), path).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(a)));
  } else if (Array.isArray(a) && Array.isArray(b)) {
    expect(b.length, path).toBe(a.length);
    for (let i = 0; i < a.length; i++) expectClose(a[i], b[i], `${path}[${i}]`);
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(b as object).sort(), path).toEqual(Object.keys(a as object).sort());
    for (const k of Object.keys(a as object))
      expectClose((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
  } else expect(b, path).toEqual(a);
}

describe('sharded BuildFeatures → Fit', () => {
  it('gives the same scalers, selection, RFM cuts, centroids and labels from 1 shard as from 4', () => {
    // Prepare
    const { tx, crm } = dataset(900);
    const one = split(tx, crm, 1);
    const four = split(tx, crm, 4);
    // Act
    const fitShards = (parts: ReturnType<typeof split>, size: number) =>
      fitSegmentation(
        parts.map(summariseFeatures),
        parts.map((p) => selectSample(p, size, options.seed)),
        { ...options, sampleSize: size },
      );
    const m1 = fitShards(one, 500);
    const m4 = fitShards(four, 500);
    // Assess: the same model up to summation order
    expectClose(m1, m4);
    expect(m4.levels?.plan).toEqual(['free', 'pro', 'team', '(other)']);
    expect(m4.allFeatures).toContain('crm_plan=(other)');
    // and every customer of every shard gets the label the single shard gives them
    const label1 = new Map<string, number>();
    const l1 = assignSegments(one[0], m1).labels;
    for (let i = 0; i < l1.length; i++) label1.set(one[0].customerId[i], l1[i]);
    let scored = 0;
    for (const shard of four) {
      const l4 = assignSegments(shard, m4).labels;
      for (let i = 0; i < l4.length; i++) expect(l4[i]).toBe(label1.get(shard.customerId[i]));
      scored += l4.length;
      const profiled = profileFeatures(shard, m4);
      for (const name of profiled.names)
        expect(
          profiled.values[name].every((v) => Number.isFinite(v)),
          name,
        ).toBe(true);
    }
    expect(scored).toBe(900);
  });

  it('drops near-constant and redundant cluster features and says why', () => {
    // Prepare: every customer discounted on every order is near-constant; one shard is enough
    const { tx, crm } = dataset(300);
    tx.discount.fill(1);
    const parts = split(tx, crm, 2);
    // Act
    const m = fitSegmentation(
      parts.map(summariseFeatures),
      parts.map((p) => selectSample(p, 1000, 1)),
      options,
    );
    // Assess
    const reasons = Object.fromEntries(m.dropped.map((d) => [d.feature, d.reason]));
    expect(reasons.discountShare).toMatch(/^near-constant/);
    expect(m.features).not.toContain('discountShare');
    // frequency and net spend move together in this data: one of the pair goes, with the correlation
    const redundant = m.dropped.filter((d) => d.reason.startsWith('redundant'));
    for (const d of redundant) expect(d.reason).toMatch(/correlation 0\.9\d with \w+/);
    expect(m.features.length + m.dropped.length).toBe(6);
  });

  it('segments a customers-only dataset on its numeric attributes', () => {
    // Prepare: two clear groups of seats and tenure, no transactions at all
    const ids = Array.from({ length: 60 }, (_, i) => `P${i}`);
    const customers = {
      customerId: ids,
      attributes: {
        seats: ids.map((_, i) => `${i % 2 ? 100 + (i % 7) : 2 + (i % 3)}`),
        signup_date: ids.map((_, i) => (i % 2 ? '2020-01-01' : '2026-05-01')),
        plan: ids.map((_, i) => (i % 2 ? 'team' : 'free')),
      },
    };
    const f = computeFeatures(
      {
        customerId: [],
        orderId: [],
        eventType: [],
        timestampMs: new Float64Array(0),
        amount: new Float64Array(0),
        discount: new Float64Array(0),
        isReturn: new Uint8Array(0),
      },
      AS_OF,
      { customers },
    );
    // Act
    const m = fitSegmentation([summariseFeatures(f)], [selectSample(f, 100, 1)], {
      ...options,
      kMin: 2,
      kMax: 3,
    });
    const { labels } = assignSegments(f, m);
    // Assess
    // signup date splits exactly as seats do here, so it is dropped as redundant
    expect(m.features).toEqual(['crm_seats']);
    expect(m.dropped[0]).toMatchObject({ feature: 'crm_signup_date_daysAgo' });
    expect(m.dropped[0].reason).toMatch(/^redundant: correlation (0\.9\d|1\.00) with crm_seats/);
    expect(m.levels?.plan).toEqual(['free', 'team']);
    expect(new Set(Array.from(labels).filter((_, i) => i % 2 === 1)).size).toBe(1);
  });
});
