// A label column inside a customers/CRM export trains the supplied-outcome propensity model through
// Ingest → BuildFeatures → Fit → Score → Validate: a telco-like file (Churn=Yes/No, configured) and a
// bank-marketing-like one (y=yes/no, found by its name). The label is never a feature nor a driver,
// unlabelled rows are scored but not trained on, and CRM columns recorded only after the outcome
// (churn reason, cancellation date, a login date past the cut) are dropped with a warning naming them.
import { describe, expect, it } from 'vitest';
import { loadPredictiveScores } from '../../../lib/pipeline/predictive.js';
import { renderRunReport } from '../../../lib/pipeline/report-model.js';
import type { RunSummary } from '../../../lib/pipeline/summary.js';
import { decodeColumns } from '../../../lib/storage/columnar.js';
import { bankCsv, runInMemory, telcoCsv } from '../../support/predictive.js';

const AS_OF = '2026-10-01T00:00:00.000Z';
const AS_OF_MS = Date.parse(AS_OF);
const BASE_CONFIG = {
  asOf: AS_OF,
  shards: 2,
  segments: { kMin: 3, kMax: 3, nInit: 1 },
  validation: { bootstrapRuns: 0 },
  clv: { enabled: false },
};

const outcomeModel = (s: RunSummary) => s.models.propensity!.find((m) => m.target === 'outcome')!;

function expectMonotoneLift(model: ReturnType<typeof outcomeModel>): void {
  const [high, medium, low] = model.validation!.bands;
  expect(high.lift).toBeGreaterThan(medium.lift);
  expect(medium.lift).toBeGreaterThan(low.lift);
}

describe('telco-like CRM export with a configured Churn column', () => {
  it('trains on Churn=Yes with AUC >= 0.75 and monotone lift; the label is never a feature', async () => {
    // Prepare: 3,000 customers, 3 % of them with an empty or garbled Churn cell
    const { csv, churned } = telcoCsv({ customers: 3000, asOfMs: AS_OF_MS, unlabelledShare: 0.03 });
    // Act
    const { store, summary, ref } = await runInMemory([{ name: 'telco-customers.csv', text: csv }], {
      ...BASE_CONFIG,
      propensity: { label: { column: 'Churn', positive: ['Yes'], negative: ['No'] } },
    });
    // Assess: the model
    const m = outcomeModel(summary);
    expect(m.status, m.reason).toBe('fitted');
    expect(m.description).toBe('Supplied outcome "Churn = Yes"');
    expect(m.validation!.auc).toBeGreaterThanOrEqual(0.75);
    expectMonotoneLift(m);
    expect(m.features).toContain('crm_tenure');
    expect(m.features).toContain('crm_Contract=Month-to-month');
    const everything = [...m.features, ...m.drivers, ...m.dropped.map((d) => d.feature)].join(' ');
    expect(everything).not.toMatch(/churn/i);
    expect(summary.models.clusters.features.join(' ')).not.toMatch(/churn/i);
    expect(summary.featureDictionary.map((f) => f.name).join(' ')).not.toMatch(/churn/i);
    // unlabelled rows: counted, reported, not trained on, still scored
    const unlabelled = m.excluded!.unlabelled;
    expect(unlabelled).toBeGreaterThan(50);
    expect(unlabelled).toBeLessThan(150);
    expect(m.training.customers).toBe(3000 - unlabelled);
    expect(m.notes!.join(' ')).toContain(`${unlabelled} customer row(s) with an empty or unrecognised label`);
    expect(m.notes!.join(' ')).toContain('column "Churn" (positive: Yes), set in propensity.label');
    const file = summary.files[0];
    expect(file.kind).toBe('customers');
    expect(file.warnings.join(' ')).toMatch(/\d+ row\(s\) have an empty or unrecognised "Churn" label/);
    let scored = 0;
    for (let s = 0; s < ref.shardCount; s++) {
      const cols = (await loadPredictiveScores(store, ref, s))!;
      scored += (cols.customerId as string[]).length;
      const features = decodeColumns(
        await store.get(`runs/crm/r1/shards/${String(s).padStart(5, '0')}/features.bin`),
      );
      expect(Object.keys(features.columns).join(' ')).not.toMatch(/churn/i);
    }
    expect(scored).toBe(churned.size);
    // the band groups are published like segments
    expect(summary.groups!.map((g) => g.id)).toEqual([
      'prop-outcome-high',
      'prop-outcome-medium',
      'prop-outcome-low',
    ]);
  }, 60_000);

  it('drops columns recorded only when a customer leaves (churn reason, cancellation date), naming them', async () => {
    // Prepare
    const { csv } = telcoCsv({ customers: 2000, asOfMs: AS_OF_MS, afterOutcomeColumns: true });
    // Act
    const { summary } = await runInMemory([{ name: 'telco-customers.csv', text: csv }], {
      ...BASE_CONFIG,
      propensity: { label: { column: 'Churn', positive: ['Yes'] } },
    });
    // Assess: both leaks caught by the missingness screen, the honest model still fits
    const m = outcomeModel(summary);
    expect(m.status).toBe('fitted');
    const dropped = Object.fromEntries(m.dropped.map((d) => [d.feature, d.reason]));
    expect(dropped.crm_cancellation_date_daysAgo).toMatch(/filled for 100 % of positive and 0 % of negative/);
    expect(dropped.crm_churn_reason).toMatch(/known only after the outcome/);
    expect(m.features.join(' ')).not.toMatch(/cancellation|churn_reason/);
    expect(m.warnings.join(' ')).toContain('(column "cancellation_date") was dropped');
    expect(m.validation!.auc).toBeGreaterThanOrEqual(0.75);
    expect(m.validation!.auc).toBeLessThan(0.95);
    // and the report says so
    const html = renderRunReport(summary);
    expect(html).toContain('<h3>Features left out</h3>');
    expect(html).toContain('crm_cancellation_date_daysAgo');
  }, 60_000);

  it('with a dated label, takes features as of the earliest churn date and drops dates past that cut', async () => {
    // Prepare: churn_date dates the label; last_login is refreshed up to the export day for stayers
    const { csv } = telcoCsv({ customers: 2000, asOfMs: AS_OF_MS, dated: true });
    // Act
    const { summary } = await runInMemory([{ name: 'telco-customers.csv', text: csv }], {
      ...BASE_CONFIG,
      propensity: { label: { column: 'Churn', positive: ['Yes'], dateColumn: 'churn_date' } },
    });
    // Assess
    const m = outcomeModel(summary);
    expect(m.status).toBe('fitted');
    const cut = Date.parse(m.featuresAsOf!);
    expect(cut).toBeLessThan(AS_OF_MS);
    expect(cut).toBeGreaterThanOrEqual(AS_OF_MS - 121 * 86_400_000);
    expect(m.notes!.join(' ')).toContain('(the earliest outcome date): only events before it count');
    const dropped = m.dropped.find((d) => d.feature === 'crm_last_login_daysAgo');
    expect(dropped?.reason).toMatch(/of its 2000 dates fall after the point in time/);
    expect(m.features.join(' ')).not.toMatch(/churn|last_login/i);
    expect(m.validation!.auc).toBeGreaterThanOrEqual(0.75);
  }, 60_000);
});

