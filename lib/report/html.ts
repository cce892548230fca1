// Renders a run's ReportModel into one self-contained HTML page for marketers: inline CSS, inline SVG
// charts, no script, no network, so it works offline and as a mail attachment. Pure and synchronous;
// the same model always gives byte-identical HTML (nothing here reads the clock or the environment).

import {
  CATEGORICAL,
  calibrationChart,
  crossTabChart,
  heatmap,
  histogram,
  horizontalBarChart,
  liftChart,
  lineChart,
  profileChart,
} from './charts.js';
import { escapeHtml, toIdFragment } from './escape.js';
import {
  formatCompact,
  formatCount,
  formatCurrency,
  formatCurrencyCompact,
  formatDate,
  formatNumber,
  formatPercent,
  formatValue,
} from './format.js';
import type {
  ConfigValue,
  FeatureDefinition,
  FeatureUnit,
  ReportModel,
  SegmentCard,
  ValidationCheck,
  Verdict,
} from './model.js';

/** The model cannot be rendered as given; the message names the field and what to fix. */
export class ReportModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportModelError';
  }
}

/** How many rejection reasons the overview lists. */
const TOP_REJECTION_REASONS = 5;

const esc = escapeHtml;

interface Table {
  head: string[];
  rows: string[][];
  /** Columns holding numbers, right-aligned with tabular figures. */
  numeric?: number[];
  caption?: string;
}

function renderTable(t: Table, cls = 'data'): string {
  const numeric = new Set(t.numeric ?? []);
  const cell = (tag: 'th' | 'td', v: string, j: number): string =>
    `<${tag}${numeric.has(j) ? ' class="num"' : ''}${tag === 'th' ? ' scope="col"' : ''}>${esc(v)}</${tag}>`;
  const head = `<thead><tr>${t.head.map((h, j) => cell('th', h, j)).join('')}</tr></thead>`;
  const body = t.rows.map((r) => `<tr>${r.map((v, j) => cell('td', v, j)).join('')}</tr>`).join('\n');
  const caption = t.caption === undefined ? '' : `<caption>${esc(t.caption)}</caption>`;
  return `<div class="table-wrap"><table class="${cls}">${caption}${head}<tbody>\n${body}\n</tbody></table></div>`;
}

interface FigureParts {
  id: string;
  caption: string;
  svg: string;
  table: Table;
  note?: string;
  cls?: string;
}

/** A chart as a figure: caption, the SVG, an optional note, and the numbers behind it in a table. */
function figure(f: FigureParts): string {
  const note = f.note === undefined ? '' : `<p class="note">${esc(f.note)}</p>`;
  return (
    `<figure id="${esc(f.id)}" class="${f.cls ?? 'chart-figure'}">\n` +
    `<figcaption>${esc(f.caption)}</figcaption>\n<div class="svg-wrap">${f.svg}</div>\n${note}` +
    `<details><summary>Show the numbers behind this chart</summary>\n${renderTable(f.table)}</details>\n</figure>`
  );
}

function section(id: string, title: string, body: string, intro?: string): string {
  const lead = intro === undefined ? '' : `<p class="intro">${esc(intro)}</p>\n`;
  return `<section id="${id}" aria-labelledby="${id}-h">\n<h2 id="${id}-h">${esc(title)}</h2>\n${lead}${body}\n</section>`;
}

function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

function validate(model: ReportModel): void {
  const ids = new Set<string>();
  for (const s of model.segments) {
    if (ids.has(s.id))
      throw new ReportModelError(`Segment id "${s.id}" appears twice; every segment needs its own id.`);
    ids.add(s.id);
  }
  if (model.rfm !== undefined) {
    for (const row of model.rfm.rows) {
      if (!ids.has(row.segmentId))
        throw new ReportModelError(
          `RFM cross-tab names segment "${row.segmentId}", which is not in the report's segments.`,
        );
      if (row.counts.length !== model.rfm.groups.length)
        throw new ReportModelError(
          `RFM cross-tab row for "${row.segmentId}" has ${row.counts.length} counts but there are ${model.rfm.groups.length} RFM groups.`,
        );
    }
  }
}

/** Per-segment identity used across sections: anchor id, colour. */
interface SegmentRef {
  segment: SegmentCard;
  anchor: string;
  color: string;
}

function segmentRefs(model: ReportModel): SegmentRef[] {
  const used = new Set<string>();
  return model.segments.map((segment, i) => {
    // Distinct ids can slug to the same fragment ("A b" and "a-b"): suffix until unique.
    const base = `seg-${toIdFragment(segment.id)}`;
    let anchor = base;
    for (let k = 2; used.has(anchor); k++) anchor = `${base}-${k}`;
    used.add(anchor);
    return { segment, anchor, color: CATEGORICAL[i % CATEGORICAL.length] };
  });
}

