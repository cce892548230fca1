// Propensity: point-in-time training rows (no leakage across the cut, for self-labelled targets and
// dated supplied outcomes), the leakage screens, the data gate, and the planted signal of the generated
// data (AUC >= 0.75, lift falling band by band).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config/schema.js';
import { computeFeatures } from '../../../lib/features/build.js';
import type { OutcomeStats } from '../../../lib/ingest/stage.js';
import {
  buildOutcomeSample,
  buildSelfLabelledSample,
  calibrateBands,
  fitScoreModel,
  mergeSamples,
  percentileOf,
  predict,
  type ScoreModelSettings,
  scoreCustomers,
} from '../../../lib/models/propensity.js';
import { outcomeCutMs } from '../../../lib/pipeline/predictive.js';
import { fnv1a32 } from '../../../lib/util/hash.js';
import { filterRows, GENERATED_END_MS, generatedTransactions, toColumns } from '../../support/predictive.js';

const DAY = 86_400_000;
const SETTINGS: ScoreModelSettings = {
  l2: 1,
  validationShare: 0.3,
  minPositives: 100,
  minNegatives: 100,
  bands: { high: 0.2, medium: 0.3 },
  leakageAuc: 0.98,
};
const PURCHASE_30 = { name: 'purchase', kind: 'purchase' as const, windowDays: 30 };

describe('self-labelled training rows are point-in-time', () => {
  // Prepare: asOf = day 100, window 30 → cut at day 70. Customer a buys on days 10 and 40 (features)
  // and on day 70 exactly and day 90 (label window [70, 100)); b buys on day 20 only; c buys on day 100
  // (at asOf: neither side).
  const asOf = 100 * DAY;
  const tx = toColumns([
    { customerId: 'a', orderId: '1', timestampMs: 10 * DAY, amount: 10, discount: 0, isReturn: false },
    { customerId: 'a', orderId: '2', timestampMs: 40 * DAY, amount: 20, discount: 0, isReturn: false },
    { customerId: 'a', orderId: '3', timestampMs: 70 * DAY, amount: 500, discount: 0, isReturn: false },
    { customerId: 'a', orderId: '4', timestampMs: 90 * DAY, amount: 500, discount: 0, isReturn: false },
    { customerId: 'b', orderId: '5', timestampMs: 20 * DAY, amount: 30, discount: 0, isReturn: false },
    { customerId: 'c', orderId: '6', timestampMs: 100 * DAY, amount: 30, discount: 0, isReturn: false },
  ]);

  it('computes features from events strictly before the cut and labels from [cut, asOf)', () => {
    // Act
    const { sample, positives, negatives } = buildSelfLabelledSample(tx, asOf, PURCHASE_30, 100, 42);
    // Assess: the day-70 and day-90 purchases (which would leak) change the label, never the features
    const ids = sample.customerId as string[];
    const row = (id: string) => ids.indexOf(id);
    expect([...ids].sort()).toEqual(['a', 'b']);
    const frequency = sample.frequency as Float64Array;
    const recency = sample.recencyDays as Float64Array;
    const monetary = sample.monetary as Float64Array;
    const label = sample.label as Uint8Array;
    expect(frequency[row('a')]).toBe(2);
    expect(monetary[row('a')]).toBe(30);
    expect(recency[row('a')]).toBe(30); // day 40 → cut at day 70
    expect(recency[row('b')]).toBe(50);
    expect(label[row('a')]).toBe(1);
    expect(label[row('b')]).toBe(0);
    expect([positives, negatives]).toEqual([1, 1]);
  });

  it('labels churn as the complement of a purchase in the window', () => {
    // Act
    const { sample } = buildSelfLabelledSample(
      tx,
      asOf,
      { name: 'churn', kind: 'churn', windowDays: 30 },
      100,
      42,
    );
    // Assess
    const ids = sample.customerId as string[];
    const label = sample.label as Uint8Array;
    expect(label[ids.indexOf('a')]).toBe(0);
    expect(label[ids.indexOf('b')]).toBe(1);
  });
});

