// Hand-written SVG charts for the run report, rendered at build time: no library, no script, no font
// files. Every function is pure and returns one `<svg role="img">` string with `<title>`/`<desc>`; data
// marks carry class "mark" (tests and the browser check count them). Coordinates are rounded to 0.1 so
// the same input always gives byte-identical output.

import { escapeHtml } from './escape.js';
import { formatCompact, formatCount, formatNumber, formatPercent } from './format.js';

/** Colour-blind-safe categorical palette (Okabe–Ito without yellow, which vanishes on white). */
// Ordered so the first five (typical k) avoid the close blue / sky-blue pair.
export const CATEGORICAL = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#000000'];
/** Above / below the population (blue / vermillion: distinguishable with every common colour deficiency). */
export const ABOVE = '#0072B2';
export const BELOW = '#D55E00';
const INK = '#1f2933';
const MUTED = '#52606d';
const GRID = '#e4e7eb';
const AXIS = '#9aa5b1';
const BAR = '#3b6e99';

/** Identity and accessible text of a chart. `id` must be unique in the page; it prefixes inner ids. */
export interface ChartText {
  id: string;
  /** Short accessible name (the `<title>`). */
  title: string;
  /** Text alternative: what the chart shows and its main finding (the `<desc>`). */
  desc: string;
}

/** Rounds a coordinate to 0.1 and prints it without "-0" or float noise. */
function n(v: number): string {
  const r = Math.round(v * 10) / 10;
  return Object.is(r, -0) || r === 0 ? '0' : String(r);
}

/** Approximate rendered width of text in a sans-serif font; SVG cannot measure at build time. */
export function textWidth(text: string, fontSize: number): number {
  // Errs wide (DejaVu Sans, the widest common fallback, is what Linux browsers pick): clipping a
  // label is worse than a few pixels of slack.
  let units = 0;
  for (const ch of text) {
    if ("ilIjtf.,:;|!'()[]".includes(ch)) units += 0.34;
    else if ('mwMW@%'.includes(ch)) units += 0.95;
    else if (ch >= 'A' && ch <= 'Z') units += 0.72;
    else if (ch === ' ') units += 0.32;
    else units += 0.62;
  }
  return units * fontSize;
}

/** Greedy word wrap into at most `maxLines` lines of about `maxWidth` pixels; the last line is ellipsised. */
export function wrapText(text: string, maxWidth: number, fontSize: number, maxLines = 2): string[] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (textWidth(candidate, fontSize) <= maxWidth || line === '') line = candidate;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  let last = `${kept[maxLines - 1]} ${lines.slice(maxLines).join(' ')}`;
  while (textWidth(`${last}…`, fontSize) > maxWidth && last.length > 1) last = last.slice(0, -1);
  kept[maxLines - 1] = `${last.trimEnd()}…`;
  return kept;
}

/** Truncates one line of text to a pixel width with an ellipsis. */
function truncate(text: string, maxWidth: number, fontSize: number): string {
  if (textWidth(text, fontSize) <= maxWidth) return text;
  let t = text;
  while (t.length > 1 && textWidth(`${t}…`, fontSize) > maxWidth) t = t.slice(0, -1);
  return `${t.trimEnd()}…`;
}

