// The predictive models' sections: propensity (lift and calibration), lookalike audiences and the
// distribution of customer lifetime value.
import { calibrationChart, histogram, liftChart, lineChart } from './charts.js';
import { formatCount, formatCurrency, formatCurrencyCompact, formatNumber, formatPercent } from './format.js';
import type { ReportModel } from './model.js';
import { esc, figure, renderTable, section, share, type Table } from './parts.js';

export function propensitySection(model: ReportModel): string | undefined {
  const p = model.propensity;
  if (p === undefined) return undefined;
  const deciles = [...p.deciles].sort((a, b) => a.decile - b.decile);
  const lifts = deciles.map((d) => ({ decile: d.decile, lift: p.baseRate > 0 ? d.rate / p.baseRate : 0 }));
  const top = lifts[0];
  const facts = [`Base rate ${formatPercent(p.baseRate)}`];
  if (p.auc !== undefined) facts.push(`AUC ${formatNumber(p.auc, 2)}`);
  const parts = [
    `<p class="intro">Predicts: <strong>${esc(p.target)}</strong> · ${esc(facts.join(' · '))}</p>`,
  ];
  const figs: string[] = [];
  if (lifts.length > 0)
    figs.push(
      figure({
        id: 'fig-propensity-lift',
        caption: 'Lift by score decile',
        svg: liftChart({
          id: 'chart-propensity-lift',
          title: 'Propensity lift by score decile',
          desc: `Outcome rate in each score decile divided by the base rate of ${formatPercent(p.baseRate)}. The top decile converts at ${formatNumber(top.lift, 1)} times the base rate.`,
          deciles: lifts,
        }),
        table: {
          head: ['Decile', 'Customers', 'Outcome rate', 'Lift'],
          rows: deciles.map((d, i) => [
            String(d.decile),
            formatCount(d.customers),
            formatPercent(d.rate),
            `${formatNumber(lifts[i].lift, 2)}×`,
          ]),
          numeric: [0, 1, 2, 3],
        },
      }),
    );
  if (p.calibration.length > 0) {
    const worst = p.calibration.reduce((w, c) =>
      Math.abs(c.observed - c.predicted) > Math.abs(w.observed - w.predicted) ? c : w,
    );
    figs.push(
      figure({
        id: 'fig-propensity-calibration',
        caption: 'Calibration: predicted vs observed',
        svg: calibrationChart({
          id: 'chart-propensity-calibration',
          title: 'Propensity calibration',
          desc: `Observed outcome rate against mean predicted probability in ${p.calibration.length} bins; points on the dashed diagonal are perfectly calibrated. The largest gap is ${formatNumber(Math.abs(worst.observed - worst.predicted) * 100, 1)} percentage points, at a predicted ${formatPercent(worst.predicted)}.`,
          points: p.calibration,
        }),
        table: {
          head: ['Predicted', 'Observed', 'Customers'],
          rows: p.calibration.map((c) => [
            formatPercent(c.predicted),
            formatPercent(c.observed),
            formatCount(c.customers),
          ]),
          numeric: [0, 1, 2],
        },
      }),
    );
  }
  parts.push(`<div class="fig-row">${figs.join('\n')}</div>`);
  for (const note of p.notes ?? []) parts.push(`<p class="note">${esc(note)}</p>`);
  if (p.dropped?.length)
    parts.push(
      `<h3>Features left out</h3>\n${renderTable({
        head: ['Feature', 'Why'],
        rows: p.dropped.map((d) => [d.feature, d.reason]),
      })}`,
    );
  return section('propensity', 'Propensity', parts.join('\n'));
}

