// The segments: one card per segment (who they are, how they differ, validation, destinations), the
// profile heatmap across segments and the cross-tab against classic RFM groups.
import { crossTabChart, heatmap, profileChart } from './charts.js';
import { formatCount, formatNumber, formatPercent, formatValue } from './format.js';
import type { ReportModel } from './model.js';
import {
  esc,
  featureLookup,
  figure,
  formatFeature,
  profileIndex,
  type SegmentRef,
  section,
  share,
  type Table,
  verdictBadge,
  worstVerdict,
} from './parts.js';

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

export function segmentsSection(model: ReportModel, refs: SegmentRef[]): string {
  const feature = featureLookup(model);
  const cards = refs.map((r) => segmentCard(model, r, feature)).join('\n');
  return section(
    'segments',
    'Segments',
    `<div class="cards">\n${cards}\n</div>`,
    'One card per segment: who they are, how they differ from all customers, whether they passed validation, and where they were sent.',
  );
}

export function heatmapSection(model: ReportModel, refs: SegmentRef[]): string | undefined {
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

export function rfmSection(model: ReportModel, refs: SegmentRef[]): string | undefined {
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
