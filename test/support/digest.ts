// SHA-256 digests of computed outputs, for golden tests: a canonical JSON in which every number is
// written exactly (shortest round-trip text; NaN, ±Infinity and -0 by name) and typed arrays keep their
// type, so a digest changes when any value changes by one bit (NaN payloads aside) or a column's type does.
import { createHash } from 'node:crypto';

function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView))
      return { [v.constructor.name]: Array.from(v as unknown as ArrayLike<number>, exactNumber) };
    if (typeof v === 'number') return exactNumber(v);
    return v;
  });
}

const exactNumber = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));

/** SHA-256 (hex) of a value's canonical JSON. */
export function sha256Of(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('hex');
}

/** One digest per column (in column order), so a failing golden test names the column that changed. */
export function columnDigests(columns: object): Record<string, string> {
  return Object.fromEntries(Object.entries(columns).map(([name, col]) => [name, sha256Of(col)]));
}