function featureLookup(model: ReportModel): (name: string) => FeatureDefinition | undefined {
  const byName = new Map((model.features ?? []).map((f) => [f.name, f]));
  return (name) => byName.get(name);
}

function formatFeature(value: number, unit: FeatureUnit | undefined, currency: string): string {
  switch (unit) {
    case 'days':
      return formatValue(value, 'days', currency);
    case 'count':
      return formatNumber(value, Math.abs(value) < 10 ? 1 : 0);
    case 'currency':
      return formatCurrency(value, currency);
    case 'share':
      return formatPercent(value);
    default:
      return formatNumber(value, Math.abs(value) < 10 ? 2 : 1);
  }
}

function profileIndex(segmentValue: number, populationValue: number): number | null {
  if (populationValue === 0 || !Number.isFinite(segmentValue) || !Number.isFinite(populationValue))
    return null;
  return (segmentValue / populationValue) * 100;
}

// ---------------------------------------------------------------------------------------------------
// Sections

function header(model: ReportModel, title: string): string {
  const meta = [
    `Dataset <strong>${esc(model.dataset)}</strong>`,
    `data as of <strong>${esc(formatDate(model.asOf))}</strong>`,
    `run <code>${esc(model.runId)}</code>`,
  ];
  if (model.generatedAt !== undefined) meta.push(`finished ${esc(formatDate(model.generatedAt))}`);
  return `<header class="page-header">\n<p class="kicker">Audience segmentation report</p>\n<h1>${esc(title)}</h1>\n<p class="meta">${meta.join(' · ')}</p>\n</header>`;
}

function nav(links: [string, string][]): string {
  const items = links.map(([id, label]) => `<li><a href="#${id}">${esc(label)}</a></li>`).join('');
  return `<nav aria-label="Sections"><ul>${items}</ul></nav>`;
}

function overview(model: ReportModel, refs: SegmentRef[]): string {
  const ing = model.ingest;
  const tile = (label: string, value: string, sub?: string): string =>
    `<div class="tile"><div class="tile-value">${esc(value)}</div><div class="tile-label">${esc(label)}</div>${
      sub === undefined ? '' : `<div class="tile-sub">${esc(sub)}</div>`
    }</div>`;
  const tiles = [
    tile('customers', formatCount(model.customers), `in ${formatCount(model.segments.length)} segments`),
    tile(
      'rows read',
      formatCount(ing.rowsRead),
      ing.files === undefined ? undefined : `from ${formatCount(ing.files)} files`,
    ),
    tile(
      'rows accepted',
      formatCount(ing.rowsAccepted),
      `${formatPercent(share(ing.rowsAccepted, ing.rowsRead))} of rows read`,
    ),
    tile(
      'rows rejected',
      formatCount(ing.rowsRejected),
      `${formatPercent(share(ing.rowsRejected, ing.rowsRead), 2)} of rows read`,
    ),
  ].join('');
  const parts = [`<div class="tiles">${tiles}</div>`];

  if (ing.rowsAccepted + ing.rowsRejected !== ing.rowsRead)
    parts.push(
      `<p class="callout warn">Row accounting does not add up: ${esc(formatCount(ing.rowsAccepted))} accepted + ${esc(
        formatCount(ing.rowsRejected),
      )} rejected ≠ ${esc(formatCount(ing.rowsRead))} read. Check the ingest step’s error report.</p>`,
    );

  const attention = attentionItems(model, refs);
  if (attention.length > 0)
    parts.push(
      `<div class="callout attention" role="note"><strong>Needs attention</strong><ul>\n${attention.join('\n')}\n</ul></div>`,
    );

  if (model.runChecks && model.runChecks.length > 0)
    parts.push(
      `<div class="run-checks"><h3>Checks of the run as a whole</h3>\n${renderTable({
        head: ['Check', 'Verdict', 'Figure', 'Threshold', 'Why'],
        rows: model.runChecks.map((c) => [
          c.check,
          VERDICT_TEXT[c.verdict].join(' '),
          formatValue(c.value, c.format, model.currency),
          c.threshold === undefined ? '—' : formatValue(c.threshold, c.format, model.currency),
          c.note ?? '',
        ]),
      })}</div>`,
    );

  // Segment sizes and rejection reasons side by side on wide screens: the two questions asked first.
  const side: string[] = [];
  const reasons = [...ing.rejectionReasons]
    .sort((a, b) => b.rows - a.rows || a.reason.localeCompare(b.reason))
    .slice(0, TOP_REJECTION_REASONS);
  if (reasons.length > 0) {
    const more = ing.rejectionReasons.length - reasons.length;
    side.push(
      `<div class="reasons"><h3>Top rejection reasons</h3>\n${renderTable({
        head: ['Reason', 'Rows', 'Share of rejected'],
        rows: reasons.map((r) => [
          r.reason,
          formatCount(r.rows),
          formatPercent(share(r.rows, ing.rowsRejected)),
        ]),
        numeric: [1, 2],
        caption: more > 0 ? `${reasons.length} largest of ${ing.rejectionReasons.length} reasons` : undefined,
      })}</div>`,
    );
  }

  if (refs.length > 0) {
    const bars = refs.map((r) => ({
      label: r.segment.name,
      value: r.segment.size,
      valueLabel: `${formatCount(r.segment.size)} · ${formatPercent(share(r.segment.size, model.customers))}`,
      color: r.color,
    }));
    const largest = [...refs].sort((a, b) => b.segment.size - a.segment.size)[0].segment;
    side.unshift(
      figure({
        id: 'fig-segment-sizes',
        caption: 'Segment sizes',
        svg: horizontalBarChart({
          id: 'chart-segment-sizes',
          title: 'Segment sizes',
          width: 500,
          desc: `Customers per segment. ${refs.length} segments cover ${formatCount(model.customers)} customers; the largest is ${largest.name} with ${formatCount(largest.size)} (${formatPercent(share(largest.size, model.customers))}).`,
          bars,
        }),
        table: {
          head: ['Segment', 'Customers', 'Share of customers'],
          rows: refs.map((r) => [
            r.segment.name,
            formatCount(r.segment.size),
            formatPercent(share(r.segment.size, model.customers)),
          ]),
          numeric: [1, 2],
        },
      }),
    );
  }
  if (side.length > 0) parts.push(`<div class="overview-row">${side.join('\n')}</div>`);
  return section('overview', 'Overview', parts.join('\n'));
}

