// Score evaluation and banding, each checked against an O(n²) or enumerate-everything brute force
// on data with plenty of ties (ties are where such metrics usually go wrong).

import { describe, expect, it } from 'vitest';
import {
  applyBands,
  assignBands,
  brierScore,
  calibrationTable,
  EvaluationInputError,
  liftAtTopFraction,
  percentileRanks,
  rocAuc,
  sortInPlace,
} from '../../../lib/models/evaluation.js';
import { createRandom } from '../../../lib/util/random.js';

/** The share of (positive, negative) pairs the positive outranks, ties counted half: AUC by definition. */
function pairwiseWinRate(scores: Float64Array, labels: Uint8Array): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

function tiedData(n: number, seed: number, levels = 20) {
  const random = createRandom(seed);
  const scores = new Float64Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    scores[i] = Math.floor(random.next() * levels) / levels; // many exact ties
    labels[i] = random.next() < 0.2 + 0.6 * scores[i] ? 1 : 0;
  }
  return { scores, labels };
}

function* permutations(n: number): Generator<number[]> {
  const p = Array.from({ length: n }, (_, i) => i);
  const c = new Array<number>(n).fill(0);
  yield p.slice();
  let i = 0;
  while (i < n) {
    if (c[i] < i) {
      const j = i % 2 === 0 ? 0 : c[i];
      [p[j], p[i]] = [p[i], p[j]];
      yield p.slice();
      c[i]++;
      i = 0;
    } else {
      c[i] = 0;
      i++;
    }
  }
}

describe('rocAuc', () => {
  it('equals the pairwise win rate with ties counted half', () => {
    // Prepare
    const { scores, labels } = tiedData(700, 1);
    const winRate = pairwiseWinRate(scores, labels);
    // Act
    const auc = rocAuc(scores, labels);
    // Assess
    expect(auc).toBeCloseTo(winRate, 12);
    expect(auc).toBeGreaterThan(0.6);
  });

  it('is 1 for a perfect ranking, 0.5 for constant scores, NaN with one class, and accepts 0/1 floats', () => {
    // Act / Assess
    expect(rocAuc(Float64Array.of(0.1, 0.2, 0.8, 0.9), Uint8Array.of(0, 0, 1, 1))).toBe(1);
    expect(rocAuc(Float64Array.of(0.3, 0.3, 0.3), Float64Array.of(0, 1, 0))).toBe(0.5);
    expect(rocAuc(Float64Array.of(0.3, 0.4), Uint8Array.of(1, 1))).toBeNaN();
    expect(() => rocAuc(Float64Array.of(Number.NaN, 1), Uint8Array.of(0, 1))).toThrow(EvaluationInputError);
    expect(() => rocAuc(Float64Array.of(0.1), Uint8Array.of(0, 1))).toThrow(/1 scores but 2 labels/);
  });
});

describe('sortInPlace (radix sort from 4,096 values)', () => {
  it('sorts as the native typed-array sort does: negatives, ±0, ties, infinities, subnormals', () => {
    // Prepare
    const random = createRandom(41);
    const specials = [0, -0, Infinity, -Infinity, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE];
    const values = Float64Array.from({ length: 20_000 }, (_, i) =>
      i % 50 === 0
        ? specials[(i / 50) % specials.length]
        : i % 3 === 0
          ? Math.round(random.normal() * 4)
          : random.normal() * 10 ** Math.floor(random.next() * 12 - 6),
    );
    const expected = Float64Array.from(values).sort();
    // Act
    const sorted = sortInPlace(Float64Array.from(values));
    // Assess: Object.is tells −0 from +0
    expect(Array.from(sorted).every((v, i) => Object.is(v, expected[i]))).toBe(true);
  });

  it('keeps rocAuc equal to the pairwise win rate on 6,000 tied scores', () => {
    // Prepare
    const { scores, labels } = tiedData(6000, 12, 40);
    const winRate = pairwiseWinRate(scores, labels);
    // Act / Assess
    expect(rocAuc(scores, labels)).toBeCloseTo(winRate, 12);
  });
});

describe('liftAtTopFraction', () => {
  it('equals the average over every tie-breaking order (exhaustive on 8 customers)', () => {
    // Prepare
    const scores = Float64Array.of(0.9, 0.7, 0.7, 0.7, 0.5, 0.5, 0.2, 0.1);
    const labels = Uint8Array.of(1, 1, 0, 0, 1, 0, 0, 1);
    const n = scores.length;
    for (const fraction of [0.1, 0.25, 0.3, 0.5, 0.75, 1]) {
      const k = Math.ceil(fraction * n);
      let total = 0;
      let orders = 0;
      for (const perm of permutations(n)) {
        // Stable sort of a shuffled order breaks ties uniformly at random over all permutations.
        const ranked = perm.slice().sort((a, b) => scores[b] - scores[a]);
        let captured = 0;
        for (let r = 0; r < k; r++) captured += labels[ranked[r]];
        total += captured / k / (4 / n);
        orders++;
      }
      // Act
      const lift = liftAtTopFraction(scores, labels, fraction);
      // Assess
      expect(lift).toBeCloseTo(total / orders, 12);
    }
  });

  it('matches a plain sort-and-count when scores are distinct, default fraction 10%', () => {
    // Prepare
    const random = createRandom(9);
    const n = 1000;
    const scores = Float64Array.from({ length: n }, () => random.next());
    const labels = Uint8Array.from(scores, (s) => (random.next() < s * s ? 1 : 0));
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
    let top = 0;
    let all = 0;
    for (let r = 0; r < n; r++) {
      if (r < 100) top += labels[order[r]];
      all += labels[order[r]];
    }
    // Act
    const lift = liftAtTopFraction(scores, labels);
    // Assess
    expect(lift).toBeCloseTo(top / 100 / (all / n), 12);
    expect(lift).toBeGreaterThan(2);
  });
});