// Wide charts get class "wide": on a phone they scroll sideways instead of shrinking text to 5 px.
function svgOpen(c: ChartText, width: number, height: number): string {
  const id = escapeHtml(c.id);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="${width >= 700 ? 'chart wide' : 'chart'}" viewBox="0 0 ${n(width)} ${n(height)}" ` +
    `width="${n(width)}" height="${n(height)}" role="img" aria-labelledby="${id}-title ${id}-desc" ` +
    `font-size="12" fill="${INK}">` +
    `<title id="${id}-title">${escapeHtml(c.title)}</title><desc id="${id}-desc">${escapeHtml(c.desc)}</desc>`
  );
}

interface TextOpts {
  anchor?: 'start' | 'middle' | 'end';
  size?: number;
  fill?: string;
  weight?: 'bold' | 'normal';
  baseline?: 'middle' | 'hanging' | 'auto';
  cls?: string;
}

function text(x: number, y: number, content: string, o: TextOpts = {}): string {
  const attrs = [`x="${n(x)}"`, `y="${n(y)}"`];
  if (o.anchor !== undefined && o.anchor !== 'start') attrs.push(`text-anchor="${o.anchor}"`);
  if (o.size !== undefined) attrs.push(`font-size="${o.size}"`);
  if (o.fill !== undefined) attrs.push(`fill="${o.fill}"`);
  if (o.weight === 'bold') attrs.push('font-weight="600"');
  if (o.baseline === 'middle') attrs.push('dominant-baseline="central"');
  if (o.cls !== undefined) attrs.push(`class="${o.cls}"`);
  return `<text ${attrs.join(' ')}>${escapeHtml(content)}</text>`;
}

/** Multi-line centred or anchored label from pre-wrapped lines, vertically centred on `y`. */
function textLines(
  x: number,
  y: number,
  lines: string[],
  o: TextOpts & { lineHeight?: number } = {},
): string {
  const lh = o.lineHeight ?? 13;
  const top = y - ((lines.length - 1) * lh) / 2;
  return lines.map((line, i) => text(x, top + i * lh, line, { ...o, baseline: 'middle' })).join('');
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string, extra = ''): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${stroke}"${extra}/>`;
}

/** "Nice" axis ticks (1, 2, 2.5, 5 × 10^k) covering [min, max]. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(min / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let t = first; t < max + step - 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

// ---------------------------------------------------------------------------------------------------
// Horizontal bars

export interface Bar {
  label: string;
  value: number;
  /** Text printed after the bar, e.g. "12,345 · 25.6 %". */
  valueLabel: string;
  color?: string;
}

export interface HorizontalBarOptions extends ChartText {
  bars: Bar[];
  /** Scale maximum; defaults to the largest value. */
  max?: number;
  width?: number;
}

