// Holdout (control) groups: a deterministic share of each segment's members is never pushed to
// audiences, so lift can be measured. Hash of salt, customer and segment: stable across runs.
import { fnv1a32 } from '../util/random.js';

export function isHoldout(salt: string, customerId: string, segmentId: string, share: number): boolean {
  if (share <= 0) return false;
  return fnv1a32(`${salt}|${customerId}|${segmentId}`) / 4294967296 < share;
}