/** Failed or warning checks and failed destinations, linked to their cards: what to look at first. */
function attentionItems(model: ReportModel, refs: SegmentRef[]): string[] {
  const items: string[] = [];
  for (const r of refs) {
    const link = `<a href="#${r.anchor}">${esc(r.segment.name)}</a>`;
    for (const c of r.segment.validation ?? []) {
      if (c.verdict === 'pass') continue;
      const threshold =
        c.threshold === undefined ? '' : ` (threshold ${formatValue(c.threshold, c.format, model.currency)})`;
      items.push(
        `<li>${verdictBadge(c.verdict)} ${link}: ${esc(c.check)} ${esc(formatValue(c.value, c.format, model.currency))}${esc(threshold)}</li>`,
      );
    }
    for (const d of r.segment.destinations ?? []) {
      if (d.status !== 'failed') continue;
      const note = d.note === undefined ? '' : `: ${d.note}`;
      items.push(
        `<li><span class="verdict fail"><span aria-hidden="true">✕</span> Failed</span> ${link}: ${esc(`${d.name} (${d.kind}) was not published${note}`)}</li>`,
      );
    }
  }
  return items;
}

const VERDICT_TEXT: Record<Verdict, [string, string]> = {
  pass: ['✓', 'Pass'],
  warn: ['!', 'Check'],
  fail: ['✕', 'Fail'],
};

function verdictBadge(v: Verdict): string {
  const [icon, word] = VERDICT_TEXT[v];
  return `<span class="verdict ${v}"><span aria-hidden="true">${icon}</span> ${word}</span>`;
}

function worstVerdict(checks: ValidationCheck[]): Verdict | undefined {
  if (checks.length === 0) return undefined;
  if (checks.some((c) => c.verdict === 'fail')) return 'fail';
  if (checks.some((c) => c.verdict === 'warn')) return 'warn';
  return 'pass';
}

