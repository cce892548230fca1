// The report's lookalike section: seeds given and matched, audience size at the top X %, held-out seed
// recall with its curve as a figure with the numbers behind it, one plain sentence; absent without seeds;
// and the propensity section's notes and left-out features (leakage screens).
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../lib/report/html.js';
import type { ReportModel } from '../../../lib/report/model.js';

const NBSP = '\u00a0';

function base(): ReportModel {
  return {
    dataset: 'shop',
    runId: 'run-1',
    asOf: '2026-11-21',
    currency: 'USD',
    ingest: { rowsRead: 1000, rowsAccepted: 1000, rowsRejected: 0, rejectionReasons: [] },
    customers: 5000,
    segments: [{ id: 'a', name: 'Alpha', description: 'All.', size: 5000 }],
  };
}

const CURVE = [1, 2, 5, 10, 20, 50, 100].map((topPercent) => ({
  topPercent,
  recall: Math.min(1, (topPercent / 100) ** 0.4),
}));

describe('report: lookalike section', () => {
  it('shows seeds given and matched, the audience, held-out recall, the curve and a sentence', () => {
    // Prepare
    const model: ReportModel = {
      ...base(),
      lookalike: {
        seedsGiven: 1200,
        seedsMatched: 1100,
        topPercent: 10,
        audienceSize: 390,
        heldOutSeeds: 220,
        recallAtTop: 0.398,
        recall: CURVE,
      },
    };
    // Act
    const html = renderReport(model);
    // Assess
    const section = html.slice(
      html.indexOf('<section id="lookalike"'),
      html.indexOf('</section>', html.indexOf('<section id="lookalike"')),
    );
    expect(html).toContain('<a href="#lookalike">');
    expect(section).toContain('1,200 seeds given');
    expect(section).toContain('1,100 found among the customers (excluded from the audience)');
    expect(section).toContain(`audience: 390 customers (top 10${NBSP}%)`);
    expect(section).toContain(`39.8${NBSP}% of 220 held-out seeds inside the top 10${NBSP}%`);
    expect(section).toContain(
      `To check the ranking, 220 seeds were kept out of training: 39.8${NBSP}% of them rank inside the top 10${NBSP}%, where a random audience of the same size would hold 10${NBSP}%.`,
    );
    expect(section).toContain('id="fig-lookalike-recall"');
    expect(section).toMatch(/<svg[^>]*aria-labelledby/);
    // the table behind the chart: one row per point, recall next to the random baseline
    const rows = [
      ...section.matchAll(/<tr><td[^>]*>([^<]+)<\/td><td[^>]*>([^<]+)<\/td><td[^>]*>([^<]+)<\/td><\/tr>/g),
    ];
    expect(rows.map((r) => r[1])).toEqual(CURVE.map((c) => `${c.topPercent}${NBSP}%`));
    expect(rows[3].slice(2)).toEqual([`39.8${NBSP}%`, `10.0${NBSP}%`]);
  });

  it('explains a skipped lookalike instead of drawing an audience', () => {
    // Prepare
    const model: ReportModel = {
      ...base(),
      lookalike: {
        seedsGiven: 8,
        seedsMatched: 8,
        topPercent: 10,
        reason: 'Not enough data to train: 8 seed and 4000 other customers, the minimum is 20 and 100.',
      },
    };
    // Act
    const html = renderReport(model);
    // Assess
    expect(html).toContain('<section id="lookalike"');
    expect(html).toContain('No lookalike audience was built. Not enough data to train: 8 seed');
    expect(html).not.toContain('fig-lookalike-recall');
  });

  it('has no lookalike section when the dataset has no seeds', () => {
    // Act
    const html = renderReport(base());
    // Assess
    expect(html).not.toContain('<section id="lookalike"');
    expect(html).not.toContain('href="#lookalike"');
  });
});

describe('report: propensity notes and left-out features', () => {
  it('lists where the labels came from and the features dropped by the leakage screens', () => {
    // Prepare
    const model: ReportModel = {
      ...base(),
      propensity: {
        target: 'Supplied outcome "Churn = Yes"',
        baseRate: 0.26,
        auc: 0.81,
        deciles: [{ decile: 1, customers: 100, rate: 0.6 }],
        calibration: [{ predicted: 0.3, observed: 0.28, customers: 100 }],
        notes: ['Labels from crm.csv: column "Churn" (positive: yes), set in propensity.label.'],
        dropped: [
          {
            feature: 'crm_churn_reason=Price',
            reason: 'it is filled for 100 % of positive and 0 % of negative customers',
          },
        ],
      },
    };
    // Act
    const html = renderReport(model);
    // Assess
    expect(html).toContain('Labels from crm.csv: column &quot;Churn&quot;');
    expect(html).toContain('<h3>Features left out</h3>');
    expect(html).toContain('crm_churn_reason=Price');
    expect(html).toContain('it is filled for 100 % of positive');
  });
});
