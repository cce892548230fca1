import { describe, expect, it } from 'vitest';
import { decodeColumns, encodeColumns, ShardFormatError } from '../../../lib/storage/columnar.js';

describe('columnar shards', () => {
  it('round-trips numeric and string columns, including unicode and empty strings', () => {
    // Prepare
    const columns = {
      customerId: ['C1', 'Zoë', '', '顧客-42'],
      amount: Float64Array.from([1.5, Number.NaN, -3, 1e300]),
      segment: Int32Array.from([0, 3, -1, 2]),
      flag: Uint8Array.from([1, 0, 2, 255]),
      key: Uint32Array.from([0, 4294967295, 7, 8]),
    };
    // Act
    const decoded = decodeColumns(encodeColumns(columns, { shard: 3 }));
    // Assess
    expect(decoded.rows).toBe(4);
    expect(decoded.meta).toEqual({ shard: 3 });
    expect(decoded.columns.customerId).toEqual(columns.customerId);
    expect(Array.from(decoded.columns.amount as Float64Array)).toEqual([1.5, Number.NaN, -3, 1e300]);
    expect(Array.from(decoded.columns.segment as Int32Array)).toEqual([0, 3, -1, 2]);
    expect(Array.from(decoded.columns.flag as Uint8Array)).toEqual([1, 0, 2, 255]);
    expect(Array.from(decoded.columns.key as Uint32Array)).toEqual([0, 4294967295, 7, 8]);
  });

  it('decodes dictionary columns (1-, 2- and 4-byte codes) as the plain string columns they stand for', () => {
    for (const distinct of [3, 300, 70_000]) {
      // Prepare: values with unicode and an empty one, rows that repeat them out of order
      const values = Array.from({ length: distinct }, (_, i) =>
        i === 0 ? '' : i % 7 === 0 ? `Zoë-${i}` : `v${i}`,
      );
      const rows = distinct + 500;
      const codes = Uint32Array.from({ length: rows }, (_, i) => (i * 7919) % distinct);
      const plain = Array.from(codes, (c) => values[c]);
      const amount = Float64Array.from({ length: rows }, (_, i) => i / 4);

      // Act
      const dict = decodeColumns(encodeColumns({ category: { values, codes }, amount }, { part: 1 }));
      const reference = decodeColumns(encodeColumns({ category: plain, amount }, { part: 1 }));

      // Assess: the same columns; the dictionary part is smaller when values repeat
      expect(dict.columns).toEqual(reference.columns);
      expect(dict.rows).toBe(rows);
    }
    const codes = new Uint32Array(10_000);
    const small = encodeColumns({ channel: { values: ['web', 'app'], codes } });
    const large = encodeColumns({ channel: Array.from(codes, () => 'web') });
    expect(small.byteLength).toBeLessThan(large.byteLength / 3);
  });

  it('decodes from an unaligned buffer (as Node pools small buffers)', () => {
    const bytes = encodeColumns({ x: Float64Array.from([1, 2, 3]) });
    const shifted = new Uint8Array(bytes.byteLength + 3);
    shifted.set(bytes, 3);
    expect(Array.from(decodeColumns(shifted.subarray(3)).columns.x as Float64Array)).toEqual([1, 2, 3]);
  });

  it('rejects columns of unequal length and foreign bytes with named errors', () => {
    expect(() => encodeColumns({ a: ['x'], b: Float64Array.from([1, 2]) })).toThrow(ShardFormatError);
    expect(() => decodeColumns(new TextEncoder().encode('customer_id,amount\n'))).toThrow(/bad magic/);
  });
});
