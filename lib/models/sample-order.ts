// The global fitting samples (segmentation, propensity) are the rows with the smallest sample keys over
// all shards' parts. This picks them in the order the fits read them, without an object per row: row
// numbers in typed arrays, sorted natively, with customer ids compared only where keys tie.

/** Where each chosen row lives: its part and its row within that part, in ascending (key, id) order. */
export interface ChosenRows {
  part: Int32Array;
  row: Int32Array;
}

// a key (< 2^32) times 2^21 plus a row number (< 2^21) stays an exact double (< 2^53)
const ROW_BITS = 2 ** 21;

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
  let at = 0;
  for (let part = 0; part < keys.length; part++) {
    const k = keys[part];
    for (let row = 0; row < k.length; row++, at++) {
      partOf[at] = part;
      rowOf[at] = row;
      keyOf[at] = k[row];
    }
  }
  const order = sortByKey(keyOf);
  // rows sharing a key: by customer id, then (a stable sort's tie) by their position in the parts
  const idOf = (i: number): string => ids[partOf[i]][rowOf[i]];
  for (let start = 0; start < total; ) {
    let end = start + 1;
    while (end < total && keyOf[order[end]] === keyOf[order[start]]) end++;
    if (end - start > 1) {
      const run = Array.from(order.subarray(start, end)).sort((a, b) => {
        const ia = idOf(a);
        const ib = idOf(b);
        return (ia < ib ? -1 : ia > ib ? 1 : 0) || a - b;
      });
      order.set(run, start);
    }
    start = end;
  }
  const chosen = order.subarray(0, Math.min(size, total));
  return {
    part: Int32Array.from(chosen, (i) => partOf[i]),
    row: Int32Array.from(chosen, (i) => rowOf[i]),
  };
}

/** Positions 0..n-1 by ascending key, equal keys by position. */
function sortByKey(key: Float64Array): Int32Array {
  const n = key.length;
  const order = new Int32Array(n);
  let packable = n < ROW_BITS;
  for (let i = 0; i < n && packable; i++)
    packable = Number.isInteger(key[i]) && key[i] >= 0 && key[i] < 2 ** 32;
  if (packable) {
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = key[i] * ROW_BITS + i;
    packed.sort();
    for (let i = 0; i < n; i++) order[i] = packed[i] % ROW_BITS;
    return order;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => key[a] - key[b] || a - b);
}
