import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportModelError, renderReport } from '../../../lib/report/html.js';
import type { ReportModel } from '../../../lib/report/model.js';

const SAMPLE = resolve(import.meta.dirname, '../../../events/report/sample-model.json');

function sample(): ReportModel {
  return JSON.parse(readFileSync(SAMPLE, 'utf8')) as ReportModel;
}

/** The smallest model the pipeline can produce: overview and cards, nothing optional. */
function minimal(): ReportModel {
  return {
    dataset: 'shop',
    runId: 'run-1',
    asOf: '2026-11-21',
    currency: 'USD',
    ingest: { rowsRead: 1000, rowsAccepted: 990, rowsRejected: 10, rejectionReasons: [] },
    customers: 300,
    segments: [
      { id: 'a', name: 'Alpha', description: 'First.', size: 200 },
      { id: 'b', name: 'Beta', description: 'Second.', size: 100 },
    ],
  };
}

const OPTIONAL_SECTIONS = ['profiles', 'rfm', 'propensity', 'clv', 'history', 'features', 'config'];

describe('renderReport: sections follow the model', () => {
  it('renders every section of the sample model, in order, with a nav link each', () => {
    // Act
    const html = renderReport(sample());

    // Assess
    const ids = [...html.matchAll(/<section id="([a-z-]+)"/g)].map((m) => m[1]);
    expect(ids).toEqual(['overview', 'segments', ...OPTIONAL_SECTIONS]);
    for (const id of ids) expect(html).toContain(`<a href="#${id}">`);
    expect(html.match(/<article class="card"/g)).toHaveLength(5);
  });

  it('leaves out every optional section whose data is absent', () => {
    // Act
    const html = renderReport(minimal());

    // Assess
    for (const id of OPTIONAL_SECTIONS) {
      expect(html).not.toContain(`<section id="${id}"`);
      expect(html).not.toContain(`href="#${id}"`);
    }
    expect(html).toContain('<section id="overview"');
    expect(html).toContain('<section id="segments"');
    expect(html).not.toContain('Top rejection reasons');
    expect(html).not.toContain('<h4>Validation</h4>');
    expect(html).not.toContain('<h4>Destinations</h4>');
    expect(html).not.toContain('Held out');
    // Only the segment-size chart remains.
    expect(html.match(/<figure /g)).toHaveLength(1);
  });

  it('omits the history section on a first run and a stability chart with no stability figures', () => {
    // Prepare
    const first = sample();
    first.history = { pastRuns: [] };
    const noStability = sample();
    noStability.history = {
      pastRuns: noStability.history?.pastRuns.map(({ stability: _s, ...r }) => r) ?? [],
    };

    // Act
    const a = renderReport(first);
    const b = renderReport(noStability);

    // Assess
    expect(a).not.toContain('<section id="history"');
    expect(b).toContain('<section id="history"');
    expect(b).not.toContain('id="fig-history-stability"');
    expect(b).toContain('id="fig-history-sizes"');
  });

  it('draws a segment that is new in this run as a single point, and says so', () => {
    // Prepare
    const model = sample();
    for (const run of model.history?.pastRuns ?? []) delete run.segmentSizes['seg-new'];

    // Act
    const html = renderReport(model);
    const fig = html.slice(html.indexOf('<figure id="fig-history-sizes"'));
    const svg = fig.slice(0, fig.indexOf('</svg>'));

    // Assess
    expect(svg).toContain('New customers is new in this run.');
    expect(svg.match(/class="mark line"/g)).toHaveLength(5);
    expect(svg.match(/class="mark point"/g)).toHaveLength(4 * 4 + 1);
    expect(fig).toMatch(
      /<td>New customers<\/td><td class="num">—<\/td><td class="num">—<\/td><td class="num">—<\/td><td class="num">7,696<\/td>/,
    );
  });

  it('shows the overview figures formatted for people', () => {
    // Act
    const html = renderReport(sample());

    // Assess
    expect(html).toContain('<div class="tile-value">48,213</div>');
    expect(html).toContain('<div class="tile-value">612,480</div>');
    expect(html).toContain('<div class="tile-sub">99.7\u00a0% of rows read</div>');
    expect(html).toContain('6,912 · 14.3\u00a0%');
    expect(html).toContain('data as of <strong>21 Nov 2026</strong>');
    expect(html).toContain('mean $318');
    // Top 5 of 6 rejection reasons, largest first; the smallest is left out.
    expect(html).toContain('5 largest of 6 reasons');
    expect(html.indexOf('Customer id is missing')).toBeLessThan(html.indexOf('Amount is not a number'));
    expect(html).not.toContain('Email is not valid');
  });

  it('shows each card with validation verdicts and figures, holdout share and destinations', () => {
    // Act
    const html = renderReport(sample());
    const lapsed = html.slice(html.indexOf('<article class="card" id="seg-seg-lapsed"'));
    const card = lapsed.slice(0, lapsed.indexOf('</article>'));

    // Assess
    expect(card).toContain('<h3 id="seg-seg-lapsed-h">Lapsed</h3><span class="verdict warn">');
    expect(card).toContain('Former customers who have not ordered');
    expect(card).toContain('15.0\u00a0% · 2,064 customers');
    expect(card).toMatch(/Reachable with consent.*<span class="verdict warn">.*44\.0\u00a0%.*50\.0\u00a0%/);
    expect(card).toContain('<span class="status failed">failed</span> <strong>Win-back journey</strong>');
    expect(card).toContain('13,760 members');
    expect(card).toContain(
      'aria-labelledby="seg-seg-lapsed-profile-chart-title seg-seg-lapsed-profile-chart-desc"',
    );
  });

  it('lists failed or warning checks and failed destinations under "Needs attention", linked to the cards', () => {
    // Act
    const html = renderReport(sample());
    const box = html.slice(html.indexOf('<div class="callout attention"'));
    const items = box.slice(0, box.indexOf('</ul>')).match(/<li>.*<\/li>/g) ?? [];

    // Assess
    expect(items).toHaveLength(3);
    expect(items[0]).toContain(
      '<a href="#seg-seg-lapsed">Lapsed</a>: Reachable with consent 44.0\u00a0% (threshold 50.0\u00a0%)',
    );
    expect(items[1]).toContain('Win-back journey (Webhook (Braze)) was not published: HTTP 429');
    expect(items[2]).toContain('<a href="#seg-seg-new">New customers</a>: Stability 71.0\u00a0%');
    expect(renderReport(minimal())).not.toContain('Needs attention');
  });

  it('warns when the row accounting does not add up', () => {
    const model = minimal();
    model.ingest.rowsRejected = 5;
    expect(renderReport(model)).toContain('Row accounting does not add up');
    expect(renderReport(minimal())).not.toContain('Row accounting does not add up');
  });
});

