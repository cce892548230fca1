// Segment profiles: per-segment sums of the raw feature values, computed per shard in Score and
// merged in Validate, so names and descriptions rest on every customer, not on the fit sample.
import type { CustomerFeatures } from '../features/build.js';

export interface SegmentAggregate {
  size: number;
  sums: Record<string, number>;
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
  const blank = (): SegmentAggregate => ({ size: 0, sums: Object.fromEntries(names.map((n) => [n, 0])) });
  const segments = Array.from({ length: k }, blank);
  const population = blank();
  for (const name of names) {
    const col = features.values[name];
    if (!col) continue;
    for (let i = 0; i < col.length; i++) {
      segments[labels[i]].sums[name] += col[i];
      population.sums[name] += col[i];
    }
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