describe('brierScore and calibrationTable', () => {
  it('brier is the mean squared error', () => {
    // Prepare
    const { scores, labels } = tiedData(300, 2);
    let sum = 0;
    for (let i = 0; i < scores.length; i++) sum += (scores[i] - labels[i]) ** 2;
    // Act / Assess
    expect(brierScore(scores, labels)).toBeCloseTo(sum / scores.length, 14);
    expect(brierScore(Float64Array.of(0.5, 0.5), Uint8Array.of(0, 1))).toBe(0.25);
  });

  it('bins agree with filtering each bin by hand; empty bins are kept with NaN means', () => {
    // Prepare
    const random = createRandom(4);
    const n = 500;
    const scores = Float64Array.from({ length: n }, () => 0.3 + 0.7 * random.next());
    scores[0] = 1; // the top edge belongs to the last bin
    const labels = Uint8Array.from(scores, (s) => (random.next() < s ? 1 : 0));
    // Act
    const table = calibrationTable(scores, labels, 5);
    // Assess
    expect(table).toHaveLength(5);
    expect(table[0]).toMatchObject({ binLow: 0, binHigh: 0.2, count: 0 });
    expect(table[0].meanPredicted).toBeNaN();
    let counted = 0;
    for (const bin of table) {
      const members = [...scores.keys()].filter((i) =>
        bin.binHigh === 1 ? scores[i] >= bin.binLow : scores[i] >= bin.binLow && scores[i] < bin.binHigh,
      );
      counted += members.length;
      expect(bin.count).toBe(members.length);
      if (members.length === 0) continue;
      const meanScore = members.reduce((s, i) => s + scores[i], 0) / members.length;
      const rate = members.reduce((s, i) => s + labels[i], 0) / members.length;
      expect(bin.meanPredicted).toBeCloseTo(meanScore, 12);
      expect(bin.observedRate).toBeCloseTo(rate, 12);
    }
    expect(counted).toBe(n);
    expect(() => calibrationTable(Float64Array.of(1.2), Uint8Array.of(1))).toThrow(/\[0, 1\]/);
  });
});

describe('assignBands and percentileRanks', () => {
  it('with distinct scores, bands are exactly 20% / 30% / 50% of customers by rank', () => {
    // Prepare
    const random = createRandom(12);
    const n = 1000;
    const scores = Float64Array.from({ length: n }, () => random.next());
    const rank = new Int32Array(n); // 0 = highest
    Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => scores[b] - scores[a])
      .forEach((i, r) => {
        rank[i] = r;
      });
    // Act
    const { bands, thresholds, counts } = assignBands(scores, { high: 0.2, medium: 0.3 });
    // Assess
    expect(counts).toEqual({ high: 200, medium: 300, low: 500 });
    for (let i = 0; i < n; i++) expect(bands[i]).toBe(rank[i] < 200 ? 2 : rank[i] < 500 ? 1 : 0);
    expect(thresholds.high).toBeGreaterThan(thresholds.medium);
    expect(applyBands(scores, thresholds)).toEqual(bands);
  });

  it('never splits ties: a customer is high iff at most round(0.2n) customers score strictly above the cut', () => {
    // Prepare
    const { scores } = tiedData(400, 6, 7);
    const n = scores.length;
    // Act
    const { bands, thresholds } = assignBands(scores);
    // Assess: brute force via "how many customers score at least as high as me".
    const kHigh = Math.round(0.2 * n);
    const kMedium = Math.round(0.5 * n);
    for (let i = 0; i < n; i++) {
      let strictlyHigher = 0;
      for (let j = 0; j < n; j++) if (scores[j] > scores[i]) strictlyHigher++;
      const expected = strictlyHigher < kHigh ? 2 : strictlyHigher < kMedium ? 1 : 0;
      expect(bands[i]).toBe(expected);
    }
    expect(applyBands(Float64Array.of(thresholds.high, thresholds.medium, -1), thresholds)).toEqual(
      Uint8Array.of(2, 1, 0),
    );
    expect(() => assignBands(scores, { high: 0.7, medium: 0.5 })).toThrow(/at most 1/);
  });

  it('percentile ranks equal the tie-averaged rank scaled to 0..100', () => {
    // Prepare
    const { scores } = tiedData(250, 8, 15);
    const n = scores.length;
    // Act
    const pct = percentileRanks(scores);
    // Assess
    let min = 100;
    let max = 0;
    for (let i = 0; i < n; i++) {
      let less = 0;
      let equal = 0;
      for (let j = 0; j < n; j++) {
        if (scores[j] < scores[i]) less++;
        else if (scores[j] === scores[i]) equal++;
      }
      const averageRank = less + (equal + 1) / 2; // 1-based
      expect(pct[i]).toBeCloseTo((100 * (averageRank - 1)) / (n - 1), 10);
      min = Math.min(min, pct[i]);
      max = Math.max(max, pct[i]);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(100);
    expect(percentileRanks(Float64Array.of(3, 1, 2))).toEqual(Float64Array.of(100, 0, 50));
    expect(percentileRanks(Float64Array.of(7))).toEqual(Float64Array.of(50));
  });
});