function segmentCard(model: ReportModel, ref: SegmentRef, feature: ReturnType<typeof featureLookup>): string {
  const s = ref.segment;
  const parts: string[] = [];
  const overall = worstVerdict(s.validation ?? []);
  parts.push(
    `<header class="card-header"><span class="swatch" style="background:${ref.color}" aria-hidden="true"></span>` +
      `<h3 id="${ref.anchor}-h">${esc(s.name)}</h3>${overall === undefined ? '' : verdictBadge(overall)}</header>`,
  );
  parts.push(`<p class="description">${esc(s.description)}</p>`);
  const facts: [string, string][] = [
    ['Customers', formatCount(s.size)],
    ['Share of customers', formatPercent(share(s.size, model.customers))],
  ];
  if (s.holdoutShare !== undefined)
    facts.push([
      'Held out (not activated)',
      `${formatPercent(s.holdoutShare)} · ${formatCount(Math.round(s.size * s.holdoutShare))} customers`,
    ]);
  facts.push(['Segment id', s.id]);
  parts.push(
    `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`,
  );

  const left: string[] = [];
  const right: string[] = [];
  if (s.validation !== undefined && s.validation.length > 0) {
    const rows = s.validation
      .map((c) => {
        const figure = formatValue(c.value, c.format, model.currency);
        const threshold =
          c.threshold === undefined ? '—' : formatValue(c.threshold, c.format, model.currency);
        const note = c.note === undefined ? '' : `<div class="check-note">${esc(c.note)}</div>`;
        return `<tr><td>${esc(c.check)}${note}</td><td>${verdictBadge(c.verdict)}</td><td class="num">${esc(figure)}</td><td class="num">${esc(threshold)}</td></tr>`;
      })
      .join('\n');
    left.push(
      `<h4>Validation</h4>\n<div class="table-wrap"><table class="data compact"><thead><tr><th scope="col">Check</th><th scope="col">Verdict</th><th scope="col" class="num">Figure</th><th scope="col" class="num">Threshold</th></tr></thead><tbody>\n${rows}\n</tbody></table></div>`,
    );
  }
  if (s.destinations !== undefined && s.destinations.length > 0) {
    const items = s.destinations
      .map((d) => {
        const members = d.members === undefined ? '' : ` · ${esc(formatCount(d.members))} members`;
        const note = d.note === undefined ? '' : `<div class="dest-note">${esc(d.note)}</div>`;
        return `<li><span class="status ${d.status}">${esc(d.status)}</span> <strong>${esc(d.name)}</strong> <span class="dest-kind">${esc(d.kind)}</span>${members}${note}</li>`;
      })
      .join('\n');
    left.push(`<h4>Destinations</h4>\n<ul class="destinations">\n${items}\n</ul>`);
  }
  if (s.profile !== undefined && s.profile.length > 0) {
    const entries = s.profile.map((p) => {
      const def = feature(p.feature);
      return {
        p,
        def,
        label: def?.label ?? p.feature,
        index: profileIndex(p.segmentValue, p.populationValue),
      };
    });
    const ranked = entries
      .filter((e) => e.index !== null)
      .sort(
        (a, b) => Math.abs(Math.log((b.index ?? 100) / 100)) - Math.abs(Math.log((a.index ?? 100) / 100)),
      );
    const standout = ranked
      .slice(0, 2)
      .map((e) => `${e.label} at index ${formatNumber(e.index ?? 0, 0)}`)
      .join(' and ');
    right.push(
      figure({
        id: `${ref.anchor}-profile`,
        caption: 'Profile against all customers (index, 100 = all customers)',
        cls: 'chart-figure in-card',
        svg: profileChart({
          id: `${ref.anchor}-profile-chart`,
          title: `${s.name}: profile against all customers`,
          desc: `Index of the segment’s average against all customers’ average for ${entries.length} features, on a log scale where 100 means the same as all customers. ${standout === '' ? '' : `Stands out most on ${standout}.`}`,
          items: entries.map((e) => ({ label: e.label, index: e.index })),
        }),
        table: {
          head: ['Feature', 'Segment average', 'All customers', 'Index'],
          rows: entries.map((e) => [
            e.label,
            formatFeature(e.p.segmentValue, e.def?.unit, model.currency),
            formatFeature(e.p.populationValue, e.def?.unit, model.currency),
            e.index === null ? 'n/a' : formatNumber(e.index, 0),
          ]),
          numeric: [1, 2, 3],
        },
      }),
    );
  }
  const body =
    right.length === 0
      ? left.join('\n')
      : `<div class="card-grid"><div class="card-main">${left.join('\n')}</div><div class="card-side">${right.join('\n')}</div></div>`;
  return `<article class="card" id="${ref.anchor}" aria-labelledby="${ref.anchor}-h" style="border-top-color:${ref.color}">\n${parts.join('\n')}\n${body}\n</article>`;
}

