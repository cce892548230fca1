// The grouped, allocation-free BuildFeatures (issue #10) against the implementation it replaced, kept
// verbatim in test/bench/previous/: every feature value, sample row, CLV input and duplicate verdict must
// be the same to the bit (Object.is, so NaN and -0 count), in the same order, on messy seeded data.
import { describe, expect, it } from 'vitest';
import {
  computeFeatures,
  concatTransactions,
  sampleKey,
  selectSample,
  type TransactionColumns,
} from '../../../lib/features/build.js';
import { computeClvInputs, spendKey } from '../../../lib/features/clv-inputs.js';
import { hashKeys, keyHasher, orderByKey } from '../../../lib/features/sampling.js';
import { dropDuplicateRows } from '../../../lib/ingest/duplicates.js';
import { buildSelfLabelledSample } from '../../../lib/models/propensity.js';
import type { Column, Columns } from '../../../lib/storage/columnar.js';
import { createRandom } from '../../../lib/util/random.js';
import * as previous from '../../bench/previous/build.js';
import * as previousClv from '../../bench/previous/clv-inputs.js';
import * as previousDuplicates from '../../bench/previous/duplicates.js';
import * as previousPropensity from '../../bench/previous/propensity.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);
const AS_OF = T0 + 400 * DAY;

/** Seeded rows with every case the features branch on, customers interleaved and rows out of time order. */
function messyRows(customers: number, seed: number): TransactionColumns {
  const r = createRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[r.int(xs.length)];
  const out = {
    customerId: [] as string[],
    orderId: [] as string[],
    eventType: [] as string[],
    timestampMs: [] as number[],
    amount: [] as number[],
    discount: [] as number[],
    isReturn: [] as number[],
    category: [] as string[],
    channel: [] as string[],
  };
  let order = 0;
  let lastCustomer = 0;
  let lastTime = T0;
  for (let k = 0; k < customers * 12; k++) {
    // another line of the previous order (mostly the same customer, within a day or two), or a new one
    const sameOrder = r.next() < 0.3 && order > 0;
    // a few heavy customers (over the linear-scan limit of order ids, and over 64 purchases)
    const c = sameOrder && r.next() < 0.9 ? lastCustomer : k % 7 === 0 ? r.int(3) : r.int(customers);
    const event = r.next() < 0.15 ? pick(['email_open', 'Email Open', 'login', 'page-view']) : '';
    // slices of a joined string, as decodeColumns hands them out (distinct string objects per row)
    const id = `xC${c}`.slice(1);
    out.customerId.push(id);
    out.orderId.push(r.next() < 0.2 ? '' : `#${sameOrder ? order : ++order}`);
    out.eventType.push(event);
    // some rows at or after the as-of time, some exactly on day boundaries
    const day = r.int(420);
    const time = sameOrder
      ? lastTime + r.int(3 * DAY) - DAY
      : T0 + day * DAY + (r.next() < 0.2 ? 0 : r.int(DAY));
    out.timestampMs.push(time);
    lastCustomer = c;
    lastTime = time;
    out.amount.push(r.next() < 0.05 ? 0 : Math.round(r.next() * 20000) / 100 + r.next() * 1e-9);
    out.discount.push(r.next() < 0.3 ? Number.NaN : r.next() < 0.5 ? 0 : r.next() * 10);
    out.isReturn.push(event === '' && r.next() < 0.08 ? 1 : 0);
    out.category.push(r.next() < 0.1 ? '' : pick(['home', 'beauty', 'toys', 'garden', 'books']));
    out.channel.push(r.next() < 0.1 ? '' : pick(['app', 'web', 'store']));
  }
  return {
    customerId: out.customerId,
    orderId: out.orderId,
    eventType: out.eventType,
    timestampMs: Float64Array.from(out.timestampMs),
    amount: Float64Array.from(out.amount),
    discount: Float64Array.from(out.discount),
    isReturn: Uint8Array.from(out.isReturn),
    category: out.category,
    channel: out.channel,
  };
}

/** Fresh columns objects (so neither side reuses the other's cached grouping). */
const copy = (tx: TransactionColumns): TransactionColumns => ({ ...tx });

/** Column by column, value by value with Object.is (NaN equal to NaN, -0 distinct from 0). */
function expectSameColumns(actual: Columns, expected: Columns): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [name, col] of Object.entries(expected)) {
    const got = actual[name] as Column;
    expect(got.constructor, name).toBe(col.constructor);
    expect(got.length, name).toBe(col.length);
    for (let i = 0; i < col.length; i++)
      if (!Object.is(got[i], col[i])) expect([name, i, got[i]]).toEqual([name, i, col[i]]);
  }
}

