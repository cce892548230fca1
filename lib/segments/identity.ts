// Stable segment identity across runs: the segments of a new run are matched to the previous run's
// by centroid distance, so a weekly refresh keeps ids and names (and the audiences attached to them);
// unmatched new segments get new ids, unmatched old ones are retired. Validate's identity phase also
// says, per segment, whether it is new or how far its size and centre drifted since the previous run.
import { type Check, percent, roundTo } from './checks.js';
import type { DatasetState } from './state.js';

/** Enough of a fitted model to place its centroids in another run's standardised space. */
export interface CentroidSpace {
  features: string[];
  /** per feature, mean and standard deviation of the transformed values (the scaler) */
  mean: number[];
  std: number[];
  /** k×d row-major, standardised with this scaler */
  centroids: number[];
}

export interface PreviousSegments extends CentroidSpace {
  runId: string;
  ids: string[];
  names: string[];
  /** next free numeric id (ids are `seg-<n>` and never reused) */
  nextId: number;
}

export interface SegmentIdentity {
  id: string;
  /** the previous run's name when matched; undefined for a new segment */
  name?: string;
  /** index in the previous run's segment list, or -1 for a new segment */
  previousIndex: number;
  /** root-mean-square distance per feature between the matched centroids (standardised units) */
  distance: number | null;
}

export interface RetiredSegment {
  id: string;
  name: string;
  previousIndex: number;
  /** distance to the nearest centroid of this run (standardised units per feature) */
  nearestDistance: number | null;
  reason: string;
}

export interface IdentityResult {
  segments: SegmentIdentity[];
  retired: RetiredSegment[];
  nextId: number;
  /** features both runs share, on which the distances are measured */
  commonFeatures: string[];
}

/**
 * Distance between every previous and every current centroid, in the current run's standardised
 * units: previous centroids are taken back to transformed values with the previous scaler and
 * re-standardised with the current one, on the features both runs have. RMS per feature, so the
 * threshold does not depend on how many features there are.
 */
export function centroidDistances(previous: CentroidSpace, current: CentroidSpace): number[][] {
  const dp = previous.features.length;
  const dc = current.features.length;
  const common = current.features
    .map((f, j) => ({ j, p: previous.features.indexOf(f) }))
    .filter((x) => x.p >= 0);
  const kp = Math.floor(previous.centroids.length / Math.max(1, dp));
  const kc = Math.floor(current.centroids.length / Math.max(1, dc));
  const out: number[][] = [];
  for (let a = 0; a < kp; a++) {
    const row: number[] = [];
    for (let b = 0; b < kc; b++) {
      if (!common.length) {
        row.push(Number.POSITIVE_INFINITY);
        continue;
      }
      let acc = 0;
      for (const { j, p } of common) {
        const raw = previous.centroids[a * dp + p] * previous.std[p] + previous.mean[p];
        const z = (raw - current.mean[j]) / current.std[j];
        const diff = z - current.centroids[b * dc + j];
        acc += diff * diff;
      }
      row.push(Math.sqrt(acc / common.length));
    }
    out.push(row);
  }
  return out;
}

/**
 * Matches the current run's segments to the previous run's. Pairs are taken greedily, closest
 * first, each side at most once, and only within `maxDistance`: with k ≤ 12 and well-separated
 * segments the greedy pairing is the optimal assignment, and it never matches two far-apart
 * segments just because both sides have one left over.
 */
export function matchSegments(
  previous: PreviousSegments | undefined,
  current: CentroidSpace,
  options: { maxDistance: number; runId?: string },
): IdentityResult {
  const kc = Math.floor(current.centroids.length / Math.max(1, current.features.length));
  if (!previous) {
    return {
      segments: Array.from({ length: kc }, (_, i) => ({
        id: `seg-${i + 1}`,
        previousIndex: -1,
        distance: null,
      })),
      retired: [],
      nextId: kc + 1,
      commonFeatures: [...current.features],
    };
  }
  const distances = centroidDistances(previous, current);
  const pairs: { a: number; b: number; dist: number }[] = [];
  distances.forEach((row, a) => {
    row.forEach((dist, b) => {
      pairs.push({ a, b, dist });
    });
  });
  pairs.sort((x, y) => x.dist - y.dist || x.a - y.a || x.b - y.b);
  const prevUsed = new Set<number>();
  const segments: (SegmentIdentity | undefined)[] = new Array(kc).fill(undefined);
  for (const { a, b, dist } of pairs) {
    if (dist > options.maxDistance) break;
    if (prevUsed.has(a) || segments[b]) continue;
    prevUsed.add(a);
    segments[b] = { id: previous.ids[a], name: previous.names[a], previousIndex: a, distance: dist };
  }
  let nextId = previous.nextId;
  const resolved = segments.map(
    (s): SegmentIdentity => s ?? { id: `seg-${nextId++}`, previousIndex: -1, distance: null },
  );
  const retired: RetiredSegment[] = [];
  previous.ids.forEach((id, a) => {
    if (prevUsed.has(a)) return;
    const nearest = distances[a]?.length ? Math.min(...distances[a]) : null;
    retired.push({
      id,
      name: previous.names[a],
      previousIndex: a,
      nearestDistance: nearest === null || !Number.isFinite(nearest) ? null : roundTo(nearest, 4),
      reason:
        nearest === null || !Number.isFinite(nearest)
          ? `no segment of this run shares features with it`
          : nearest > options.maxDistance
            ? `no segment of this run is within ${options.maxDistance} standard deviations of its centre (nearest ${nearest.toFixed(2)}); its audiences should be retired`
            : `the nearest segment of this run (${nearest.toFixed(2)} standard deviations away) continues a closer segment of the previous run; its audiences should be retired`,
    });
  });
  return {
    segments: resolved,
    retired,
    nextId,
    commonFeatures: current.features.filter((f) => previous.features.includes(f)),
  };
}