function segmentsSection(model: ReportModel, refs: SegmentRef[]): string {
  const feature = featureLookup(model);
  const cards = refs.map((r) => segmentCard(model, r, feature)).join('\n');
  return section(
    'segments',
    'Segments',
    `<div class="cards">\n${cards}\n</div>`,
    'One card per segment: who they are, how they differ from all customers, whether they passed validation, and where they were sent.',
  );
}

function heatmapSection(model: ReportModel, refs: SegmentRef[]): string | undefined {
  const withProfile = refs.filter((r) => r.segment.profile !== undefined && r.segment.profile.length > 0);
  if (withProfile.length === 0) return undefined;
  const feature = featureLookup(model);
  const order: string[] = [];
  const seen = new Set<string>();
  for (const f of model.features ?? []) {
    seen.add(f.name);
    order.push(f.name);
  }
  for (const r of withProfile)
    for (const p of r.segment.profile ?? [])
      if (!seen.has(p.feature)) {
        seen.add(p.feature);
        order.push(p.feature);
      }
  const present = order.filter((name) =>
    withProfile.some((r) => r.segment.profile?.some((p) => p.feature === name)),
  );
  const values = present.map((name) =>
    withProfile.map((r) => {
      const p = r.segment.profile?.find((e) => e.feature === name);
      return p === undefined ? null : profileIndex(p.segmentValue, p.populationValue);
    }),
  );
  const labels = present.map((name) => feature(name)?.label ?? name);
  const cols = withProfile.map((r) => r.segment.name);
  let extreme = { v: 100, r: 0, c: 0 };
  values.forEach((row, i) => {
    row.forEach((v, j) => {
      if (v !== null && v > 0 && Math.abs(Math.log(v / 100)) > Math.abs(Math.log(extreme.v / 100)))
        extreme = { v, r: i, c: j };
    });
  });
  const svg = heatmap({
    id: 'chart-profile-heatmap',
    title: 'Feature profile heatmap',
    desc: `Index of each segment’s average against all customers for ${labels.length} features and ${cols.length} segments; blue is above all customers, orange below. The strongest difference is ${labels[extreme.r]} in ${cols[extreme.c]} at index ${formatNumber(extreme.v, 0)}.`,
    rows: labels,
    cols,
    values,
  });
  const table: Table = {
    head: ['Feature', ...cols],
    rows: labels.map((l, i) => [l, ...values[i].map((v) => (v === null ? 'n/a' : formatNumber(v, 0)))]),
    numeric: cols.map((_, j) => j + 1),
  };
  return section(
    'profiles',
    'Feature profiles',
    figure({
      id: 'fig-profile-heatmap',
      caption: 'How each segment differs from all customers (index, 100 = all customers)',
      svg,
      table,
    }),
    'Each cell compares a segment’s average with the average of all customers: 200 means twice as high, 50 means half.',
  );
}

function rfmSection(model: ReportModel, refs: SegmentRef[]): string | undefined {
  const rfm = model.rfm;
  if (rfm === undefined || rfm.rows.length === 0) return undefined;
  const byId = new Map(refs.map((r) => [r.segment.id, r.segment]));
  const rows = rfm.rows.map((r) => byId.get(r.segmentId)?.name ?? r.segmentId);
  const counts = rfm.rows.map((r) => r.counts);
  const dominant = rfm.rows.map((r, i) => {
    const total = r.counts.reduce((s, v) => s + v, 0);
    let best = 0;
    r.counts.forEach((v, j) => {
      if (v > r.counts[best]) best = j;
    });
    return `${rows[i]}: ${formatPercent(share(r.counts[best], total), 0)} ${rfm.groups[best]}`;
  });
  const svg = crossTabChart({
    id: 'chart-rfm-crosstab',
    title: 'Learned segments against RFM groups',
    desc: `Share of each segment’s customers in each of ${rfm.groups.length} RFM groups, with counts. Largest group per segment: ${dominant.join('; ')}.`,
    rows,
    cols: rfm.groups,
    counts,
  });
  const table: Table = {
    head: ['Segment', ...rfm.groups, 'Total'],
    rows: rfm.rows.map((r, i) => {
      const total = r.counts.reduce((s, v) => s + v, 0);
      return [
        rows[i],
        ...r.counts.map((v) => `${formatCount(v)} (${formatPercent(share(v, total))})`),
        formatCount(total),
      ];
    }),
    numeric: [...rfm.groups.map((_, j) => j + 1), rfm.groups.length + 1],
  };
  return section(
    'rfm',
    'Segments and RFM groups',
    figure({
      id: 'fig-rfm-crosstab',
      caption: 'Learned segments vs RFM groups (share of each segment, with customer counts)',
      svg,
      table,
    }),
    'RFM groups are the classic recency–frequency–monetary cuts. Segments that map onto one group add little; segments spread across groups capture behaviour RFM misses.',
  );
}

