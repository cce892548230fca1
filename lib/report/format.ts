// Number and date formatting for people, hand-rolled so the output is byte-identical on every Node
// version and ICU build: 12,345 customers · 23.4 % · $1,234 · 22 Nov 2026.

import type { ValueFormat } from './model.js';

/** No-break space between a number and its unit, so "23.4 %" never wraps. */
export const NBSP = '\u00a0';
const MINUS = '\u2212';

function groupDigits(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Fixed decimals with thousands separators and a typographic minus: 12,345.6 · −3.2. */
export function formatNumber(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  const fixed = Math.abs(value).toFixed(decimals);
  const isZero = Number(fixed) === 0;
  const [intPart, frac] = fixed.split('.');
  const body = frac === undefined ? groupDigits(intPart) : `${groupDigits(intPart)}.${frac}`;
  return value < 0 && !isZero ? `${MINUS}${body}` : body;
}

/** Whole count: 12,345. */
export function formatCount(value: number): string {
  return formatNumber(Math.round(value), 0);
}

/** A share in 0–1 as a percentage: 0.234 → "23.4 %". */
export function formatPercent(share: number, decimals = 1): string {
  if (!Number.isFinite(share)) return 'n/a';
  return `${formatNumber(share * 100, decimals)}${NBSP}%`;
}

const SYMBOLS: Record<string, string> = { USD: '$', EUR: '€', GBP: '£', JPY: '¥', AUD: 'A$', CAD: 'C$' };

/** Money in whole units: $1,234; below 10 units, cents are kept ($4.50). Unknown codes: "1,234 SEK". */
export function formatCurrency(amount: number, currency: string, decimals?: number): string {
  if (!Number.isFinite(amount)) return 'n/a';
  const places = decimals ?? (Math.abs(amount) < 10 && amount !== Math.round(amount) ? 2 : 0);
  const symbol = SYMBOLS[currency.toUpperCase()];
  const body = formatNumber(Math.abs(amount), places);
  const sign = amount < 0 && Number(Math.abs(amount).toFixed(places)) !== 0 ? MINUS : '';
  return symbol === undefined ? `${sign}${body}${NBSP}${currency}` : `${sign}${symbol}${body}`;
}

/** Compact axis label: 950 · 12k · 1.2M. */
export function formatCompact(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${formatNumber(value / 1e6, abs % 1e6 === 0 ? 0 : 1)}M`;
  if (abs >= 1e4) return `${formatNumber(value / 1e3, 0)}k`;
  if (abs >= 1e3) return `${formatNumber(value / 1e3, abs % 1e3 === 0 ? 0 : 1)}k`;
  return formatNumber(value, Number.isInteger(value) ? 0 : 1);
}

/** Money for axis ticks: $950 · $12k · $1.2M. */
export function formatCurrencyCompact(amount: number, currency: string): string {
  if (Math.abs(amount) < 10_000) return formatCurrency(amount, currency, 0);
  const symbol = SYMBOLS[currency.toUpperCase()];
  const sign = amount < 0 ? MINUS : '';
  const body = formatCompact(Math.abs(amount));
  return symbol === undefined ? `${sign}${body}${NBSP}${currency}` : `${sign}${symbol}${body}`;
}

/** Formats a value by its declared kind; `currency` is the report's ISO code. */
export function formatValue(value: number, format: ValueFormat, currency: string): string {
  switch (format) {
    case 'count':
      return formatCount(value);
    case 'percent':
      return formatPercent(value);
    case 'currency':
      return formatCurrency(value, currency);
    case 'days':
      return `${formatNumber(value, Math.abs(value) < 10 ? 1 : 0)}${NBSP}days`;
    case 'decimal':
      return formatNumber(value, 2);
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * ISO date or date-time → "21 Nov 2026" or "21 Nov 2026, 06:30 UTC" (the clock time as written; "UTC" only
 * when the text says so). Unparseable text is returned as is.
 */
export function formatDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(iso);
  if (m === null) return iso;
  const month = MONTHS[Number(m[2]) - 1];
  if (month === undefined) return iso;
  const date = `${Number(m[3])} ${month} ${m[1]}`;
  if (m[4] === undefined) return date;
  return `${date}, ${m[4]}:${m[5]}${/(Z|[+-]00:?00)$/i.test(iso) ? ' UTC' : ''}`;
}
