// CLV through the pipeline's data path: per-shard histories and spend pairs, merged in Fit, must give
// the published CDNOW parameters exactly, whatever the number of shards.
import { describe, expect, it } from 'vitest';
import { calibrationEndDay, computeClvInputs } from '../../../lib/features/clv-inputs.js';
import { fitBgNbd } from '../../../lib/models/clv.js';
import {
  countedHistories,
  expandHistories,
  fitClvModel,
  mergeClvHistories,
  scoreClvCustomers,
} from '../../../lib/models/clv-pipeline.js';
import { fnv1a32 } from '../../../lib/util/hash.js';
import {
  cdnowTransactions,
  filterRows,
  GENERATED_END_MS,
  generatedTransactions,
} from '../../support/predictive.js';

const SETTINGS = {
  enabled: true,
  calibrationEnd: '1997-09-30',
  periodDays: 7,
  horizonPeriods: 52,
  discountRatePerPeriod: 0,
  maxSpendCustomers: 200_000,
  penalizer: 0,
};

describe('CLV fitted on merged shard histories (CDNOW)', () => {
  // Prepare (shared)
  const tx = cdnowTransactions();
  const asOfMs = Date.UTC(1998, 6, 1);
  const endDay = calibrationEndDay(SETTINGS.calibrationEnd, asOfMs);
  const inputsFor = (shards: number) =>
    Array.from({ length: shards }, (_, s) =>
      computeClvInputs(
        filterRows(tx, (id) => fnv1a32(id) % shards === s),
        { asOfMs, endDay, periodDays: 7 },
      ),
    );

  it('reproduces r, alpha, a, b (LL -9582.4) and p, q, gamma from four shards', () => {
    // Act
    const shards = inputsFor(4);
    const model = fitClvModel(
      shards.map((s) => s.histories),
      shards.map((s) => s.spend),
      SETTINGS,
    );
    // Assess
    expect(model.status).toBe('fitted');
    const p = model.params!;
    expect([p.r.toFixed(3), p.alpha.toFixed(3), p.a.toFixed(3), p.b.toFixed(3)]).toEqual([
      '0.243',
      '4.414',
      '0.793',
      '2.426',
    ]);
    expect(model.bgNbd!.logLikelihood.toFixed(1)).toBe('-9582.4');
    expect(model.bgNbd!.customers).toBe(2357);
    expect(model.bgNbd!.repeatTransactions).toBe(2457);
    expect([p.p.toFixed(2), p.q.toFixed(2), p.gamma.toFixed(2)]).toEqual(['6.25', '3.74', '15.44']);
    expect(model.gammaGamma!.customers).toBe(946);
    expect(model.calibrationEnd).toBe('1997-09-30');
    expect(model.warnings).toEqual([]);
  });

  it('gives the same parameters for one shard and for seven', () => {
    // Act
    const paramsFor = (n: number) => {
      const shards = inputsFor(n);
      return fitClvModel(
        shards.map((s) => s.histories),
        shards.map((s) => s.spend),
        SETTINGS,
      ).params!;
    };
    const one = paramsFor(1);
    const seven = paramsFor(7);
    // Assess
    expect(mergeClvHistories(inputsFor(7).map((s) => s.histories)).histories).toEqual(
      inputsFor(1)[0].histories.histories,
    );
    for (const k of ['r', 'alpha', 'a', 'b', 'p', 'q', 'gamma'] as const)
      expect(seven[k]).toBeCloseTo(one[k], 9);
  });

  it('fits the merged histogram of distinct histories to the last bit of the per-customer fit', () => {
    // Prepare: 2,357 customers, far fewer distinct (x, t_x, T)
    const merged = mergeClvHistories(inputsFor(7).map((s) => s.histories));
    const perCustomer = expandHistories(merged, 7);
    const counted = countedHistories(merged, 7);
    // Act
    const expanded = fitBgNbd(perCustomer.x, perCustomer.tx, perCustomer.T);
    const histogram = fitBgNbd(counted.x, counted.tx, counted.T, { counts: counted.count });
    // Assess
    expect(counted.x.length).toBeLessThan(perCustomer.x.length / 2);
    expect(histogram).toEqual(expanded);
    expect(() => fitBgNbd(counted.x.reverse(), counted.tx, counted.T, { counts: counted.count })).toThrow(
      /ascending/,
    );
  });

  it('scores customer 0001 (x = 2, t_x = 213/7, T = 272/7) with P(alive) in (0, 1) and a positive value', () => {
    // Prepare
    const [shard] = inputsFor(1);
    const model = fitClvModel([shard.histories], [shard.spend], SETTINGS);
    // Act
    const scored = scoreClvCustomers(model, shard.customers)!;
    // Assess
    const row = (shard.customers.customerId as string[]).indexOf('0001');
    expect((shard.customers.x as Float64Array)[row]).toBe(2);
    expect((shard.customers.tx as Float64Array)[row]).toBeCloseTo(213 / 7, 12);
    expect((shard.customers.T as Float64Array)[row]).toBeCloseTo(272 / 7, 12);
    expect(scored.probabilityAlive[row]).toBeGreaterThan(0);
    expect(scored.probabilityAlive[row]).toBeLessThan(1);
    expect(scored.clv[row]).toBeGreaterThan(0);
  });

  it('skips with a reason when nobody made a repeat purchase', () => {
    // Prepare: only each customer's first purchase day
    const firstOnly = computeClvInputs(tx, {
      asOfMs,
      endDay: Date.UTC(1997, 0, 1) / 86_400_000,
      periodDays: 7,
    });
    // Act
    const model = fitClvModel([firstOnly.histories], [firstOnly.spend], SETTINGS);
    // Assess
    expect(model.status).toBe('skipped');
    expect(model.reason).toMatch(/CLV was not fitted: .*repeat purchases/);
  });
});

describe('CLV on data where nobody seems to lapse (generated archetypes)', () => {
  it('refits with a light penalty when the exact fit runs to the boundary, and says so', () => {
    // Prepare: the exact fit sends a and b to ~1e5–1e7, where E[Y] overflows
    const { tx } = generatedTransactions(3000, 7);
    const asOfMs = GENERATED_END_MS + 1;
    const inputs = computeClvInputs(tx, {
      asOfMs,
      endDay: calibrationEndDay(undefined, asOfMs),
      periodDays: 7,
    });
    // Act
    const model = fitClvModel([inputs.histories], [inputs.spend], { ...SETTINGS, calibrationEnd: undefined });
    const scored = scoreClvCustomers(model, inputs.customers)!;
    // Assess
    expect(model.status).toBe('fitted');
    expect(model.warnings.join(' ')).toMatch(/ran to the boundary .* refitted with penalizer 0.0001/);
    expect(model.params!.a).toBeLessThan(100);
    expect(scored.clv.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
  });
});
