// Predictive models through the whole local state machine on real data: the CDNOW sample with the
// committed config must reproduce the published BG/NBD and Gamma-Gamma parameters, memberships carry
// the scores, bands become segments, and a target with too few positives says why it was skipped. A
// telco-like CRM export with a Churn column trains the supplied-outcome model through the same machine.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../infra/local/environment.js';
import { type LocalRunResult, runLocal } from '../../infra/local/runner.js';
import { localEnvironment, parseCsv, readText } from '../support/local.js';
import { findCdnow, telcoCsv } from '../support/predictive.js';

let env: LocalEnvironment;
let result: LocalRunResult;

beforeAll(async () => {
  // Prepare: the committed CDNOW config, plus a second target too rare to train on
  const committed = JSON.parse(readFileSync('events/config/cdnow.json', 'utf8'));
  env = await localEnvironment();
  result = await runLocal(env, [{ path: findCdnow(), name: 'CDNOW_sample.txt' }], {
    dataset: 'cdnow',
    config: {
      ...committed,
      shards: 3,
      propensity: {
        targets: [
          { name: 'purchase', kind: 'purchase', windowDays: 30 },
          { name: 'next-day', kind: 'purchase', windowDays: 1 },
        ],
      },
      destinations: { crm: { type: 'file', segments: ['prop-purchase-high'] } },
    },
  });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

describe('predictive models on CDNOW through the local pipeline', () => {
  it('reproduces the published CLV parameters to the printed precision (3 shards)', () => {
    // Assess
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const clv = result.summary!.models.clv!;
    expect(clv.status).toBe('fitted');
    const p = clv.params!;
    expect([p.r, p.alpha, p.a, p.b].map((v) => v.toFixed(3))).toEqual(['0.243', '4.414', '0.793', '2.426']);
    expect(clv.logLikelihood!.toFixed(1)).toBe('-9582.4');
    expect([p.p, p.q, p.gamma].map((v) => v.toFixed(2))).toEqual(['6.25', '3.74', '15.44']);
    expect(clv.customers).toBe(2357);
  });

  it('trains the 30-day purchase propensity and explains why the 1-day target was skipped', () => {
    // Assess
    const [purchase, nextDay] = result.summary!.models.propensity!;
    expect(purchase.status).toBe('fitted');
    expect(purchase.validation!.auc).toBeGreaterThan(0.7);
    const [high, medium, low] = purchase.validation!.bands;
    expect(high.rate).toBeGreaterThan(medium.rate);
    expect(medium.rate).toBeGreaterThan(low.rate);
    expect(purchase.drivers.length).toBeGreaterThan(0);
    expect(nextDay.status).toBe('skipped');
    expect(nextDay.reason).toMatch(/Not enough data to train "Purchase in the next 1 days": \d+ positive/);
  });

  it('gives memberships a score, band, percentile, CLV and P(alive), one row per customer', async () => {
    // Act
    const rows = parseCsv(await readText(env, 'exports/cdnow/latest/memberships.csv'));
    // Assess
    expect(rows).toHaveLength(2357);
    const first = rows.find((r) => r.customer_id === '0001')!;
    expect(['high', 'medium', 'low']).toContain(first.band);
    expect(Number(first.score)).toBeGreaterThan(0);
    expect(Number(first.percentile)).toBeGreaterThanOrEqual(0);
    expect(Number(first.clv)).toBeGreaterThan(0);
    expect(Number(first.p_alive)).toBeGreaterThan(0);
    expect(Number(first.p_alive)).toBeLessThanOrEqual(1);
    const bands = new Map<string, number>();
    for (const r of rows) bands.set(r.band, (bands.get(r.band) ?? 0) + 1);
    expect(bands.get('high')! / rows.length).toBeCloseTo(0.2, 1);
    // the same attributes on the customer's DynamoDB membership item (still one item per customer)
    const { DynamoSegmentStore } = await import('../../lib/storage/segment-store.js');
    const { createDocumentClient } = await import('../../lib/storage/clients.js');
    const store = new DynamoSegmentStore(createDocumentClient(), {
      catalog: process.env.CATALOG_TABLE!,
      memberships: process.env.MEMBERSHIPS_TABLE!,
      runs: process.env.RUNS_TABLE!,
    });
    const items = await store.customerSegments('cdnow', '0001');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ band: first.band, clv: expect.any(Number), pAlive: expect.any(Number) });
    expect(items[0].score).toBeCloseTo(Number(first.score), 2);
  });

  it('publishes the bands as segments next to the clusters, without renumbering them', async () => {
    // Assess
    const s = result.summary!;
    expect(s.segments.every((seg) => /^seg-\d+$/.test(seg.id))).toBe(true);
    const groups = s.groups!.map((g) => g.id);
    expect(groups).toEqual(['prop-purchase-high', 'prop-purchase-medium', 'prop-purchase-low']);
    const high = parseCsv(await readText(env, 'exports/cdnow/latest/segments/prop-purchase-high.csv'));
    expect(high).toHaveLength(s.groups![0].size);
    expect(s.audiences.map((a) => a.segment)).toContain('prop-purchase-high');
  });

  it('shows lift, calibration and CLV charts in the report', async () => {
    // Act
    const html = await readText(env, result.summary!.outputs.report);
    // Assess
    expect(html).toContain('fig-propensity-lift');
    expect(html).toContain('fig-propensity-calibration');
    expect(html).toContain('fig-clv-histogram');
  });
});

describe('a label column in a CRM export through the local pipeline', () => {
  let telco: LocalRunResult;

  beforeAll(async () => {
    // Prepare: a telco-like export whose Churn column is found by its name, with a churn reason that is
    // filled only for churners (recorded when they leave)
    const asOf = '2026-10-01T00:00:00.000Z';
    const { csv } = telcoCsv({ customers: 2500, asOfMs: Date.parse(asOf), afterOutcomeColumns: true });
    const path = join(mkdtempSync(join(tmpdir(), 'telco-')), 'telco-customers.csv');
    writeFileSync(path, csv);
    telco = await runLocal(env, [{ path, name: 'telco-customers.csv' }], {
      dataset: 'telco',
      config: { asOf, shards: 2, clv: { enabled: false } },
    });
  }, 180_000);

  it('trains Churn as the supplied outcome, drops the leaking columns and never uses the label', async () => {
    // Assess
    expect(telco.status, JSON.stringify(telco.error)).toBe('succeeded');
    const m = telco.summary!.models.propensity!.find((p) => p.target === 'outcome')!;
    expect(m.status, m.reason).toBe('fitted');
    expect(m.validation!.auc).toBeGreaterThanOrEqual(0.75);
    const [high, medium, low] = m.validation!.bands;
    expect(high.lift).toBeGreaterThan(medium.lift);
    expect(medium.lift).toBeGreaterThan(low.lift);
    expect(m.notes!.join(' ')).toContain('column "Churn"');
    expect(m.dropped.map((d) => d.feature)).toEqual(
      expect.arrayContaining(['crm_churn_reason', 'crm_cancellation_date_daysAgo']),
    );
    expect([...m.features, ...m.drivers].join(' ')).not.toMatch(/churn|cancellation/i);
    const html = await readText(env, telco.summary!.outputs.report);
    expect(html).toContain('Features left out');
    const rows = parseCsv(await readText(env, 'exports/telco/latest/memberships.csv'));
    expect(rows).toHaveLength(2500);
  });
});
