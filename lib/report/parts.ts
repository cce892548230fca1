// Building blocks every section of the report uses: tables, figures (a chart with the numbers behind
// it), sections, verdict badges, each segment's anchor and colour, and feature values in their units.
import { CATEGORICAL } from './charts.js';
import { escapeHtml, toIdFragment } from './escape.js';
import { formatCurrency, formatNumber, formatPercent, formatValue } from './format.js';
import type {
  FeatureDefinition,
  FeatureUnit,
  ReportModel,
  SegmentCard,
  ValidationCheck,
  Verdict,
} from './model.js';

export const esc = escapeHtml;

export interface Table {
  head: string[];
  rows: string[][];
  /** Columns holding numbers, right-aligned with tabular figures. */
  numeric?: number[];
  caption?: string;
}

export function renderTable(t: Table, cls = 'data'): string {
  const numeric = new Set(t.numeric ?? []);
  const cell = (tag: 'th' | 'td', v: string, j: number): string =>
    `<${tag}${numeric.has(j) ? ' class="num"' : ''}${tag === 'th' ? ' scope="col"' : ''}>${esc(v)}</${tag}>`;
  const head = `<thead><tr>${t.head.map((h, j) => cell('th', h, j)).join('')}</tr></thead>`;
  const body = t.rows.map((r) => `<tr>${r.map((v, j) => cell('td', v, j)).join('')}</tr>`).join('\n');
  const caption = t.caption === undefined ? '' : `<caption>${esc(t.caption)}</caption>`;
  return `<div class="table-wrap"><table class="${cls}">${caption}${head}<tbody>\n${body}\n</tbody></table></div>`;
}

export interface FigureParts {
  id: string;
  caption: string;
  svg: string;
  table: Table;
  note?: string;
  cls?: string;
}

/** A chart as a figure: caption, the SVG, an optional note, and the numbers behind it in a table. */
export function figure(f: FigureParts): string {
  const note = f.note === undefined ? '' : `<p class="note">${esc(f.note)}</p>`;
  return (
    `<figure id="${esc(f.id)}" class="${f.cls ?? 'chart-figure'}">\n` +
    `<figcaption>${esc(f.caption)}</figcaption>\n<div class="svg-wrap">${f.svg}</div>\n${note}` +
    `<details><summary>Show the numbers behind this chart</summary>\n${renderTable(f.table)}</details>\n</figure>`
  );
}

export function section(id: string, title: string, body: string, intro?: string): string {
  const lead = intro === undefined ? '' : `<p class="intro">${esc(intro)}</p>\n`;
  return `<section id="${id}" aria-labelledby="${id}-h">\n<h2 id="${id}-h">${esc(title)}</h2>\n${lead}${body}\n</section>`;
}

export function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

/** Per-segment identity used across sections: anchor id, colour. */
export interface SegmentRef {
  segment: SegmentCard;
  anchor: string;
  color: string;
}

export function segmentRefs(model: ReportModel): SegmentRef[] {
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

export function featureLookup(model: ReportModel): (name: string) => FeatureDefinition | undefined {
  const byName = new Map((model.features ?? []).map((f) => [f.name, f]));
  return (name) => byName.get(name);
}

export function formatFeature(value: number, unit: FeatureUnit | undefined, currency: string): string {
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

export function profileIndex(segmentValue: number, populationValue: number): number | null {
  if (populationValue === 0 || !Number.isFinite(segmentValue) || !Number.isFinite(populationValue))
    return null;
  return (segmentValue / populationValue) * 100;
}

export const VERDICT_TEXT: Record<Verdict, [string, string]> = {
  pass: ['✓', 'Pass'],
  warn: ['!', 'Check'],
  fail: ['✕', 'Fail'],
};

export function verdictBadge(v: Verdict): string {
  const [icon, word] = VERDICT_TEXT[v];
  return `<span class="verdict ${v}"><span aria-hidden="true">${icon}</span> ${word}</span>`;
}

export function worstVerdict(checks: ValidationCheck[]): Verdict | undefined {
  if (checks.length === 0) return undefined;
  if (checks.some((c) => c.verdict === 'fail')) return 'fail';
  if (checks.some((c) => c.verdict === 'warn')) return 'warn';
  return 'pass';
}
