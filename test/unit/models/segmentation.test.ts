import { describe, expect, it } from 'vitest';
import { ARCHETYPES, DEFAULT_END_MS, generate } from '../../../events/data/generate.js';
import { computeFeatures, selectSample, summariseFeatures } from '../../../lib/features/build.js';
import type { TransactionColumns } from '../../../lib/features/transactions.js';
import { adjustedRandIndex } from '../../../lib/models/metrics.js';
import { RFM_GROUPS } from '../../../lib/models/rfm.js';
import { assignSegments, fitSegmentation } from '../../../lib/models/segmentation.js';

/** Planted archetypes straight from the generator (with CRM attributes), no files in between. */
function planted(customers: number) {
  const tx: TransactionColumns & { category: string[]; channel: string[] } = {
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
  const truth = new Map<string, number>();
  const crm = {
    customerId: [] as string[],
    attributes: { country: [] as string[], signup_date: [] as string[] },
  };
  generate(
    { customers, seed: 11 },
    (o) => {
      tx.customerId.push(o.customerId);
      tx.orderId.push(o.orderId);
      tx.eventType.push('');
      tx.category.push(o.category);
      tx.channel.push(o.channel);
      t.push(o.timeMs);
      amount.push(Math.abs(o.total));
      discount.push(o.discount);
      ret.push(o.status === 'refunded' ? 1 : 0);
    },
    (c) => {
      truth.set(c.customerId, ARCHETYPES.indexOf(c.archetype));
      crm.customerId.push(c.customerId);
      crm.attributes.country.push(c.country);
      crm.attributes.signup_date.push(new Date(c.signupMs).toISOString().slice(0, 10));
    },
  );
  tx.timestampMs = Float64Array.from(t);
  tx.amount = Float64Array.from(amount);
  tx.discount = Float64Array.from(discount);
  tx.isReturn = Uint8Array.from(ret);
  return { tx, truth, crm };
}

describe('segmentation on planted archetypes', () => {
  it('recovers them (adjusted Rand index ≥ 0.9) with every new profile feature and CRM attribute present', () => {
    // Prepare
    const { tx, truth, crm } = planted(2500);
    const features = computeFeatures(tx, DEFAULT_END_MS + 1, { windowsDays: [30, 90, 365], customers: crm });
    // Act
    const model = fitSegmentation([summariseFeatures(features)], [selectSample(features, 50_000, 42)], {
      kMin: 3,
      kMax: 5,
      nInit: 4,
      seed: 42,
      sampleSize: 50_000,
    });
    const { labels } = assignSegments(features, model);
    const ari = adjustedRandIndex(
      features.customerId.map((id) => truth.get(id)!),
      labels,
    );
    // Assess
    expect(model.k).toBe(5);
    expect(model.choice.reason).toMatch(/silhouette/);
    expect(ari).toBeGreaterThanOrEqual(0.9);
    // CRM and windowed features describe; they do not shape the clusters
    expect(model.features).toEqual([
      'recencyDays',
      'frequency',
      'monetary',
      'avgOrderValue',
      'tenureDays',
      'discountShare',
    ]);
    expect(model.allFeatures).toEqual(
      expect.arrayContaining(['orders30d', 'crm_signup_date_daysAgo', 'crm_country=US']),
    );
    expect(model.rfm?.recencyCuts).toHaveLength(4);
    expect(RFM_GROUPS).toHaveLength(11);
  });
});
