import { describe, expect, it } from 'vitest';
import { describeSegment, nameSegments } from '../../../lib/segments/describe.js';

const population = { recencyDays: 100, frequency: 4, monetary: 400, avgOrderValue: 100, tenureDays: 365 };

describe('segment names and descriptions', () => {
  it('describes what distinguishes a segment with real units', () => {
    // Act
    const text = describeSegment(
      {
        means: { recencyDays: 9.4, frequency: 12.4, monetary: 1736, avgOrderValue: 140, tenureDays: 500 },
        z: { frequency: 1.8, avgOrderValue: 0.6, monetary: 1.5, recencyDays: -1.2, tenureDays: 0.4 },
      },
      population,
    );
    // Assess
    expect(text).toBe(
      'Ordered 3.1× as often as average, spent 40% more per order, last ordered 9 days ago on average.',
    );
  });

  it('names segments from their profile and keeps names unique', () => {
    const names = nameSegments([
      { means: {}, z: { recencyDays: 1.5, frequency: -0.2 } },
      { means: {}, z: { recencyDays: 1.2, frequency: -0.9, monetary: -1 } },
      { means: {}, z: { frequency: 1.2, monetary: 1.1 } },
      { means: {}, z: { tenureDays: -1.5, recencyDays: -1 } },
    ]);
    expect(names[2]).toBe('Loyal high spenders');
    expect(names[3]).toBe('New customers');
    expect(names[0]).toMatch(/^Lapsed customers \(/);
    expect(new Set(names).size).toBe(4);
  });

  it('names a rare, big-basket group last seen about a year ago as once-a-year buyers, not just lapsed', () => {
    // Prepare: the seasonal gifters of the planted sample next to ordinary lapsed customers
    const gifters = {
      means: { recencyDays: 331, frequency: 1.9, avgOrderValue: 97 },
      z: { recencyDays: 1.1, frequency: -1.2, avgOrderValue: 0.6, monetary: -0.2 },
    };
    const lapsed = {
      means: { recencyDays: 393, frequency: 12, avgOrderValue: 60 },
      z: { recencyDays: 1.3, frequency: 0.1, avgOrderValue: 0 },
    };
    // Act
    const names = nameSegments([gifters, lapsed]);
    // Assess
    expect(names).toEqual(['Once-a-year big-basket buyers', 'Lapsed customers']);
    expect(nameSegments([{ ...gifters, means: { ...gifters.means, recencyDays: 600 } }])).toEqual([
      'Lapsed big-basket buyers',
    ]);
  });

  it('is deterministic', () => {
    const p = {
      means: { recencyDays: 50, frequency: 2, avgOrderValue: 80 },
      z: { frequency: -0.6, avgOrderValue: -0.3 },
    };
    expect(describeSegment(p, population)).toBe(describeSegment(structuredClone(p), population));
  });
});