/** One bar per row, lengths proportional to value from a zero baseline, values printed at the bar end. */
export function horizontalBarChart(o: HorizontalBarOptions): string {
  const width = o.width ?? 640;
  const rowH = 30;
  const barH = 18;
  const top = 8;
  const labelW = Math.min(210, Math.max(60, ...o.bars.map((b) => textWidth(b.label, 13) + 14)));
  const valueW = Math.min(170, Math.max(50, ...o.bars.map((b) => textWidth(b.valueLabel, 12) + 10)));
  const plotW = width - labelW - valueW;
  const max = o.max ?? Math.max(0, ...o.bars.map((b) => b.value));
  const height = top * 2 + rowH * o.bars.length;
  const parts = [svgOpen(o, width, height)];
  parts.push(line(labelW, top - 4, labelW, height - top + 4, AXIS));
  o.bars.forEach((b, i) => {
    const y = top + i * rowH + (rowH - barH) / 2;
    const w = max > 0 ? (Math.max(0, b.value) / max) * plotW : 0;
    const cy = y + barH / 2;
    parts.push(
      text(labelW - 8, cy, truncate(b.label, labelW - 12, 13), {
        anchor: 'end',
        baseline: 'middle',
        size: 13,
      }),
    );
    parts.push(
      `<rect class="mark bar" x="${n(labelW)}" y="${n(y)}" width="${n(w)}" height="${barH}" rx="2" fill="${b.color ?? BAR}"/>`,
    );
    parts.push(text(labelW + w + 6, cy, b.valueLabel, { baseline: 'middle', fill: MUTED }));
  });
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------------
// Profile vs population (index, 100 = population)

export interface ProfileItem {
  label: string;
  /** Segment value / population value × 100; null when the population value is zero. */
  index: number | null;
}

export interface ProfileOptions extends ChartText {
  items: ProfileItem[];
  width?: number;
}

const PROFILE_TICKS = [25, 50, 100, 200, 400];

/**
 * Diverging bars from the population line (index 100) on a log scale, so "half" and "double" are the
 * same distance either side. Indices beyond 25–400 are clipped to the edge and marked with an arrow.
 */
export function profileChart(o: ProfileOptions): string {
  const width = o.width ?? 520;
  const rowH = 24;
  const top = 24;
  const labelW = Math.min(190, Math.max(80, ...o.items.map((it) => textWidth(it.label, 12) + 12)));
  const valueW = 44;
  // Room left of the plot for the arrow that marks an index clipped below 25.
  const plotL = labelW + 14;
  const plotR = width - valueW;
  const lo = Math.log2(PROFILE_TICKS[0]);
  const hi = Math.log2(PROFILE_TICKS[PROFILE_TICKS.length - 1]);
  const x = (index: number): number => {
    const l = Math.min(hi, Math.max(lo, Math.log2(Math.max(index, 1e-9))));
    return plotL + ((l - lo) / (hi - lo)) * (plotR - plotL);
  };
  const height = top + rowH * o.items.length + 8;
  const parts = [svgOpen(o, width, height)];
  for (const t of PROFILE_TICKS) {
    const tx = x(t);
    parts.push(
      line(tx, top - 4, tx, height - 8, t === 100 ? AXIS : GRID, t === 100 ? ' stroke-width="1.5"' : ''),
    );
    parts.push(
      text(tx, top - 10, t === 100 ? '100 = all customers' : String(t), {
        anchor: 'middle',
        size: 11,
        fill: MUTED,
      }),
    );
  }
  const x100 = x(100);
  o.items.forEach((it, i) => {
    const cy = top + i * rowH + rowH / 2;
    parts.push(text(labelW, cy, truncate(it.label, labelW - 4, 12), { anchor: 'end', baseline: 'middle' }));
    if (it.index === null || !Number.isFinite(it.index)) {
      parts.push(text(x100 + 6, cy, 'n/a', { baseline: 'middle', fill: MUTED }));
      return;
    }
    const xi = x(it.index);
    const color = it.index >= 100 ? ABOVE : BELOW;
    const left = Math.min(xi, x100);
    const w = Math.abs(xi - x100);
    parts.push(
      `<rect class="mark bar" x="${n(left)}" y="${n(cy - 6)}" width="${n(w)}" height="12" rx="2" fill="${color}" fill-opacity="0.85"/>`,
    );
    const clipped = it.index > PROFILE_TICKS[PROFILE_TICKS.length - 1] || it.index < PROFILE_TICKS[0];
    if (clipped) {
      const dir = it.index > 100 ? 1 : -1;
      parts.push(
        `<path d="M${n(xi)} ${n(cy - 7)}L${n(xi + dir * 7)} ${n(cy)}L${n(xi)} ${n(cy + 7)}Z" fill="${color}"/>`,
      );
    }
    parts.push(
      text(width - 4, cy, formatNumber(it.index, 0), { anchor: 'end', baseline: 'middle', fill: MUTED }),
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------------
// Colour scales

function hexToRgb(hex: string): [number, number, number] {
  const v = Number.parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function mix(a: string, b: string, t: number): string {
  const ca = hexToRgb(a);
  const cb = hexToRgb(b);
  const out = ca.map((c, i) => Math.round(c + (cb[i] - c) * t));
  return `#${out.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

function ramp(stops: string[], t: number): string {
  const u = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  return mix(stops[i], stops[i + 1], u - i);
}

/** Orange → near-white → blue (PuOr-like, colour-blind safe). */
const DIVERGING = ['#b35806', '#f1a340', '#f7f7f7', '#67a9cf', '#2166ac'];
/** White → blue, for counts and shares. */
const SEQUENTIAL = ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'];

/** Diverging colour for an index (100 = neutral), log scale saturating at 25 and 400. */
export function divergingColor(index: number): string {
  const t = Math.log2(Math.max(index, 1e-9) / 100) / 2;
  return ramp(DIVERGING, (t + 1) / 2);
}

/** Sequential colour for a share in 0–1. */
export function sequentialColor(share: number): string {
  return ramp(SEQUENTIAL, Math.sqrt(Math.max(0, share)));
}

/** Dark or light text, whichever reads on the given fill. */
function inkOn(fill: string): string {
  const [r, g, b] = hexToRgb(fill).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.3 ? '#ffffff' : INK;
}

// ---------------------------------------------------------------------------------------------------
// Heatmap (diverging)

export interface HeatmapOptions extends ChartText {
  /** Row labels (e.g. features). */
  rows: string[];
  /** Column labels (e.g. segments). */
  cols: string[];
  /** values[r][c] as an index (100 = population); null = not available. */
  values: (number | null)[][];
  width?: number;
}

/** Profile heatmap: one cell per (row, column), coloured on a diverging scale centred on index 100. */
export function heatmap(o: HeatmapOptions): string {
  const width = o.width ?? 880;
  const labelW = Math.min(200, Math.max(80, ...o.rows.map((r) => textWidth(r, 12) + 12)));
  const cellW = (width - labelW - 4) / Math.max(1, o.cols.length);
  const cellH = 28;
  const headerH = 40;
  const legendH = 46;
  const top = headerH;
  const height = top + cellH * o.rows.length + legendH;
  const parts = [svgOpen(o, width, height)];
  o.cols.forEach((c, j) => {
    const lines = wrapText(c, cellW - 6, 12, 2);
    parts.push(
      textLines(labelW + cellW * (j + 0.5), headerH / 2, lines, { anchor: 'middle', weight: 'bold' }),
    );
  });
  o.rows.forEach((r, i) => {
    const y = top + i * cellH;
    parts.push(
      text(labelW - 8, y + cellH / 2, truncate(r, labelW - 12, 12), { anchor: 'end', baseline: 'middle' }),
    );
    o.cols.forEach((_, j) => {
      const v = o.values[i]?.[j] ?? null;
      const fill = v === null || !Number.isFinite(v) ? '#ffffff' : divergingColor(v);
      const x = labelW + j * cellW;
      parts.push(
        `<rect class="mark cell" x="${n(x + 1)}" y="${n(y + 1)}" width="${n(cellW - 2)}" height="${cellH - 2}" fill="${fill}"/>`,
      );
      const label = v === null || !Number.isFinite(v) ? 'n/a' : formatNumber(v, 0);
      parts.push(
        text(x + cellW / 2, y + cellH / 2, label, {
          anchor: 'middle',
          baseline: 'middle',
          fill: inkOn(fill),
        }),
      );
    });
  });
  parts.push(
    divergingLegend(o.id, labelW + 8, top + cellH * o.rows.length + 14, Math.min(300, width - labelW - 180)),
  );
  parts.push('</svg>');
  return parts.join('');
}

function divergingLegend(id: string, x: number, y: number, w: number): string {
  const gid = `${escapeHtml(id)}-grad`;
  const stops = DIVERGING.map(
    (c, i) => `<stop offset="${n((i / (DIVERGING.length - 1)) * 100)}%" stop-color="${c}"/>`,
  );
  const parts = [
    `<defs><linearGradient id="${gid}" x1="0" x2="1" y1="0" y2="0">${stops.join('')}</linearGradient></defs>`,
  ];
  parts.push(
    `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="10" fill="url(#${gid})" stroke="${GRID}"/>`,
  );
  PROFILE_TICKS.forEach((t, i) => {
    const tx = x + (i / (PROFILE_TICKS.length - 1)) * w;
    parts.push(line(tx, y + 10, tx, y + 14, AXIS));
    parts.push(text(tx, y + 25, String(t), { anchor: 'middle', size: 11, fill: MUTED }));
  });
  parts.push(text(x - 8, y + 9, 'below', { anchor: 'end', size: 11, fill: MUTED }));
  parts.push(text(x + w + 8, y + 9, 'above all customers', { size: 11, fill: MUTED }));
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------------
// Cross-tab heat table (sequential)

export interface CrossTabOptions extends ChartText {
  rows: string[];
  cols: string[];
  /** counts[r][c]; cells are shaded by their share of the row. */
  counts: number[][];
  width?: number;
}

/** Counts per (row, column) with each cell's share of its row; colour encodes the row share. */
export function crossTabChart(o: CrossTabOptions): string {
  const width = o.width ?? 880;
  const labelW = Math.min(200, Math.max(80, ...o.rows.map((r) => textWidth(r, 12) + 12)));
  const cellW = (width - labelW - 4) / Math.max(1, o.cols.length);
  const cellH = 40;
  const headerH = 40;
  const height = headerH + cellH * o.rows.length + 4;
  const parts = [svgOpen(o, width, height)];
  o.cols.forEach((c, j) => {
    parts.push(
      textLines(labelW + cellW * (j + 0.5), headerH / 2, wrapText(c, cellW - 6, 12, 2), {
        anchor: 'middle',
        weight: 'bold',
      }),
    );
  });
  o.rows.forEach((r, i) => {
    const y = headerH + i * cellH;
    const rowCounts = o.counts[i] ?? [];
    const total = rowCounts.reduce((s, v) => s + v, 0);
    parts.push(
      text(labelW - 8, y + cellH / 2, truncate(r, labelW - 12, 12), { anchor: 'end', baseline: 'middle' }),
    );
    o.cols.forEach((_, j) => {
      const count = rowCounts[j] ?? 0;
      const share = total > 0 ? count / total : 0;
      const fill = sequentialColor(share);
      const ink = inkOn(fill);
      const x = labelW + j * cellW;
      parts.push(
        `<rect class="mark cell" x="${n(x + 1)}" y="${n(y + 1)}" width="${n(cellW - 2)}" height="${cellH - 2}" fill="${fill}"/>`,
      );
      parts.push(
        text(x + cellW / 2, y + cellH / 2 - 7, formatPercent(share, 0), {
          anchor: 'middle',
          baseline: 'middle',
          fill: ink,
          weight: 'bold',
        }),
      );
      parts.push(
        text(x + cellW / 2, y + cellH / 2 + 8, formatCount(count), {
          anchor: 'middle',
          baseline: 'middle',
          fill: ink,
          size: 10,
        }),
      );
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------------
// Line chart over runs

export interface LineSeries {
  name: string;
  /** One value per x label; null = no value (gap). */
  values: (number | null)[];
  color?: string;
}

export interface LineChartOptions extends ChartText {
  /** One label per point; "\n" starts a second line. */
  xLabels: string[];
  series: LineSeries[];
  yFormat: (v: number) => string;
  /** Fixed y range; defaults to 0 … nice max. */
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
}

/** Lines with point markers and direct labels at their last point (no legend to decode). */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 260;
  const all = o.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const dataMax = all.length > 0 ? Math.max(...all) : 1;
  const ticks = niceTicks(o.yMin ?? 0, o.yMax ?? dataMax, 4);
  const yMin = o.yMin ?? 0;
  const yMax = o.yMax ?? ticks[ticks.length - 1];
  const labelW = Math.min(190, Math.max(40, ...o.series.map((s) => textWidth(s.name, 12) + 16)));
  const axisW = Math.max(...ticks.map((t) => textWidth(o.yFormat(t), 11))) + 12;
  const plotL = axisW + 4;
  const plotR = width - labelW;
  const plotT = 12;
  const plotB = height - (o.xLabels.some((l) => l.includes('\n')) ? 40 : 28);
  const xs = (i: number): number =>
    o.xLabels.length <= 1
      ? (plotL + plotR) / 2
      : plotL + 12 + (i / (o.xLabels.length - 1)) * (plotR - plotL - 24);
  const ys = (v: number): number => plotB - ((v - yMin) / (yMax - yMin || 1)) * (plotB - plotT);
  const parts = [svgOpen(o, width, height)];
  for (const t of ticks) {
    if (t < yMin - 1e-9 || t > yMax + 1e-9) continue;
    parts.push(line(plotL, ys(t), plotR, ys(t), GRID));
    parts.push(
      text(plotL - 6, ys(t), o.yFormat(t), { anchor: 'end', baseline: 'middle', size: 11, fill: MUTED }),
    );
  }
  o.xLabels.forEach((l, i) => {
    l.split('\n').forEach((part, k) => {
      parts.push(text(xs(i), plotB + 16 + k * 13, part, { anchor: 'middle', size: 11, fill: MUTED }));
    });
  });
  const ends: { y: number; name: string; color: string }[] = [];
  o.series.forEach((s, si) => {
    const color = s.color ?? CATEGORICAL[si % CATEGORICAL.length];
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${n(xs(i))} ${n(ys(v))}`;
      pen = true;
    });
    if (d !== '')
      parts.push(
        `<path class="mark line" d="${d}" fill="none" stroke="${color}" stroke-width="2.5" stroke-linejoin="round"/>`,
      );
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      parts.push(
        `<circle class="mark point" cx="${n(xs(i))}" cy="${n(ys(v))}" r="3.5" fill="#ffffff" stroke="${color}" stroke-width="2"/>`,
      );
    });
    for (let i = s.values.length - 1; i >= 0; i--) {
      const v = s.values[i];
      if (v !== null && Number.isFinite(v)) {
        ends.push({ y: ys(v), name: s.name, color });
        break;
      }
    }
  });
  // Direct labels: keep them in data order but push apart so they never overlap.
  const sorted = [...ends].sort((a, b) => a.y - b.y);
  for (let i = 1; i < sorted.length; i++) sorted[i].y = Math.max(sorted[i].y, sorted[i - 1].y + 15);
  const overflow = sorted.length > 0 ? sorted[sorted.length - 1].y - (height - 6) : 0;
  for (const e of sorted) {
    const y = overflow > 0 ? e.y - overflow : e.y;
    parts.push(
      text(plotR + 8, y, truncate(e.name, labelW - 10, 12), {
        baseline: 'middle',
        fill: e.color === '#000000' ? INK : e.color,
        weight: 'bold',
      }),
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------------
// Histogram

export interface HistogramOptions extends ChartText {
  /** Equal-width bins in order; the last may be open-ended. */
  bins: { from: number; to?: number; count: number }[];
  xFormat: (v: number) => string;
  /** Axis title under the bins, e.g. "Predicted 12-month value". */
  xTitle: string;
  width?: number;
  height?: number;
}

/** Adjacent bars, one per bin, heights proportional to the count; bin edges labelled on the x axis. */
export function histogram(o: HistogramOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 280;
  const max = Math.max(1, ...o.bins.map((b) => b.count));
  const ticks = niceTicks(0, max, 4);
  const yMax = ticks[ticks.length - 1];
  const axisW = Math.max(...ticks.map((t) => textWidth(formatCompact(t), 11))) + 12;
  const plotL = axisW + 4;
  const plotR = width - 12;
  const plotT = 12;
  const plotB = height - 46;
  const binW = (plotR - plotL) / Math.max(1, o.bins.length);
  const ys = (v: number): number => plotB - (v / yMax) * (plotB - plotT);
  const parts = [svgOpen(o, width, height)];
  for (const t of ticks) {
    parts.push(line(plotL, ys(t), plotR, ys(t), GRID));
    parts.push(
      text(plotL - 6, ys(t), formatCompact(t), { anchor: 'end', baseline: 'middle', size: 11, fill: MUTED }),
    );
  }
  const every = Math.max(1, Math.ceil(o.bins.length / Math.max(1, Math.floor((plotR - plotL) / 56))));
  o.bins.forEach((b, i) => {
    const x = plotL + i * binW;
    const y = ys(b.count);
    parts.push(
      `<rect class="mark bar" x="${n(x + 0.5)}" y="${n(y)}" width="${n(binW - 1)}" height="${n(plotB - y)}" fill="${BAR}"/>`,
    );
    if (i % every === 0)
      parts.push(text(x, plotB + 16, o.xFormat(b.from), { anchor: 'middle', size: 11, fill: MUTED }));
  });
  const last = o.bins[o.bins.length - 1];
  if (last !== undefined) {
    const endLabel = last.to === undefined ? `${o.xFormat(last.from)}+` : o.xFormat(last.to);
    if (last.to !== undefined && o.bins.length % every === 0)
      parts.push(text(plotR, plotB + 16, endLabel, { anchor: 'middle', size: 11, fill: MUTED }));
    else if (last.to === undefined)
      parts.push(
        text(plotR - binW / 2, plotB + 30, 'and above', { anchor: 'middle', size: 10, fill: MUTED }),
      );
  }
  parts.push(line(plotL, plotB, plotR, plotB, AXIS));
  parts.push(text((plotL + plotR) / 2, height - 6, o.xTitle, { anchor: 'middle', size: 11, fill: MUTED }));
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------------
// Lift by decile

export interface LiftOptions extends ChartText {
  /** Decile 1 = highest scores. `lift` = decile rate / base rate. */
  deciles: { decile: number; lift: number }[];
  width?: number;
  height?: number;
}

/** Vertical bars of lift per score decile, with the "no model" line at 1×. */
export function liftChart(o: LiftOptions): string {
  const width = o.width ?? 420;
  const height = o.height ?? 260;
  const max = Math.max(1.5, ...o.deciles.map((d) => d.lift));
  const ticks = niceTicks(0, max, 4);
  const yMax = ticks[ticks.length - 1];
  const plotL = 36;
  const plotR = width - 10;
  const plotT = 16;
  const plotB = height - 40;
  const slot = (plotR - plotL) / Math.max(1, o.deciles.length);
  const ys = (v: number): number => plotB - (v / yMax) * (plotB - plotT);
  const parts = [svgOpen(o, width, height)];
  for (const t of ticks) {
    parts.push(line(plotL, ys(t), plotR, ys(t), GRID));
    parts.push(
      text(plotL - 6, ys(t), `${formatNumber(t, t % 1 === 0 ? 0 : 1)}×`, {
        anchor: 'end',
        baseline: 'middle',
        size: 11,
        fill: MUTED,
      }),
    );
  }
  o.deciles.forEach((d, i) => {
    const x = plotL + i * slot + slot * 0.15;
    const w = slot * 0.7;
    const y = ys(Math.max(0, d.lift));
    parts.push(
      `<rect class="mark bar" x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(plotB - y)}" fill="${d.lift >= 1 ? ABOVE : '#9ec3de'}"/>`,
    );
    parts.push(
      text(x + w / 2, y - 4, `${formatNumber(d.lift, 1)}×`, { anchor: 'middle', size: 10, fill: MUTED }),
    );
    parts.push(text(x + w / 2, plotB + 14, String(d.decile), { anchor: 'middle', size: 11, fill: MUTED }));
  });
  parts.push(line(plotL, ys(1), plotR, ys(1), INK, ' stroke-dasharray="4 3" stroke-width="1.5"'));
  parts.push(text(plotR, ys(1) - 5, 'no model = 1×', { anchor: 'end', size: 10, fill: INK }));
  parts.push(line(plotL, plotB, plotR, plotB, AXIS));
  parts.push(
    text((plotL + plotR) / 2, height - 6, 'Score decile (1 = highest scores)', {
      anchor: 'middle',
      size: 11,
      fill: MUTED,
    }),
  );
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------------
// Calibration

export interface CalibrationOptions extends ChartText {
  points: { predicted: number; observed: number; customers: number }[];
  width?: number;
}

/** Observed vs predicted rate per bin, points sized by customers, against the perfect-calibration diagonal. */
export function calibrationChart(o: CalibrationOptions): string {
  const width = o.width ?? 420;
  const height = width * 0.62 + 30;
  const maxV = Math.max(0.05, ...o.points.flatMap((p) => [p.predicted, p.observed]));
  const ticks = niceTicks(0, maxV, 4);
  const top = ticks[ticks.length - 1];
  const plotL = 46;
  const plotB = height - 40;
  const plotT = 12;
  const side = plotB - plotT;
  const plotR = plotL + side;
  const xs = (v: number): number => plotL + (v / top) * side;
  const ys = (v: number): number => plotB - (v / top) * side;
  const maxCustomers = Math.max(1, ...o.points.map((p) => p.customers));
  const parts = [svgOpen(o, width, height)];
  for (const t of ticks) {
    parts.push(line(plotL, ys(t), plotR, ys(t), GRID));
    parts.push(line(xs(t), plotT, xs(t), plotB, GRID));
    parts.push(
      text(plotL - 6, ys(t), formatPercent(t, 0), {
        anchor: 'end',
        baseline: 'middle',
        size: 11,
        fill: MUTED,
      }),
    );
    parts.push(text(xs(t), plotB + 14, formatPercent(t, 0), { anchor: 'middle', size: 11, fill: MUTED }));
  }
  parts.push(
    `<line class="diagonal" x1="${n(xs(0))}" y1="${n(ys(0))}" x2="${n(xs(top))}" y2="${n(ys(top))}" stroke="${INK}" stroke-dasharray="4 3" stroke-width="1.5"/>`,
  );
  const sortedPts = [...o.points].sort((a, b) => a.predicted - b.predicted);
  const d = sortedPts
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${n(xs(p.predicted))} ${n(ys(p.observed))}`)
    .join('');
  if (d !== '')
    parts.push(
      `<path class="mark line" d="${d}" fill="none" stroke="${ABOVE}" stroke-width="1.5" stroke-opacity="0.6"/>`,
    );
  for (const p of sortedPts) {
    const r = 3 + 5 * Math.sqrt(p.customers / maxCustomers);
    parts.push(
      `<circle class="mark point" cx="${n(xs(p.predicted))}" cy="${n(ys(p.observed))}" r="${n(r)}" fill="${ABOVE}" fill-opacity="0.75" stroke="#ffffff"/>`,
    );
  }
  parts.push(line(plotL, plotB, plotR, plotB, AXIS));
  parts.push(line(plotL, plotT, plotL, plotB, AXIS));
  parts.push(
    text((plotL + plotR) / 2, height - 6, 'Predicted probability', {
      anchor: 'middle',
      size: 11,
      fill: MUTED,
    }),
  );
  const lx = plotR + 14;
  parts.push(text(lx, plotT + 10, 'Observed rate', { size: 11, fill: MUTED }));
  parts.push(text(lx, plotT + 24, '(vertical axis)', { size: 10, fill: MUTED }));
  parts.push(line(lx, plotT + 44, lx + 18, plotT + 44, INK, ' stroke-dasharray="4 3" stroke-width="1.5"'));
  parts.push(text(lx + 24, plotT + 44, 'perfect', { baseline: 'middle', size: 11, fill: MUTED }));
  parts.push(`<circle cx="${n(lx + 9)}" cy="${n(plotT + 62)}" r="5" fill="${ABOVE}" fill-opacity="0.75"/>`);
  parts.push(text(lx + 24, plotT + 62, 'score bin', { baseline: 'middle', size: 11, fill: MUTED }));
  parts.push('</svg>');
  return parts.join('');
}