describe('propensity on the generated data (planted archetypes)', () => {
  // Prepare (shared): 4,000 customers split into 3 hash shards, as BuildFeatures would see them
  const { tx } = generatedTransactions(4000, 11);
  const shards = [0, 1, 2].map((s) => filterRows(tx, (id) => fnv1a32(id) % 3 === s));
  const parts = shards.map((t) => buildSelfLabelledSample(t, GENERATED_END_MS, PURCHASE_30, 100_000, 42));

  it('reaches AUC >= 0.75 with lift falling from the high to the low band', () => {
    // Act
    const model = fitScoreModel(
      mergeSamples(
        parts.map((p) => p.sample),
        100_000,
      ),
      PURCHASE_30,
      SETTINGS,
    );
    // Assess
    expect(model.status).toBe('fitted');
    expect(model.converged).toBe(true);
    const v = model.validation!;
    expect(v.auc).toBeGreaterThanOrEqual(0.75);
    expect(v.liftTopDecile).toBeGreaterThan(1.5);
    const [high, medium, low] = v.bands;
    expect(high.lift).toBeGreaterThan(medium.lift);
    expect(medium.lift).toBeGreaterThan(low.lift);
    expect(v.brier).toBeLessThan(v.baseRate * (1 - v.baseRate)); // better than the base rate alone
    expect(v.calibration.reduce((n, b) => n + b.customers, 0)).toBe(v.customers);
    expect(model.drivers.length).toBeGreaterThan(0);
    expect(model.drivers[0].text).toMatch(/makes the outcome (more|less) likely/);
  });

  it('merges the same sample whatever the sharding', () => {
    // Act
    const one = mergeSamples(
      [buildSelfLabelledSample(tx, GENERATED_END_MS, PURCHASE_30, 1000, 42).sample],
      1000,
    );
    const three = mergeSamples(
      shards.map((t) => buildSelfLabelledSample(t, GENERATED_END_MS, PURCHASE_30, 1000, 42).sample),
      1000,
    );
    // Assess
    expect(three.customerId).toEqual(one.customerId);
    expect(Array.from(three.label)).toEqual(Array.from(one.label));
  });

  it('skips the model with the counts and the minimum when there are too few positives', () => {
    // Act
    const model = fitScoreModel(
      mergeSamples(
        parts.map((p) => p.sample),
        100_000,
      ),
      PURCHASE_30,
      { ...SETTINGS, minPositives: 1_000_000 },
    );
    // Assess
    expect(model.status).toBe('skipped');
    expect(model.reason).toMatch(/Not enough data to train "Purchase in the next 30 days": \d+ positive/);
    expect(model.reason).toContain('minimum is 1000000');
  });

  it('drops a feature that copies the label, with a warning, and still fits', () => {
    // Prepare: a supplied outcome plus a column that is the label with a little noise
    const merged = mergeSamples(
      parts.map((p) => p.sample),
      100_000,
    );
    const leaky = Float64Array.from(merged.label, (l, i) => l + 0.01 * ((i * 7919) % 13));
    merged.names.push('daysToCancellation');
    merged.values.push(leaky);
    // Act
    const model = fitScoreModel(merged, PURCHASE_30, SETTINGS);
    // Assess
    expect(model.status).toBe('fitted');
    expect(model.features).not.toContain('daysToCancellation');
    expect(model.dropped.map((d) => d.feature)).toContain('daysToCancellation');
    expect(model.warnings.join(' ')).toMatch(/daysToCancellation.*copy of the label/);
    expect(model.validation!.auc).toBeLessThan(0.98);
  });

  it('bands and ranks the population as of asOf with shared cuts', () => {
    // Prepare
    const model = fitScoreModel(
      mergeSamples(
        parts.map((p) => p.sample),
        100_000,
      ),
      PURCHASE_30,
      SETTINGS,
    );
    const current = buildSelfLabelledSample(
      tx,
      GENERATED_END_MS + DAY,
      { ...PURCHASE_30, windowDays: 1 },
      100_000,
      42,
    );
    const columns = current.sample as Record<string, Float64Array>;
    const n = (current.sample.customerId as string[]).length;
    // Act
    calibrateBands(model, predict(model, columns, n), SETTINGS.bands);
    const scored = scoreCustomers(model, columns, n);
    // Assess: 20 % / 30 % / 50 % of the population, scores 0–100, percentiles ordered like scores
    const share = (code: number) => scored.band.filter((b) => b === code).length / n;
    expect(share(2)).toBeCloseTo(0.2, 1);
    expect(share(1)).toBeCloseTo(0.3, 1);
    expect(Math.min(...scored.score)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...scored.score)).toBeLessThanOrEqual(100);
    const top = scored.percentile.indexOf(Math.max(...scored.percentile));
    expect(scored.band[top]).toBe(2);
    expect(percentileOf([0, 1, 2], 1.5)).toBeCloseTo(75, 12);
  });
});

