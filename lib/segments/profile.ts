// Segment profiles: per-segment sums of the raw feature values, computed per shard in Score and
// merged in Validate, so names and descriptions rest on every customer, not on the fit sample.
import type { CustomerFeatures } from '../features/build.js';

export interface SegmentAggregate {
  size: number;
  sums: Record<string, number>;
  /** sums of squared raw values (for effect sizes); absent in profiles written before they existed */
  sumsSq?: Record<string, number>;
}

export interface ProfileAggregate {
  features: string[];
  segments: SegmentAggregate[];
  population: SegmentAggregate;
}

export function aggregateProfiles(
  features: CustomerFeatures,
  labels: Int32Array,
  k: number,
  names: readonly string[],
): ProfileAggregate {
  const blank = (): SegmentAggregate => ({
    size: 0,
    sums: Object.fromEntries(names.map((n) => [n, 0])),
    sumsSq: Object.fromEntries(names.map((n) => [n, 0])),
  });
  const segments = Array.from({ length: k }, blank);
  const population = blank();
  for (const name of names) {
    const col = features.values[name];
    if (!col) continue;
    let popSq = 0;
    const segSq = new Float64Array(k);
    for (let i = 0; i < col.length; i++) {
      segments[labels[i]].sums[name] += col[i];
      population.sums[name] += col[i];
      const sq = col[i] * col[i];
      segSq[labels[i]] += sq;
      popSq += sq;
    }
    for (let c = 0; c < k; c++) (segments[c].sumsSq as Record<string, number>)[name] = segSq[c];
    (population.sumsSq as Record<string, number>)[name] = popSq;
  }
  for (let i = 0; i < labels.length; i++) segments[labels[i]].size++;
  population.size = labels.length;
  return { features: [...names], segments, population };
}

export function mergeProfiles(parts: readonly ProfileAggregate[]): ProfileAggregate {
  const [first, ...rest] = parts;
  const merged: ProfileAggregate = structuredClone(first);
  for (const p of rest) {
    const add = (into: SegmentAggregate, from: SegmentAggregate): void => {
      into.size += from.size;
      for (const [n, v] of Object.entries(from.sums)) into.sums[n] = (into.sums[n] ?? 0) + v;
      if (from.sumsSq) {
        into.sumsSq ??= {};
        for (const [n, v] of Object.entries(from.sumsSq)) into.sumsSq[n] = (into.sumsSq[n] ?? 0) + v;
      }
    };
    p.segments.forEach((s, i) => {
      add(merged.segments[i], s);
    });
    add(merged.population, p.population);
  }
  return merged;
}

export function meansOf(agg: SegmentAggregate): Record<string, number> {
  return Object.fromEntries(Object.entries(agg.sums).map(([n, v]) => [n, agg.size ? v / agg.size : 0]));
}

/** Variance (population) of a feature within an aggregate; NaN when squares were not kept. */
export function varianceOf(agg: SegmentAggregate, feature: string): number {
  const sq = agg.sumsSq?.[feature];
  if (sq === undefined || !agg.size) return Number.NaN;
  const m = (agg.sums[feature] ?? 0) / agg.size;
  return Math.max(0, sq / agg.size - m * m);
}

/**
 * Cohen's d of each feature between a segment and the rest of the population (pooled standard
 * deviation), from the merged sums: how many standard deviations the segment sits from everyone else.
 */
export function effectSizes(segment: SegmentAggregate, population: SegmentAggregate): Record<string, number> {
  const out: Record<string, number> = {};
  const n1 = segment.size;
  const n2 = population.size - segment.size;
  if (!segment.sumsSq || !population.sumsSq || n1 < 2 || n2 < 2) return out;
  for (const f of Object.keys(segment.sums)) {
    const s1 = segment.sums[f];
    const q1 = segment.sumsSq[f] ?? 0;
    const s2 = (population.sums[f] ?? 0) - s1;
    const q2 = (population.sumsSq[f] ?? 0) - q1;
    const m1 = s1 / n1;
    const m2 = s2 / n2;
    const v1 = Math.max(0, (q1 - n1 * m1 * m1) / (n1 - 1));
    const v2 = Math.max(0, (q2 - n2 * m2 * m2) / (n2 - 1));
    const pooled = Math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2));
    out[f] = pooled > 0 ? (m1 - m2) / pooled : 0;
  }
  return out;
}
