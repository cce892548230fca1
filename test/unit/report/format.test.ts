import { describe, expect, it } from 'vitest';
import {
  formatCompact,
  formatCount,
  formatCurrency,
  formatCurrencyCompact,
  formatDate,
  formatNumber,
  formatPercent,
  formatValue,
  NBSP,
} from '../../../lib/report/format.js';

describe('number formatting for people', () => {
  it('groups thousands and rounds counts', () => {
    // Prepare / Act / Assess
    expect(formatCount(12345)).toBe('12,345');
    expect(formatCount(1234567.6)).toBe('1,234,568');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(0)).toBe('0');
    expect(formatNumber(-1234.56, 1)).toBe('\u22121,234.6');
    expect(formatNumber(-0.04, 1)).toBe('0.0');
    expect(formatNumber(Number.NaN)).toBe('n/a');
  });

  it('shows shares as percentages with a no-break space', () => {
    expect(formatPercent(0.234)).toBe(`23.4${NBSP}%`);
    expect(formatPercent(1)).toBe(`100.0${NBSP}%`);
    expect(formatPercent(0.00306, 2)).toBe(`0.31${NBSP}%`);
    expect(formatPercent(0.5, 0)).toBe(`50${NBSP}%`);
  });

  it('formats money with the currency symbol, whole units above 10', () => {
    expect(formatCurrency(1234, 'USD')).toBe('$1,234');
    expect(formatCurrency(1234.49, 'EUR')).toBe('€1,234');
    expect(formatCurrency(4.5, 'GBP')).toBe('£4.50');
    expect(formatCurrency(-12, 'USD')).toBe('\u2212$12');
    expect(formatCurrency(1500, 'SEK')).toBe(`1,500${NBSP}SEK`);
    expect(formatCurrencyCompact(1400, 'USD')).toBe('$1,400');
    expect(formatCurrencyCompact(25_000, 'USD')).toBe('$25k');
  });

  it('makes compact axis labels', () => {
    expect(formatCompact(950)).toBe('950');
    expect(formatCompact(2500)).toBe('2.5k');
    expect(formatCompact(5000)).toBe('5k');
    expect(formatCompact(12_000)).toBe('12k');
    expect(formatCompact(1_200_000)).toBe('1.2M');
  });

  it('formats values by their declared kind', () => {
    expect(formatValue(0.912, 'percent', 'USD')).toBe(`91.2${NBSP}%`);
    expect(formatValue(0.4123, 'decimal', 'USD')).toBe('0.41');
    expect(formatValue(6912, 'count', 'USD')).toBe('6,912');
    expect(formatValue(318, 'currency', 'USD')).toBe('$318');
    expect(formatValue(45, 'days', 'USD')).toBe(`45${NBSP}days`);
  });

  it('writes dates without reading the clock or the locale', () => {
    expect(formatDate('2026-11-21')).toBe('21 Nov 2026');
    expect(formatDate('2026-01-05T06:14:52Z')).toBe('5 Jan 2026, 06:14 UTC');
    expect(formatDate('2026-01-05T06:14:52+02:00')).toBe('5 Jan 2026, 06:14');
    expect(formatDate('last week')).toBe('last week');
  });
});