/** Keeps names unique after matching: a new segment whose generated name is taken gets " (new)". */
export function resolveNames(identities: readonly SegmentIdentity[], generated: readonly string[]): string[] {
  const kept = new Set(identities.flatMap((s) => (s.name ? [s.name] : [])));
  const used = new Set<string>();
  return identities.map((s, i) => {
    let name = s.name ?? generated[i];
    if (!s.name && kept.has(name)) name = `${name} (new)`;
    let n = 2;
    const base = name;
    while (used.has(name)) name = `${base} ${n++}`;
    used.add(name);
    return name;
  });
}

export interface IdentitySettings {
  /** largest centroid distance (standardised units per feature) at which two segments are the same */
  matchDistance: number;
  /** size change (share of the previous size) beyond which a matched segment is flagged */
  maxSizeDrift: number;
  /** centroid distance beyond which a matched segment is flagged */
  maxCentroidDrift: number;
}

export interface SegmentIdentities {
  match: IdentityResult;
  /** per current segment: its id, its name (kept when matched, unique) and the run it first appeared in */
  ids: string[];
  names: string[];
  firstRunIds: string[];
  /** per current segment, when there is a previous run: new, or its size and centroid drift */
  checks: Check[][];
}

/**
 * Validate's identity phase: matches this run's segments (with their generated names and sizes) to
 * the previous run's, so a matched segment keeps its id, name and first run; a new one gets a new id.
 */
export function identifySegments(
  previous: DatasetState | undefined,
  current: CentroidSpace,
  segments: readonly { name: string; size: number }[],
  settings: IdentitySettings,
  runId: string,
): SegmentIdentities {
  const match = matchSegments(
    previous
      ? {
          ...previous.model,
          runId: previous.runId,
          ids: previous.segments.map((s) => s.id),
          names: previous.segments.map((s) => s.name),
          nextId: previous.nextId,
        }
      : undefined,
    current,
    { maxDistance: settings.matchDistance, runId },
  );
  const names = resolveNames(
    match.segments,
    segments.map((s) => s.name),
  );
  const firstRunIds = match.segments.map((s) =>
    s.previousIndex >= 0 ? (previous?.segments[s.previousIndex]?.firstRunId ?? runId) : runId,
  );
  const checks = segments.map((s, i): Check[] => {
    if (!previous) return [];
    const id = match.segments[i];
    if (id.previousIndex < 0)
      return [
        {
          name: 'identity',
          verdict: 'pass',
          value: 'new',
          threshold: 'matched or new',
          reason: `new this run: no segment of run ${previous.runId} lies within ${settings.matchDistance} sd of its centre`,
        },
      ];
    const before = previous.segments[id.previousIndex]?.size ?? 0;
    const drift = before ? Math.abs(s.size - before) / before : 0;
    return [
      {
        name: 'size drift',
        verdict: drift <= settings.maxSizeDrift ? 'pass' : 'warn',
        value: roundTo(drift, 4),
        threshold: settings.maxSizeDrift,
        reason: `${before} → ${s.size} customers since run ${previous.runId} (${drift <= settings.maxSizeDrift ? 'within' : 'beyond'} ${percent(settings.maxSizeDrift)})`,
      },
      {
        name: 'centroid drift',
        verdict: (id.distance ?? 0) <= settings.maxCentroidDrift ? 'pass' : 'warn',
        value: roundTo(id.distance ?? 0, 4),
        threshold: settings.maxCentroidDrift,
        reason: `its centre moved ${(id.distance ?? 0).toFixed(2)} sd per feature since run ${previous.runId}; it keeps id ${id.id} and its name`,
      },
    ];
  });
  return { match, ids: match.segments.map((s) => s.id), names, firstRunIds, checks };
}
