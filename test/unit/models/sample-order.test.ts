// The global samples' row choice: the typed-array pick must be exactly the stable sort of one
// {key, id} object per row that the segmentation and propensity merges used to do, ties included.
import { describe, expect, it } from 'vitest';
import { smallestRows } from '../../../lib/models/sample-order.js';
import { createRandom } from '../../../lib/util/random.js';

function objectSort(keys: Uint32Array[], ids: string[][], size: number): [number, number][] {
  const rows: { part: number; row: number; key: number; id: string }[] = [];
  keys.forEach((k, part) => {
    for (let row = 0; row < k.length; row++) rows.push({ part, row, key: k[row], id: ids[part][row] });
  });
  rows.sort((a, b) => a.key - b.key || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return rows.slice(0, size).map((r) => [r.part, r.row]);
}

describe('smallestRows', () => {
  it('picks the rows a stable (key, id) object sort picks, with tied keys and repeated ids', () => {
    // Prepare: three parts; keys from a small range (many ties) and the full 32-bit range, ids repeated
    const random = createRandom(5);
    for (const keyRange of [50, 2 ** 32]) {
      const keys: Uint32Array[] = [];
      const ids: string[][] = [];
      for (const length of [400, 0, 700]) {
        keys.push(Uint32Array.from({ length }, () => Math.floor(random.next() * keyRange)));
        ids.push(Array.from({ length }, () => `c${Math.floor(random.next() * 300)}`));
      }
      for (const size of [1, 500, 5000]) {
        // Act
        const chosen = smallestRows(keys, ids, size);
        // Assess
        const expected = objectSort(keys, ids, size);
        expect(Array.from(chosen.part, (part, i) => [part, chosen.row[i]])).toEqual(expected);
      }
    }
  });

  it('orders by key alone when keys are not 32-bit integers (the comparator path)', () => {
    // Prepare
    const keys = [Float64Array.of(2.5, -1, 2.5), Float64Array.of(0.25)];
    const ids = [['b', 'z', 'a'], ['m']];
    // Act
    const chosen = smallestRows(keys, ids, 10);
    // Assess: -1, 0.25, then the tied 2.5s by id ('a' before 'b')
    expect(Array.from(chosen.part)).toEqual([0, 1, 0, 0]);
    expect(Array.from(chosen.row)).toEqual([1, 0, 2, 0]);
  });
});