describe('supplied outcomes', () => {
  it('trains on the customers that have an outcome, any positive row making them positive', () => {
    // Prepare
    const features = {
      customerId: ['a', 'b', 'c'],
      values: { frequency: Float64Array.of(1, 2, 3) },
    };
    // Act
    const { sample, positives, negatives } = buildOutcomeSample(
      features,
      { customerId: ['a', 'c', 'c', 'z'], label: Uint8Array.of(0, 0, 1, 1) },
      10,
      42,
    );
    // Assess
    const ids = sample.customerId as string[];
    expect([...ids].sort()).toEqual(['a', 'c']);
    expect((sample.label as Uint8Array)[ids.indexOf('c')]).toBe(1);
    expect([positives, negatives]).toEqual([1, 1]);
  });
});

function stats(earliestMs: number | null): OutcomeStats {
  return {
    rows: 2,
    positives: 1,
    dated: earliestMs === null ? 0 : 2,
    earliestMs,
    latestMs: earliestMs,
    unlabelled: 0,
    sources: [],
    labels: [],
  };
}

describe('dated supplied outcomes are point-in-time', () => {
  // Prepare: asOf = day 100. a buys on days 10 and 40 and churns on day 60; b buys on day 20 and is
  // still a customer, outcome recorded on day 70. The earliest outcome (day 60) is the cut.
  const asOf = 100 * DAY;
  const rows = [
    { customerId: 'a', orderId: '1', timestampMs: 10 * DAY, amount: 10, discount: 0, isReturn: false },
    { customerId: 'a', orderId: '2', timestampMs: 40 * DAY, amount: 20, discount: 0, isReturn: false },
    { customerId: 'b', orderId: '3', timestampMs: 20 * DAY, amount: 30, discount: 0, isReturn: false },
  ];
  const outcomes = {
    customerId: ['a', 'b'],
    label: Uint8Array.of(1, 0),
    timestampMs: Float64Array.of(60 * DAY, 70 * DAY),
  };
  const config = parseConfig({});
  const sampleAt = (tx: ReturnType<typeof toColumns>, cutMs: number) =>
    buildOutcomeSample(computeFeatures(tx, cutMs, { windowsDays: [30] }), outcomes, 100, 42, cutMs).sample;

  it('takes the cut from the earliest outcome date, the config, or the as-of time', () => {
    // Act + Assess
    expect(outcomeCutMs(config, stats(60 * DAY), asOf)).toEqual({
      cutMs: 60 * DAY,
      why: 'the earliest outcome date',
    });
    expect(outcomeCutMs(config, stats(null), asOf).cutMs).toBe(asOf);
    const configured = parseConfig({ propensity: { outcomeCut: new Date(50 * DAY).toISOString() } });
    expect(outcomeCutMs(configured, stats(60 * DAY), asOf).cutMs).toBe(50 * DAY);
  });

  it('changes no feature when an event dated after the cut is added, and fails the check if the cut moves', () => {
    // Prepare: a's refund of everything and a new order after churning (day 61 and day 90)
    const late = [
      ...rows,
      { customerId: 'a', orderId: '2', timestampMs: 61 * DAY, amount: 20, discount: 0, isReturn: true },
      { customerId: 'a', orderId: '9', timestampMs: 90 * DAY, amount: 500, discount: 0, isReturn: false },
    ];
    const { cutMs } = outcomeCutMs(config, stats(60 * DAY), asOf);
    // Act
    const before = sampleAt(toColumns(rows), cutMs);
    const after = sampleAt(toColumns(late), cutMs);
    // the same labels with features as of asOf, i.e. the cut moved past the outcome
    const moved = buildOutcomeSample(
      computeFeatures(toColumns(late), asOf, { windowsDays: [30] }),
      outcomes,
      100,
      42,
    ).sample;
    // Assess: as of the cut the late events are invisible; a's recency is measured from the cut
    expect(after).toEqual(before);
    const ids = after.customerId as string[];
    expect((after.frequency as Float64Array)[ids.indexOf('a')]).toBe(2);
    expect((after.recencyDays as Float64Array)[ids.indexOf('a')]).toBe(20);
    // the same check with the cut moved past the outcome sees the leak: the test above would fail
    const movedIds = moved.customerId as string[];
    expect((moved.frequency as Float64Array)[movedIds.indexOf('a')]).not.toBe(2);
    expect((moved.returnRate as Float64Array)[movedIds.indexOf('a')]).toBeGreaterThan(0);
  });

  it('leaves out outcomes dated before a configured cut (they were known then), counting them', () => {
    // Act
    const built = buildOutcomeSample(computeFeatures(toColumns(rows), 65 * DAY), outcomes, 100, 42, 65 * DAY);
    // Assess
    expect(built.beforeCut).toBe(1);
    expect(built.sample.customerId).toEqual(['b']);
  });

  it('on generated data, a refund after each outcome leaks only when the cut is moved to asOf', () => {
    // Prepare: a random 30 % churn 60 days before the end and each then returns their last order
    const { tx } = generatedTransactions(3000, 21);
    const churnMs = GENERATED_END_MS - 60 * DAY;
    const ids = [...new Set(tx.customerId)];
    const positive = new Set(ids.filter((id) => fnv1a32(`churn:${id}`) % 10 < 3));
    const extra = [...positive].map((id, k) => ({
      customerId: id,
      orderId: `refund-${k}`,
      timestampMs: churnMs + 5 * DAY,
      amount: 50,
      discount: 0,
      isReturn: true,
    }));
    const all = toColumns([
      ...Array.from(tx.customerId, (id, i) => ({
        customerId: id,
        orderId: tx.orderId[i],
        timestampMs: tx.timestampMs[i],
        amount: tx.amount[i],
        discount: tx.discount[i],
        isReturn: tx.isReturn[i] === 1,
      })),
      ...extra,
    ]);
    const supplied = {
      customerId: ids,
      label: Uint8Array.from(ids, (id) => (positive.has(id) ? 1 : 0)),
      timestampMs: new Float64Array(ids.length).fill(churnMs),
    };
    const target = { name: 'outcome', kind: 'outcome' as const };
    // features as of `cutMs`; the same labels whichever the cut
    const fitAt = (cutMs: number) =>
      fitScoreModel(
        mergeSamples(
          [
            buildOutcomeSample(computeFeatures(all, cutMs, { windowsDays: [90] }), supplied, 100_000, 42)
              .sample,
          ],
          100_000,
        ),
        target,
        SETTINGS,
      );
    // Act
    const atCut = fitAt(outcomeCutMs(parseConfig({}), stats(churnMs), GENERATED_END_MS + 1).cutMs);
    const moved = fitAt(GENERATED_END_MS + 1);
    // Assess: random labels stay unpredictable as of the cut; past the outcome the refund gives them away
    expect(atCut.status).toBe('fitted');
    expect(atCut.validation!.auc).toBeLessThan(0.6);
    expect(atCut.dropped.filter((d) => /copy of the label/.test(d.reason))).toEqual([]);
    const leaked =
      moved.validation!.auc > 0.9 || moved.dropped.some((d) => /copy of the label/.test(d.reason));
    expect(leaked).toBe(true);
  });
});