function propensitySection(model: ReportModel): string | undefined {
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

function lookalikeSection(model: ReportModel): string | undefined {
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

function clvSection(model: ReportModel): string | undefined {
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

function historySection(model: ReportModel, refs: SegmentRef[]): string | undefined {
  const h = model.history;
  if (h === undefined || h.pastRuns.length === 0) return undefined;
  const runs = [
    ...h.pastRuns.map((r) => ({
      label: formatDate(r.asOf),
      runId: r.runId,
      stability: r.stability,
      sizes: r.segmentSizes,
      customers: r.customers,
    })),
    {
      label: formatDate(model.asOf),
      runId: model.runId,
      stability: h.currentStability,
      sizes: Object.fromEntries(model.segments.map((s) => [s.id, s.size])),
      customers: model.customers,
    },
  ];
  const xLabels = runs.map((r, i) => (i === runs.length - 1 ? `${r.label}\nthis run` : r.label));
  const figs: string[] = [];
  const stab = runs.map((r) => (r.stability === undefined ? null : r.stability));
  if (stab.some((v) => v !== null)) {
    const measured = stab.filter((v): v is number => v !== null);
    figs.push(
      figure({
        id: 'fig-history-stability',
        caption: 'Stability over runs',
        svg: lineChart({
          id: 'chart-history-stability',
          title: 'Segment stability over runs',
          desc: `Stability of segment membership against the previous run for the last ${runs.length} runs, between ${formatPercent(Math.min(...measured))} and ${formatPercent(Math.max(...measured))}.`,
          xLabels,
          series: [{ name: 'Stability', values: stab, color: CATEGORICAL[0] }],
          yFormat: (v) => formatPercent(v, 0),
          yMin: 0,
          yMax: 1,
          width: 500,
          height: 240,
        }),
        note: h.stabilityMeasure,
        table: {
          head: ['Run', 'Data as of', 'Stability'],
          rows: runs.map((r) => [
            r.runId,
            r.label,
            r.stability === undefined ? '—' : formatPercent(r.stability),
          ]),
          numeric: [2],
        },
      }),
    );
  }
  const series = refs.map((r) => ({
    name: r.segment.name,
    values: runs.map((run) => run.sizes[r.segment.id] ?? null),
    color: r.color,
  }));
  figs.push(
    figure({
      id: 'fig-history-sizes',
      caption: 'Segment sizes over runs',
      svg: lineChart({
        id: 'chart-history-sizes',
        title: 'Segment sizes over runs',
        desc: `Customers per segment in each of the last ${runs.length} runs. ${refs
          .map((r, i) => {
            const firstRun = series[i].values.findIndex((v) => v !== null);
            const first = series[i].values[firstRun];
            if (firstRun === runs.length - 1 || first === null || first === undefined)
              return `${r.segment.name} is new in this run`;
            const since = firstRun === 0 ? '' : ` since it appeared on ${runs[firstRun].label}`;
            return `${r.segment.name} went from ${formatCount(first)} to ${formatCount(r.segment.size)}${since}`;
          })
          .join('; ')}.`,
        xLabels,
        series,
        yFormat: formatCompact,
        width: 500,
        height: 260,
      }),
      table: {
        head: ['Segment', ...runs.map((r) => r.label)],
        rows: series.map((s) => [s.name, ...s.values.map((v) => (v === null ? '—' : formatCount(v)))]),
        numeric: runs.map((_, j) => j + 1),
      },
    }),
  );
  return section(
    'history',
    'Stability and size over runs',
    `<div class="fig-row">${figs.join('\n')}</div>`,
    'Segments keep their id and name from run to run by matching them to the previous run’s segments.',
  );
}

function featuresSection(model: ReportModel): string | undefined {
  const features = model.features;
  if (features === undefined || features.length === 0) return undefined;
  const unitText: Record<FeatureUnit, string> = {
    days: 'days',
    count: 'count',
    currency: model.currency,
    share: 'share (%)',
    number: 'number',
  };
  const rows = features
    .map(
      (f) =>
        `<tr><td><strong>${esc(f.label)}</strong><div class="code">${esc(f.name)}</div></td><td>${esc(f.description)}</td><td>${esc(unitText[f.unit])}</td><td class="num">${
          f.windowDays === undefined ? '—' : esc(`${formatCount(f.windowDays)} days`)
        }</td></tr>`,
    )
    .join('\n');
  return section(
    'features',
    'Feature dictionary',
    `<div class="table-wrap"><table class="data"><thead><tr><th scope="col">Feature</th><th scope="col">What it measures</th><th scope="col">Unit</th><th scope="col" class="num">Window</th></tr></thead><tbody>\n${rows}\n</tbody></table></div>`,
  );
}

function flattenConfig(value: ConfigValue, path: string, out: [string, string][]): void {
  if (value === null) out.push([path, 'null']);
  else if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object'))
      out.push([path, value.map((v) => String(v)).join(', ')]);
    else
      value.forEach((v, i) => {
        flattenConfig(v, `${path}[${i}]`, out);
      });
  } else if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) out.push([path, '{}']);
    for (const k of keys) flattenConfig(value[k], path === '' ? k : `${path}.${k}`, out);
  } else out.push([path, String(value)]);
}