describe('too few labelled customers', () => {
  it('skips the supplied-outcome model and says why, with the counts and the minimums', async () => {
    // Prepare: 200 customers, about 55 of them churners, below the default minimum of 100
    const { csv } = telcoCsv({ customers: 200, asOfMs: AS_OF_MS });
    // Act
    const { summary } = await runInMemory([{ name: 'telco-customers.csv', text: csv }], BASE_CONFIG);
    // Assess
    const m = outcomeModel(summary);
    expect(m.status).toBe('skipped');
    expect(m.reason).toMatch(
      /^Not enough data to train "Supplied outcome "Churn"": \d+ positive and \d+ negative customers, the minimum is 100 and 100/,
    );
    expect(m.reason).toContain('Supply labels for more customers');
    expect(summary.groups!.some((g) => g.id.startsWith('prop-outcome'))).toBe(false);
  }, 60_000);
});

describe('bank-marketing-like export with a y column found by its name', () => {
  it('detects y as the label (with a note), trains on y=yes and keeps y out of the features', async () => {
    // Prepare
    const csv = bankCsv(3000);
    // Act
    const { summary } = await runInMemory([{ name: 'bank-full.csv', text: csv }], BASE_CONFIG);
    // Assess
    const file = summary.files[0];
    expect(file.kind).toBe('customers');
    expect(file.warnings.join(' ')).toContain('column "y" is the propensity label');
    const m = outcomeModel(summary);
    expect(m.status, m.reason).toBe('fitted');
    expect(m.notes!.join(' ')).toContain('column "y" (positive:');
    expect(m.notes!.join(' ')).toContain('found by its name');
    expect(m.validation!.auc).toBeGreaterThanOrEqual(0.75);
    expectMonotoneLift(m);
    expect(m.features).toContain('crm_poutcome=success');
    expect(m.features.some((f) => f === 'crm_y' || f.startsWith('crm_y='))).toBe(false);
    expect(m.drivers[0]).toMatch(/poutcome = success makes the outcome more likely/);
  }, 60_000);

  it('never clusters on the label when propensity is off', async () => {
    // Act
    const { summary } = await runInMemory([{ name: 'bank-full.csv', text: bankCsv(600) }], {
      ...BASE_CONFIG,
      propensity: { enabled: false },
    });
    // Assess
    expect(summary.models.propensity).toEqual([]);
    expect(summary.files[0].warnings.join(' ')).toContain('column "y" looks like an outcome label');
    expect(summary.featureDictionary.some((f) => /^crm_y(=|$)/.test(f.name))).toBe(false);
  }, 60_000);

  it('keeps y an ordinary column when detection is off and no label is configured', async () => {
    // Act
    const { summary } = await runInMemory([{ name: 'bank-full.csv', text: bankCsv(600) }], {
      ...BASE_CONFIG,
      propensity: { detectLabel: false },
    });
    // Assess
    expect(summary.models.propensity!.some((m) => m.target === 'outcome')).toBe(false);
    expect(summary.files[0].warnings.join(' ')).not.toContain('propensity label');
  }, 60_000);
});
