import { describe, expect, it } from 'vitest';
import {
  representationCheck,
  segmentCard,
  sensitiveCategoryCheck,
} from '../../../lib/segments/governance.js';

describe('governance checks', () => {
  it('fails names or descriptions that imply a sensitive category', () => {
    expect(sensitiveCategoryCheck('Diabetic shoppers', 'Bought health products.').verdict).toBe('fail');
    expect(sensitiveCategoryCheck('Debt-stressed', 'Ordered less often.').value).toBe('debt');
    expect(sensitiveCategoryCheck('Loyal high spenders', 'Ordered 3× as often as average.').verdict).toBe(
      'pass',
    );
    expect(sensitiveCategoryCheck('Night owls', 'Ordered late.', ['night']).verdict).toBe('fail');
  });

  it('flags a segment whose make-up departs from the population beyond the four-fifths rule', () => {
    // Prepare: the segment holds 30 % of group A but only 15 % of group B (ratio 0.5)
    const population = { ageBand: { A: 1000, B: 1000, C: 10 } };
    const skewed = { ageBand: { A: 300, B: 150, C: 10 } };
    const fair = { ageBand: { A: 300, B: 270 } };
    // Act
    const flagged = representationCheck(skewed, population);
    const passed = representationCheck(fair, population);
    // Assess: group C is too small to judge
    expect(flagged.check.verdict).toBe('warn');
    expect(flagged.findings).toEqual([{ attribute: 'ageBand', value: 'B', ratio: 0.5 }]);
    expect(passed.check.verdict).toBe('pass');
    expect(passed.check.value).toBe(0.9);
  });

  it('writes a segment card with definition, features, cadence, intended use and owner', () => {
    const card = segmentCard(
      {
        id: 'seg-2',
        name: 'Deal seekers',
        description: 'Used a discount on 85% of orders.',
        z: { discountShare: 1.9, frequency: 0.2, monetary: -0.6 },
        status: 'published',
      },
      {
        runId: 'run-2',
        k: 4,
        features: ['discountShare', 'frequency', 'monetary'],
        governance: { owner: 'crm-team@example.com', intendedUse: 'email offers', refreshCadence: 'weekly' },
        holdoutShare: 0.1,
      },
    );
    expect(card).toMatchObject({
      owner: 'crm-team@example.com',
      intendedUse: 'email offers',
      refreshCadence: 'weekly',
      firstRunId: 'run-2',
    });
    expect(card.features.map((f) => f.feature)).toEqual(['discountShare', 'monetary', 'frequency']);
    expect(card.definition).toMatch(
      /closest to this segment's centre among 4 k-means segments; strongest traits: discountShare \+1.9 sd/,
    );
  });
});
