// The report's overview: headline tiles, row accounting, what needs attention first, the run's own
// checks, segment sizes and the top rejection reasons.
import { horizontalBarChart } from './charts.js';
import { formatCount, formatPercent, formatValue } from './format.js';
import type { ReportModel } from './model.js';
import {
  esc,
  figure,
  renderTable,
  type SegmentRef,
  section,
  share,
  VERDICT_TEXT,
  verdictBadge,
} from './parts.js';

/** How many rejection reasons the overview lists. */
const TOP_REJECTION_REASONS = 5;

export function overview(model: ReportModel, refs: SegmentRef[]): string {
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