describe('renderReport: charts are accessible figures with their numbers', () => {
  it('wraps every chart in a figure with caption, labelled SVG and a table behind it', () => {
    // Act
    const html = renderReport(sample());
    const figures = [...html.matchAll(/<figure id="[^"]+"[^>]*>([\s\S]*?)<\/figure>/g)].map((m) => m[1]);

    // Assess
    // sizes, 5 profiles, heatmap, RFM, lift, calibration, CLV, stability, sizes over runs
    expect(figures).toHaveLength(13);
    for (const f of figures) {
      expect(f).toMatch(/^<figcaption>[^<]+<\/figcaption>/m);
      const labelled = /<svg [^>]*role="img" aria-labelledby="([^ "]+) ([^ "]+)"/.exec(f);
      expect(labelled).not.toBeNull();
      expect(f).toContain(`<title id="${labelled?.[1]}">`);
      expect(f).toContain(`<desc id="${labelled?.[2]}">`);
      expect(f).toMatch(/<details><summary>[^<]+<\/summary>\s*<div class="table-wrap"><table/);
      expect(f).toMatch(/<tbody>\s*<tr>/);
    }
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('puts the heatmap cells and the table values in agreement', () => {
    // Act
    const html = renderReport(sample());
    const fig = html.slice(html.indexOf('<figure id="fig-profile-heatmap"'));
    const svg = fig.slice(0, fig.indexOf('</svg>'));

    // Assess: 10 features × 5 segments, and the strongest signal named in the text alternative.
    expect(svg.match(/class="mark cell"/g)).toHaveLength(50);
    expect(svg).toContain('The strongest difference is Orders in last 90 days in Lapsed at index 14.');
    expect(fig).toMatch(
      /<td>Spend in Oct–Dec<\/td><td class="num">88<\/td><td class="num">96<\/td><td class="num">318<\/td>/,
    );
  });

  it('computes lift from decile rates and the base rate', () => {
    const html = renderReport(sample());
    expect(html).toMatch(
      /<td class="num">1<\/td><td class="num">4,822<\/td><td class="num">41\.2\u00a0%<\/td><td class="num">3\.28×<\/td>/,
    );
    expect(html).toContain('The top decile converts at 3.3 times the base rate.');
  });
});

describe('renderReport: safety and determinism', () => {
  it('escapes user input everywhere: a <script> in a name or config is inert text', () => {
    // Prepare
    const model = sample();
    const hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>';
    model.segments[0].name = hostile;
    model.segments[0].description = hostile;
    model.segments[0].id = `"><script>1</script>`;
    if (model.rfm !== undefined) model.rfm.rows[0].segmentId = model.segments[0].id;
    model.dataset = hostile;
    model.config = { [hostile]: hostile, nested: { list: [hostile] } };
    model.features = [{ name: 'recencyDays', label: hostile, description: hostile, unit: 'days' }];
    model.ingest.rejectionReasons = [{ reason: hostile, rows: 3 }];

    // Act
    const html = renderReport(model);

    // Assess
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('onerror=alert(1)>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('id="seg-script-1-script"');
  });

  it('keeps ids unique when segment ids slug to the same anchor', () => {
    // Prepare
    const model = minimal();
    model.segments = [
      { id: 'A b', name: 'One', description: '.', size: 1 },
      { id: 'a-b', name: 'Two', description: '.', size: 1 },
      { id: 'a_b', name: 'Three', description: '.', size: 1 },
    ];

    // Act
    const html = renderReport(model);
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);

    // Assess
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['seg-a-b', 'seg-a-b-2', 'seg-a-b-3']));
  });

  it('is self-contained: no script, no external resource, a CSP that forbids loading any', () => {
    const html = renderReport(sample());
    expect(html).not.toMatch(/<script|<link|<iframe|@import|url\(\s*['"]?http/i);
    expect(html).not.toMatch(/\s(src|href)="(?!#)/);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
  });

  it('gives byte-identical output for the same model, whatever the clock says', () => {
    // Prepare
    const a = sample();
    const b = structuredClone(a);

    // Act
    const first = renderReport(a);
    const second = renderReport(b);

    // Assess
    expect(second).toBe(first);
    expect(a).toEqual(b);
    expect(first).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?!Z-)/);
  });

  it('never prints NaN, Infinity or undefined for degenerate inputs', () => {
    // Prepare
    const empty: ReportModel = {
      ...minimal(),
      customers: 0,
      segments: [],
      ingest: { rowsRead: 0, rowsAccepted: 0, rowsRejected: 0, rejectionReasons: [] },
    };
    const zeroPopulation = sample();
    zeroPopulation.segments[0].profile = [{ feature: 'recencyDays', segmentValue: 5, populationValue: 0 }];
    const noOutcomes = sample();
    if (noOutcomes.propensity !== undefined) noOutcomes.propensity.baseRate = 0;

    // Act
    const outputs = [empty, zeroPopulation, noOutcomes].map(renderReport);

    // Assess
    for (const html of outputs) expect(html).not.toMatch(/NaN|Infinity|undefined/);
    expect(outputs[0]).not.toContain('<section id="segments"');
    expect(outputs[1]).toContain('>n/a</text>');
  });

  it('rejects a cross-tab that does not match the segments, with a message saying what to fix', () => {
    // Prepare
    const unknown = sample();
    unknown.rfm?.rows.push({ segmentId: 'ghost', counts: [1, 2, 3, 4, 5, 6] });
    const short = sample();
    if (short.rfm !== undefined) short.rfm.rows[0].counts = [1, 2];
    const dup = minimal();
    dup.segments[1].id = 'a';

    // Act / Assess
    expect(() => renderReport(unknown)).toThrow(ReportModelError);
    expect(() => renderReport(unknown)).toThrow('RFM cross-tab names segment "ghost"');
    expect(() => renderReport(short)).toThrow('has 2 counts but there are 6 RFM groups');
    expect(() => renderReport(dup)).toThrow('Segment id "a" appears twice');
  });
});

describe('sample model fixture', () => {
  it('is internally consistent, as the pipeline would produce it', () => {
    const m = sample();
    expect(m.ingest.rowsAccepted + m.ingest.rowsRejected).toBe(m.ingest.rowsRead);
    expect(m.ingest.rejectionReasons.reduce((s, r) => s + r.rows, 0)).toBe(m.ingest.rowsRejected);
    expect(m.segments.reduce((s, g) => s + g.size, 0)).toBe(m.customers);
    expect(m.segments.map((s) => s.name)).toEqual([
      'Loyal high spenders',
      'Deal seekers',
      'Seasonal gifters',
      'Lapsed',
      'New customers',
    ]);
    for (const row of m.rfm?.rows ?? []) {
      const size = m.segments.find((s) => s.id === row.segmentId)?.size;
      expect(row.counts.reduce((s, v) => s + v, 0)).toBe(size);
    }
    expect(m.clv?.bins.reduce((s, b) => s + b.customers, 0)).toBe(m.customers);
    expect(m.history?.pastRuns).toHaveLength(3);
    expect(m.features).toHaveLength(10);
  });
});

describe('run-level checks', () => {
  it('lists the checks of the run as a whole with verdict, figure, threshold and reason', () => {
    // Prepare
    const model = JSON.parse(readFileSync(SAMPLE, 'utf8')) as ReportModel;
    model.runChecks = [
      {
        check: 'Silhouette',
        verdict: 'warn',
        value: 0.21,
        threshold: 0.25,
        format: 'decimal',
        note: 'segments overlap',
      },
    ];
    // Act
    const html = renderReport(model);
    // Assess
    expect(html).toContain('Checks of the run as a whole');
    const block = html.slice(
      html.indexOf('<div class="run-checks">'),
      html.indexOf('</table>', html.indexOf('<div class="run-checks">')),
    );
    expect(block).toMatch(
      /<td>Silhouette<\/td><td>! Check<\/td><td>0\.21<\/td><td>0\.25<\/td><td>segments overlap<\/td>/,
    );
    delete model.runChecks;
    expect(renderReport(model)).not.toContain('Checks of the run as a whole');
  });
});