export function lookalikeSection(model: ReportModel): string | undefined {
  const l = model.lookalike;
  if (l === undefined) return undefined;
  const facts = [
    `${formatCount(l.seedsGiven)} seeds given`,
    `${formatCount(l.seedsMatched)} found among the customers (excluded from the audience)`,
  ];
  if (l.audienceSize !== undefined)
    facts.push(
      `audience: ${formatCount(l.audienceSize)} customers (top ${formatPercent(l.topPercent / 100, 0)})`,
    );
  if (l.recallAtTop !== undefined && l.heldOutSeeds !== undefined)
    facts.push(
      `${formatPercent(l.recallAtTop)} of ${formatCount(l.heldOutSeeds)} held-out seeds inside the top ${formatPercent(l.topPercent / 100, 0)}`,
    );
  const parts = [`<p class="intro">${esc(facts.join(' · '))}</p>`];
  if (l.audienceSize === undefined) {
    parts.push(`<p>No lookalike audience was built. ${esc(l.reason ?? '')}</p>`);
    return section('lookalike', 'Lookalike audience', parts.join('\n'));
  }
  const top = formatPercent(l.topPercent / 100, 0);
  const sentence =
    l.recallAtTop !== undefined && l.heldOutSeeds !== undefined
      ? `Of the ${formatCount(l.seedsGiven)} seeds supplied, ${formatCount(l.seedsMatched)} were found among the customers; they are never in the audience. The audience is the ${formatCount(l.audienceSize)} other customers (top ${top}) who most resemble them. To check the ranking, ${formatCount(l.heldOutSeeds)} seeds were kept out of training: ${formatPercent(l.recallAtTop)} of them rank inside the top ${top}, where a random audience of the same size would hold ${top}.`
      : `Of the ${formatCount(l.seedsGiven)} seeds supplied, ${formatCount(l.seedsMatched)} were found among the customers; they are never in the audience. The audience is the ${formatCount(l.audienceSize)} other customers (top ${top}) who most resemble them.`;
  parts.push(`<p>${esc(sentence)}</p>`);
  const curve = [...(l.recall ?? [])].sort((a, b) => a.topPercent - b.topPercent);
  if (curve.length > 1)
    parts.push(
      figure({
        id: 'fig-lookalike-recall',
        caption: 'Held-out seeds found by audience size',
        svg: lineChart({
          id: 'chart-lookalike-recall',
          title: 'Held-out seed recall by audience size',
          desc: `Share of the held-out seeds inside the top X % of customers by resemblance, against a random audience (the diagonal). At the configured top ${top} the audience holds ${formatPercent(l.recallAtTop ?? 0)} of them.`,
          xLabels: curve.map((c) => formatPercent(c.topPercent / 100, 0)),
          series: [
            { name: 'Held-out seeds', values: curve.map((c) => c.recall) },
            { name: 'Random', values: curve.map((c) => c.topPercent / 100), color: '#999999' },
          ],
          yFormat: (v) => formatPercent(v),
          yMin: 0,
          yMax: 1,
        }),
        table: {
          head: ['Audience (top %)', 'Held-out seeds inside', 'Random audience'],
          rows: curve.map((c) => [
            formatPercent(c.topPercent / 100, 0),
            formatPercent(c.recall),
            formatPercent(c.topPercent / 100),
          ]),
          numeric: [0, 1, 2],
        },
      }),
    );
  return section('lookalike', 'Lookalike audience', parts.join('\n'));
}

export function clvSection(model: ReportModel): string | undefined {
  const clv = model.clv;
  if (clv === undefined || clv.bins.length === 0) return undefined;
  const money = (v: number): string => formatCurrency(v, model.currency);
  const axisMoney = (v: number): string => formatCurrencyCompact(v, model.currency);
  const total = clv.bins.reduce((s, b) => s + b.customers, 0);
  const facts = [`mean ${money(clv.mean)}`, `median ${money(clv.median)}`];
  if (clv.p90 !== undefined) facts.push(`top 10 % above ${money(clv.p90)}`);
  const svg = histogram({
    id: 'chart-clv-histogram',
    title: `Predicted ${clv.horizonMonths}-month customer value`,
    desc: `Distribution of predicted ${clv.horizonMonths}-month value over ${formatCount(total)} customers in ${clv.bins.length} bins: ${facts.join(', ')}.`,
    bins: clv.bins.map((b) => ({ from: b.from, to: b.to, count: b.customers })),
    xFormat: axisMoney,
    xTitle: `Predicted ${clv.horizonMonths}-month value (${model.currency})`,
    width: 880,
  });
  const table: Table = {
    head: ['Value range', 'Customers', 'Share'],
    rows: clv.bins.map((b) => [
      b.to === undefined ? `${money(b.from)} and above` : `${money(b.from)} – ${money(b.to)}`,
      formatCount(b.customers),
      formatPercent(share(b.customers, total)),
    ]),
    numeric: [1, 2],
  };
  return section(
    'clv',
    'Customer lifetime value',
    figure({
      id: 'fig-clv-histogram',
      caption: `Distribution of predicted ${clv.horizonMonths}-month value (${facts.join(' · ')})`,
      svg,
      table,
    }),
  );
}
