import { describe, expect, it } from 'vitest';
import { ConfigError, globMatch, parseConfig, settingsForFile } from '../../../lib/config/schema.js';

describe('dataset configuration', () => {
  it('fills every default for an empty configuration', () => {
    const c = parseConfig(undefined);
    expect(c.segments.kMin).toBe(3);
    expect(c.segments.kMax).toBe(5);
    expect(c.segments.holdoutShare).toBe(0.1);
    expect(c.maxRowErrorRate).toBe(0.05);
  });

  it('lists every problem by path, including unknown keys', () => {
    try {
      parseConfig({ shrads: 4, segments: { kMin: 6, kMax: 3 }, maxRowErrorRate: 2 }, 'config/shop.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain('config/shop.json');
      expect(message).toMatch(/shrads/);
      expect(message).toMatch(/maxRowErrorRate/);
    }
    expect(() => parseConfig({ segments: { kMin: 6, kMax: 3 } })).toThrow(/kMin must not exceed/);
  });

  it('matches file settings by pattern', () => {
    const c = parseConfig({
      files: [
        { match: 'orders/*.csv', kind: 'transactions' },
        { match: '*.txt', format: 'whitespace' },
      ],
    });
    expect(settingsForFile(c, 'orders/2026.csv')?.kind).toBe('transactions');
    expect(settingsForFile(c, 'CDNOW_sample.txt')?.format).toBe('whitespace');
    expect(settingsForFile(c, 'customers.csv')).toBeUndefined();
    expect(globMatch('*', 'anything/at/all.csv')).toBe(true);
  });
});
