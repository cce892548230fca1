import { describe, expect, it } from 'vitest';
import { type Check, minimumSizeCheck, percent, roundTo, statusOf } from '../../../lib/segments/checks.js';

const check = (verdict: Check['verdict']): Check => ({
  name: 'x',
  verdict,
  value: 0,
  threshold: 0,
  reason: '',
});

describe('what every validation phase shares', () => {
  it('publishes unless a check fails: warnings are reported, not blocking', () => {
    expect(statusOf([])).toBe('published');
    expect(statusOf([check('pass'), check('warn')])).toBe('published');
    expect(statusOf([check('pass'), check('fail'), check('warn')])).toBe('not-published');
  });

  it('passes the size gate at exactly the minimum and fails one below, in the caller’s words', () => {
    const reason = { pass: 'big enough', fail: 'too small' };
    expect(minimumSizeCheck(500, 500, reason)).toEqual({
      name: 'minimum size',
      verdict: 'pass',
      value: 500,
      threshold: 500,
      reason: 'big enough',
    });
    expect(minimumSizeCheck(499, 500, reason)).toMatchObject({ verdict: 'fail', reason: 'too small' });
  });

  it('rounds figures to the given decimals and writes shares with one decimal', () => {
    expect(roundTo(0.123456789, 4)).toBe(0.1235);
    expect(roundTo(0.123456789, 6)).toBe(0.123457);
    expect(roundTo(-0.00004, 4)).toBe(-0);
    expect(percent(0.1234)).toBe('12.3 %');
    expect(percent(1)).toBe('100.0 %');
  });
});
