// Holdout (control) groups: a deterministic share of each segment's members is never pushed to
// audiences, so lift can be measured. Hash of salt, customer and segment: stable across runs.
import { fmix32, fnv1a32 } from '../util/hash.js';

// MurmurHash3's finalizer after FNV-1a: FNV-1a alone barely moves its top bits when only the last
// characters differ (`…|seg-1` vs `…|seg-2`): 94 % of one segment's holdout was also held out in the
// other. Mixing makes each segment's draw independent.
export function isHoldout(salt: string, customerId: string, segmentId: string, share: number): boolean {
  if (share <= 0) return false;
  return fmix32(fnv1a32(`${salt}|${customerId}|${segmentId}`)) / 4294967296 < share;
}
