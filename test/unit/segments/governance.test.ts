import { describe, expect, it } from 'vitest';
import {
  countAudit,
  countReach,
  destinationTakes,
  governanceChecks,
  mergeAudit,
  mergeReach,
  reachableCustomers,
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

describe('governance phase', () => {
  it('counts a customer as reachable with a matchable email or phone, unless ad consent was refused anywhere', () => {
    // Prepare: C3's email is not an email; C4 refused in the second part; C5 has a phone and a country
    const parts = [
      {
        customerId: ['C1', 'C2', 'C3', 'C4'],
        email: ['A@Example.com ', '', 'not-an-email', 'c4@example.com'],
        phone: ['', '', '', ''],
        country: ['', '', '', ''],
        consentAds: Uint8Array.from([1, 1, 1, 1]),
      },
      {
        customerId: ['C4', 'C5'],
        email: ['', ''],
        phone: ['', '(415) 555-0100'],
        country: ['', 'US'],
        consentAds: Uint8Array.from([0, 1]),
      },
    ];
    // Act
    const reachable = reachableCustomers(parts);
    // Assess
    expect([...reachable].sort()).toEqual(['C1', 'C5']);
    expect(countReach(['C1', 'C2', 'C5'], Int32Array.from([0, 0, 1]), 3, reachable)).toEqual([
      { members: 2, reachable: 1 },
      { members: 1, reachable: 1 },
      { members: 0, reachable: 0 },
    ]);
  });

  it('counts and merges the audit-only make-up per segment, and none without audit parts', () => {
    const audit = [{ customerId: ['C1', 'C2', 'C9'], gender: ['f', '', 'm'] }];
    const shard = countAudit(audit, ['C1', 'C2'], Int32Array.from([1, 1]), 2);
    expect(shard).toEqual([{}, { gender: { f: 1 } }]);
    expect(countAudit([], ['C1'], Int32Array.from([0]), 1)).toBeNull();
    expect(mergeAudit([shard, null, [{ gender: { m: 2 } }, { gender: { f: 1, m: 1 } }]], 2)).toEqual([
      { gender: { m: 2 } },
      { gender: { f: 2, m: 1 } },
    ]);
    expect(mergeAudit([null, null], 2)).toBeNull();
    expect(
      mergeReach(
        [
          [{ members: 2, reachable: 1 }],
          [
            { members: 1, reachable: 1 },
            { members: 5, reachable: 0 },
          ],
        ],
        1,
      ),
    ).toEqual([{ members: 3, reachable: 2 }]);
  });

  it('sends a segment to the destinations that list it by id, by name or with *', () => {
    const seg = { id: 'seg-2', name: 'Lapsed' };
    expect(destinationTakes({ segments: ['*'] }, seg)).toBe(true);
    expect(destinationTakes({ segments: ['seg-2'] }, seg)).toBe(true);
    expect(destinationTakes({ segments: ['Lapsed'] }, seg)).toBe(true);
    expect(destinationTakes({ segments: ['seg-1', 'Loyal'] }, seg)).toBe(false);
  });

  it('checks reachability per destination that takes the segment, then sensitive terms, then representation', () => {
    // Prepare
    const segments = [
      { id: 'seg-1', name: 'Loyal', description: 'Bought often.' },
      { id: 'seg-2', name: 'Lapsed', description: 'Stopped buying.' },
    ];
    const reach = [
      { members: 100, reachable: 90 },
      { members: 100, reachable: 10 },
    ];
    const audit = [{ gender: { f: 50, m: 50 } }, { gender: { f: 10, m: 90 } }];
    const destinations = { meta: { segments: ['*'] }, crm: { segments: ['seg-2'] } };
    const settings = { minReachableShare: 0.5, sensitiveTerms: ['lapsed'], representationRatio: 0.8 };
    // Act
    const checks = governanceChecks(segments, reach, audit, destinations, settings);
    // Assess
    // (with two segments, one that departs from the population makes the other depart too)
    expect(checks.map((list) => list.map((c) => `${c.name}: ${c.verdict}`))).toEqual([
      ['reachability (meta): pass', 'sensitive categories: pass', 'representation: warn'],
      [
        'reachability (meta): warn',
        'reachability (crm): warn',
        'sensitive categories: fail',
        'representation: warn',
      ],
    ]);
    expect(checks[1][0].reason).toBe(
      '10 of 100 members (10.0 %) have a consented email or phone meta can match; below 50.0 %, the audience will be thin',
    );
    const noIdentities = governanceChecks(
      segments,
      [
        { members: 1, reachable: 0 },
        { members: 1, reachable: 0 },
      ],
      null,
      destinations,
      settings,
    );
    expect(noIdentities[0].map((c) => c.name)).toEqual(['reachability (meta)', 'sensitive categories']);
    expect(noIdentities[0][0].reason).toMatch(
      /^no customer file with emails or phones was dropped, so meta can reach no one/,
    );
  });
});
