// The global fitting samples (segmentation, propensity) are the rows with the smallest sample keys over
// all shards' parts. This picks them in the order the fits read them, without an object per row: row
// numbers in typed arrays, sorted natively, with customer ids compared only where keys tie
// (features/sampling.ts orderByKey, the order each shard's own sample is picked in).

import { orderByKey } from '../features/sampling.js';

/** Where each chosen row lives: its part and its row within that part, in ascending (key, id) order. */
export interface ChosenRows {
  part: Int32Array;
  row: Int32Array;
}

/**
 * The first `size` rows of the parts in ascending (key, customer id) order, ties on both in part-then-row
 * order: exactly what a stable sort of one {key, id} object per row by that comparator gives.
 */
export function smallestRows(
  keys: readonly ArrayLike<number>[],
  ids: readonly (readonly string[])[],
  size: number,
): ChosenRows {
  const total = keys.reduce((n, k) => n + k.length, 0);
  const partOf = new Int32Array(total);
  const rowOf = new Int32Array(total);
  const keyOf = new Float64Array(total);
  const idOf: string[] = new Array(total);
  let at = 0;
  for (let part = 0; part < keys.length; part++) {
    const k = keys[part];
    for (let row = 0; row < k.length; row++, at++) {
      partOf[at] = part;
      rowOf[at] = row;
      keyOf[at] = k[row];
      idOf[at] = ids[part][row];
    }
  }
  // one order over the rows laid end to end, so ties on both fall in part-then-row order
  const chosen = orderByKey(keyOf, idOf).subarray(0, Math.min(size, total));
  return {
    part: Int32Array.from(chosen, (i) => partOf[i]),
    row: Int32Array.from(chosen, (i) => rowOf[i]),
  };
}
