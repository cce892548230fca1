// Holdout (control) groups: a deterministic share of each segment's members is never pushed to
// audiences, so lift can be measured. Hash of salt, customer and segment: stable across runs.
import { fnv1a32 } from '../util/random.js';

/**
 * MurmurHash3's 32-bit finaliser. FNV-1a alone barely moves its top bits when only the last
 * characters differ (`…|seg-1` vs `…|seg-2`): 94 % of one segment's holdout was also held out in
 * the other. Mixing makes each segment's draw independent.
 */
function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

export function isHoldout(salt: string, customerId: string, segmentId: string, share: number): boolean {
  if (share <= 0) return false;
  return fmix32(fnv1a32(`${salt}|${customerId}|${segmentId}`)) / 4294967296 < share;
}
