// The hash-range arithmetic the memberships state relies on: shardOf's cut, its inverse, and which
// ranges of a run with another shard count overlap a shard's.
import { describe, expect, it } from 'vitest';
import { overlappingShards } from '../../../lib/publish/membership-state.js';
import { hashRange, shardHash, shardOf } from '../../../lib/util/hash.js';

describe('memberships state ranges', () => {
  it('hashRange is exactly the hashes shardOf sends to the shard, boundaries included', () => {
    for (const n of [1, 2, 3, 5, 7, 32, 319, 1000]) {
      let previousHi = 0;
      for (let i = 0; i < n; i++) {
        const { lo, hi } = hashRange(i, n);
        // Assess: contiguous, covering [0, 2^32), and the cut agrees at both edges
        expect(lo).toBe(previousHi);
        expect(Math.floor((lo * n) / 2 ** 32)).toBe(i);
        expect(Math.floor(((hi - 1) * n) / 2 ** 32)).toBe(i);
        previousHi = hi;
      }
      expect(previousHi).toBe(2 ** 32);
    }
  });

  it('puts every id in the shard whose range holds its hash, spread evenly even for sequential ids', () => {
    // Prepare: FNV-1a's high bits alone gave 1,955–2,877 per shard for these ids
    const ids = Array.from({ length: 20_000 }, (_, i) => `C${String(i).padStart(5, '0')}`);
    const counts = new Array<number>(8).fill(0);
    for (const id of ids) {
      const s = shardOf(id, 8);
      const { lo, hi } = hashRange(s, 8);
      const h = shardHash(id);
      expect(h >= lo && h < hi).toBe(true);
      counts[s]++;
    }
    // Assess: each of 8 shards within 3 binomial standard deviations (~46) of 2,500
    for (const c of counts) expect(Math.abs(c - 2_500)).toBeLessThan(140);
  });

  it('finds exactly the overlapping ranges of another shard count', () => {
    for (const [n, m] of [
      [3, 5],
      [5, 3],
      [1, 7],
      [7, 1],
      [32, 319],
      [319, 32],
      [4, 4],
    ]) {
      for (let i = 0; i < n; i++) {
        const mine = hashRange(i, n);
        const expected = Array.from({ length: m }, (_, j) => j).filter((j) => {
          const other = hashRange(j, m);
          return other.lo < mine.hi && mine.lo < other.hi;
        });
        expect(overlappingShards(i, n, m), `${i} of ${n} in ${m}`).toEqual(expected);
      }
    }
  });
});
