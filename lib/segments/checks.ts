// The vocabulary of Validate's phases: a check (a verdict with the figure, the threshold and the
// reason in words), a validated segment, and the rules every phase shares: how figures are rounded
// and written, the size gate, and when a segment is published.

export type Verdict = 'pass' | 'warn' | 'fail';

export interface Check {
  name: string;
  verdict: Verdict;
  value: number | string;
  threshold: number | string;
  reason: string;
}

export interface Segment {
  id: string;
  /** position in the model's centroid list */
  index: number;
  name: string;
  description: string;
  size: number;
  share: number;
  status: 'published' | 'not-published';
  checks: Check[];
  means: Record<string, number>;
  z: Record<string, number>;
}

/** A segment or group is published when none of its checks fails; warnings are reported, not blocking. */
export function statusOf(checks: readonly Check[]): Segment['status'] {
  return checks.every((c) => c.verdict !== 'fail') ? 'published' : 'not-published';
}

/**
 * The size gate: a group with fewer than `minSize` customers fails (ad platforms reject such small
 * audiences and they cannot show lift). The reason is the caller's, in its own words.
 */
export function minimumSizeCheck(
  size: number,
  minSize: number,
  reason: { pass: string; fail: string },
): Check {
  const ok = size >= minSize;
  return {
    name: 'minimum size',
    verdict: ok ? 'pass' : 'fail',
    value: size,
    threshold: minSize,
    reason: ok ? reason.pass : reason.fail,
  };
}

/** Rounds to `digits` decimals, as every figure in segments.json is written. */
export function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A share as a percentage with one decimal, as the reasons write it: 0.1234 → "12.3 %". */
export const percent = (x: number): string => `${(x * 100).toFixed(1)} %`;