describe('BuildFeatures computations are unchanged by the grouped implementation', () => {
  const tx = messyRows(400, 7);

  it.each([
    ['at the as-of time with windows', AS_OF, [30, 90, 365]],
    ['at an earlier cut without windows', AS_OF - 60 * DAY, []],
  ])('computeFeatures %s: same customers, names and values to the bit', (_, asOf, windowsDays) => {
    // Act
    const ours = computeFeatures(copy(tx), asOf, { windowsDays });
    const theirs = previous.computeFeatures(copy(tx), asOf, { windowsDays });
    // Assess
    expect(ours.customerId).toEqual(theirs.customerId);
    expect(ours.names).toEqual(theirs.names);
    expect(ours.values.events_email_open).toBeDefined();
    expectSameColumns(ours.values, theirs.values);
  });

  it('selectSample and the self-labelled propensity sample: same rows, keys and order', () => {
    // Prepare
    const features = computeFeatures(copy(tx), AS_OF, { windowsDays: [30, 90] });
    const target = { name: 'purchase', kind: 'purchase' as const, windowDays: 30 };
    // Act
    const ours = [selectSample(features, 150, 42), selectSample(features, 10_000, 42)];
    const theirs = [previous.selectSample(features, 150, 42), previous.selectSample(features, 10_000, 42)];
    const labelled = buildSelfLabelledSample(copy(tx), AS_OF, target, 200, 42);
    const labelledBefore = previousPropensity.buildSelfLabelledSample(copy(tx), AS_OF, target, 200, 42);
    // Assess
    expectSameColumns(ours[0], theirs[0]);
    expectSameColumns(ours[1], theirs[1]);
    expectSameColumns(labelled.sample, labelledBefore.sample);
    expect([labelled.positives, labelled.negatives]).toEqual([
      labelledBefore.positives,
      labelledBefore.negatives,
    ]);
  });

  it('computeClvInputs: same customers, histories (in key order) and spend rows', () => {
    // Prepare
    const options = { asOfMs: AS_OF, endDay: Math.floor((AS_OF - 30 * DAY) / DAY), periodDays: 7 };
    // Act
    const ours = computeClvInputs(copy(tx), options);
    const theirs = previousClv.computeClvInputs(copy(tx), options);
    // Assess
    expect(ours.customers.customerId.length).toBeGreaterThan(300);
    expectSameColumns(ours.customers, theirs.customers);
    expectSameColumns(ours.spend, theirs.spend);
    expect(JSON.stringify(ours.histories)).toBe(JSON.stringify(theirs.histories));
  });

  it('dropDuplicateRows: same rows kept, same repeats per file and line', () => {
    // Prepare: three parts with repeats across and within them, some earlier origins arriving later
    const r = createRandom(3);
    const parts: Columns[] = [0, 1, 2].map((part) => {
      const n = 500;
      const key = new Float64Array(n);
      const origin = new Float64Array(n);
      const orderId: string[] = [];
      for (let i = 0; i < n; i++) {
        // fingerprints repeat; 0 means none, and NaN must match NaN as in a Map
        key[i] = r.next() < 0.1 ? 0 : r.next() < 0.02 ? Number.NaN : r.int(900) + 0.5;
        origin[i] = (2 - part) * 2 ** 32 + (r.int(3) === 0 ? 5 : i + 2); // equal origins too
        orderId.push(`#${part}-${i}`);
      }
      return { orderId, duplicateKey: key, origin, amount: Float64Array.from(key, (k) => k * 2) };
    });
    // Act
    const ours = dropDuplicateRows(parts);
    const theirs = previousDuplicates.dropDuplicateRows(parts);
    // Assess
    expect(ours.removed).toBeGreaterThan(100);
    expect([ours.kept, ours.removed, ours.files]).toEqual([theirs.kept, theirs.removed, theirs.files]);
    ours.parts.forEach((p, i) => {
      expectSameColumns(p, theirs.parts[i]);
    });
  });

  it('concatTransactions: same columns from parts with and without the optional columns', () => {
    // Prepare
    const { category, channel, ...withoutOptional } = messyRows(20, 5);
    const parts = [tx, withoutOptional, { ...withoutOptional, category }].map((p) => ({ ...p }) as Columns);
    // Act
    const ours = concatTransactions(parts);
    const theirs = previous.concatTransactions(parts);
    // Assess
    expect(channel?.length).toBeGreaterThan(0);
    expectSameColumns(ours as unknown as Columns, theirs as unknown as Columns);
  });

  it('keys and key order: keyHasher is fnv1a32 of prefix + id, orderByKey the comparator sort', () => {
    // Prepare: ids with forced key collisions (a tiny key space) and non-ASCII text
    const ids = Array.from({ length: 3000 }, (_, i) => `C${i}é`);
    const keys = Uint32Array.from(ids, (_, i) => (i * 7919) % 97);
    // Act
    const order = Array.from(orderByKey(keys, ids));
    const expected = ids.map((_, i) => i);
    expected.sort((a, b) => keys[a] - keys[b] || (ids[a] < ids[b] ? -1 : 1));
    // Assess
    expect(order).toEqual(expected);
    expect(Array.from(hashKeys(ids.slice(0, 50), '42:'))).toEqual(
      ids.slice(0, 50).map((id) => sampleKey(id, 42)),
    );
    expect(keyHasher('clv-spend:')('C1')).toBe(spendKey('C1'));
  });
});
