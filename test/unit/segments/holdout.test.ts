import { describe, expect, it } from 'vitest';
import { isHoldout } from '../../../lib/segments/holdout.js';

describe('holdout assignment', () => {
  it('is deterministic, about the configured share, and independent per segment', () => {
    // Prepare
    const ids = Array.from({ length: 20_000 }, (_, i) => `C${100_000 + i}`);
    // Act
    const first = ids.map((id) => isHoldout('holdout-v1', id, 'seg-1', 0.1));
    const again = ids.map((id) => isHoldout('holdout-v1', id, 'seg-1', 0.1));
    const other = ids.map((id) => isHoldout('holdout-v1', id, 'seg-2', 0.1));
    // Assess
    expect(again).toEqual(first);
    const share = first.filter(Boolean).length / ids.length;
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.11);
    const both = first.filter((h, i) => h && other[i]).length / ids.length;
    expect(both).toBeLessThan(0.02); // ≈ 0.1 × 0.1: the two draws are independent
    // a larger share keeps everyone already held out (the threshold only grows)
    const wider = ids.map((id) => isHoldout('holdout-v1', id, 'seg-1', 0.2));
    expect(first.every((h, i) => !h || wider[i])).toBe(true);
    expect(ids.some((id) => isHoldout('holdout-v1', id, 'seg-1', 0))).toBe(false);
  });
});

describe('holdouts', () => {
  it('assigns a stable share of customers to the control group', () => {
    // Act
    let held = 0;
    for (let i = 0; i < 20_000; i++) if (isHoldout('salt', `C${i}`, 'seg-1', 0.1)) held++;
    // Assess
    expect(held / 20_000).toBeGreaterThan(0.09);
    expect(held / 20_000).toBeLessThan(0.11);
    expect(isHoldout('salt', 'C1', 'seg-1', 0.1)).toBe(isHoldout('salt', 'C1', 'seg-1', 0.1));
    expect(isHoldout('salt', 'C1', 'seg-1', 0)).toBe(false);
  });
});