function configSection(model: ReportModel): string | undefined {
  if (model.config === undefined) return undefined;
  const pairs: [string, string][] = [];
  flattenConfig(model.config, '', pairs);
  const rows = pairs
    .map(
      ([k, v]) =>
        `<tr><th scope="row"><code>${esc(k === '' ? '(value)' : k)}</code></th><td><code>${esc(v)}</code></td></tr>`,
    )
    .join('\n');
  return section(
    'config',
    'Run configuration',
    `<div class="table-wrap"><table class="data config"><thead><tr><th scope="col">Setting</th><th scope="col">Value</th></tr></thead><tbody>\n${rows}\n</tbody></table></div>`,
    'The settings this run used, after defaults were applied.',
  );
}

// ---------------------------------------------------------------------------------------------------

const CSS = `
:root{--ink:#1f2933;--muted:#52606d;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;--accent:#0072B2;--pass:#0b7a55;--warn:#9a5b00;--fail:#b3261e}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-variant-numeric:tabular-nums}
main{max-width:1120px;margin:0 auto;padding:0 20px 48px}
.page-header{max-width:1120px;margin:0 auto;padding:32px 20px 8px}
.kicker{margin:0;color:var(--accent);font-weight:600;text-transform:uppercase;letter-spacing:.06em;font-size:12px}
h1{font-size:28px;line-height:1.2;margin:4px 0 8px}
h2{font-size:21px;margin:0 0 6px}
h3{font-size:17px;margin:18px 0 8px}
h4{font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:16px 0 6px}
.meta{color:var(--muted);margin:0}
code,.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
.code{color:var(--muted)}
nav{position:sticky;top:0;z-index:1;background:rgba(245,247,250,.96);border-bottom:1px solid var(--line);margin:0 0 8px}
nav ul{max-width:1120px;margin:0 auto;padding:8px 20px;list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:14px}
nav a{color:var(--accent);text-decoration:none}
nav a:hover{text-decoration:underline}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:22px 24px;margin:18px 0}
.intro{color:var(--muted);margin:0 0 14px;max-width:75ch}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px;margin:8px 0 6px}
.tile{border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.tile-value{font-size:clamp(20px,5vw,26px);font-weight:650;line-height:1.15}
.tile-label{color:var(--muted);font-size:13px}
.tile-sub{font-size:13px;color:var(--ink);margin-top:2px}
.callout{border-left:4px solid var(--warn);background:#fff8eb;padding:8px 12px;border-radius:4px}
.callout.attention{margin:14px 0 4px;font-size:14px}
.callout ul{margin:4px 0 0;padding:0;list-style:none}
.callout li{margin:3px 0}
.callout a{color:var(--ink)}
.table-wrap{overflow-x:auto}
table.data{border-collapse:collapse;width:100%;font-size:14px;margin:4px 0 8px}
table.data caption{caption-side:bottom;text-align:left;color:var(--muted);font-size:12px;padding-top:4px}
table.data th,table.data td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
table.data thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line)}
table.data .num{text-align:right;white-space:nowrap}
table.compact th,table.compact td{padding:4px 8px}
table.config th{font-weight:normal;width:38%}
table.config td code{white-space:pre-wrap;word-break:break-word}
figure{margin:18px 0 8px;min-width:0}
figcaption{font-weight:600;margin:0 0 8px}
.svg-wrap{overflow-x:auto}
svg.chart{display:block;max-width:100%;height:auto;font-family:inherit}
.note{color:var(--muted);font-size:13px;margin:4px 0}
details{margin-top:6px;font-size:14px}
summary{cursor:pointer;color:var(--accent);font-size:13px}
.overview-row{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(340px,100%),1fr));gap:8px 32px;align-items:start}
.reasons h3{font-size:15px;margin:18px 0 8px}
.fig-row{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(340px,100%),1fr));gap:8px 32px}
.cards{display:grid;grid-template-columns:minmax(0,1fr);gap:18px}
.card{border:1px solid var(--line);border-top:5px solid var(--accent);border-radius:10px;padding:16px 20px;break-inside:avoid}
.card-header{display:flex;align-items:center;gap:10px;flex-wrap:wrap}
.card-header h3{margin:0;font-size:19px}
.swatch{width:14px;height:14px;border-radius:3px;display:inline-block;flex:none}
.description{font-size:16px;margin:8px 0 10px;max-width:80ch}
.facts{display:flex;flex-wrap:wrap;gap:8px 28px;margin:0 0 4px}
.facts div{min-width:0}
.facts dt{font-size:12px;color:var(--muted)}
.facts dd{margin:0;font-weight:600}
.card-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1.1fr);gap:8px 28px;align-items:start}
.in-card{margin-top:12px}
.verdict{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;border-radius:999px;border:1px solid currentColor;white-space:nowrap}
.verdict.pass{color:var(--pass)}
.verdict.warn{color:var(--warn);background:#fff8eb}
.verdict.fail{color:var(--fail);background:#fdecea}
.check-note{font-size:12px;color:var(--muted)}
.destinations{list-style:none;padding:0;margin:0;font-size:14px}
.destinations li{padding:4px 0;border-bottom:1px solid var(--line)}
.dest-kind{color:var(--muted)}
.dest-note{color:var(--muted);font-size:13px;padding-left:78px}
.status{display:inline-block;min-width:74px;font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.status.published{color:var(--pass)}
.status.failed{color:var(--fail)}
.status.skipped,.status.dry-run{color:var(--muted)}
footer{max-width:1120px;margin:0 auto;padding:0 20px 32px;color:var(--muted);font-size:13px}
@media (max-width:760px){.card-grid{grid-template-columns:minmax(0,1fr)}section{padding:16px}.card{padding:14px}h1{font-size:23px}.fig-row{grid-template-columns:minmax(0,1fr)}svg.chart.wide{min-width:600px}main,.page-header{padding-left:12px;padding-right:12px}}
@media print{
  svg.chart.wide{min-width:0}
  .svg-wrap{overflow:visible}
  @page{margin:14mm}
  body{background:#fff;font-size:11pt}
  nav{display:none}
  main,.page-header,footer{max-width:none;padding-left:0;padding-right:0}
  section{border:none;padding:0;margin:0 0 10mm;break-inside:auto}
  figure,.card,.tile,table{break-inside:avoid}
  h2,h3{break-after:avoid}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  /* Paper cannot be clicked: print the tables behind the charts open, without the toggle. */
  summary{list-style:none;font-size:0;height:0;margin:0;overflow:hidden}
  .table-wrap{overflow:visible}
  details>*{display:block}
  details::details-content{content-visibility:visible;display:block}
  .card-grid{grid-template-columns:minmax(0,1fr)}
}
`;

/** Renders the report as one self-contained HTML document. Throws ReportModelError on an inconsistent model. */
export function renderReport(model: ReportModel): string {
  validate(model);
  const title = model.title ?? `Audience segments: ${model.dataset}`;
  const refs = segmentRefs(model);
  const sections: [string, string, string | undefined][] = [
    ['overview', 'Overview', overview(model, refs)],
    ['segments', 'Segments', refs.length > 0 ? segmentsSection(model, refs) : undefined],
    ['profiles', 'Profiles', heatmapSection(model, refs)],
    ['rfm', 'RFM', rfmSection(model, refs)],
    ['propensity', 'Propensity', propensitySection(model)],
    ['lookalike', 'Lookalike', lookalikeSection(model)],
    ['clv', 'Lifetime value', clvSection(model)],
    ['history', 'History', historySection(model, refs)],
    ['features', 'Features', featuresSection(model)],
    ['config', 'Configuration', configSection(model)],
  ];
  const present = sections.filter((s): s is [string, string, string] => s[2] !== undefined);
  const footer = `<footer>Generated from run <code>${esc(model.runId)}</code> of dataset ${esc(model.dataset)}, data as of ${esc(
    formatDate(model.asOf),
  )}. Figures are counts of customers unless stated; money in ${esc(model.currency)}.</footer>`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="color-scheme" content="light">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    header(model, title),
    nav(present.map(([id, label]) => [id, label])),
    '<main>',
    ...present.map((s) => s[2]),
    '</main>',
    footer,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
