// Validate: turns merged profiles into named, described segments and checks that each one earns
// its place (size, share, a description, the configured number of segments). Failing segments are
// kept for analysis but not published, with the reason in words.
import type { SegmentationModel } from '../models/segmentation.js';
import { describeSegment, nameSegments } from './describe.js';
import { meansOf, type ProfileAggregate } from './profile.js';

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

export interface ValidationSettings {
  minSize: number;
  minShare: number;
  kMax: number;
}

export function buildSegments(
  model: SegmentationModel,
  profiles: ProfileAggregate,
  settings: ValidationSettings,
): { segments: Segment[]; population: Record<string, number>; checks: Check[] } {
  const population = meansOf(profiles.population);
  const d = model.features.length;
  const raw = profiles.segments.map((agg, index) => {
    const z: Record<string, number> = {};
    for (let j = 0; j < d; j++) z[model.features[j]] = model.centroids[index * d + j];
    return { means: meansOf(agg), z, size: agg.size };
  });
  const names = nameSegments(raw);
  const total = profiles.population.size;
  const segments = raw.map((r, index): Segment => {
    const description = r.size ? describeSegment(r, population) : '';
    const share = total ? r.size / total : 0;
    const checks: Check[] = [
      {
        name: 'minimum size',
        verdict: r.size >= settings.minSize ? 'pass' : 'fail',
        value: r.size,
        threshold: settings.minSize,
        reason:
          r.size >= settings.minSize
            ? `${r.size} customers, at least ${settings.minSize} needed`
            : `only ${r.size} customers; audiences this small are rejected by ad platforms and cannot show lift`,
      },
      {
        name: 'minimum share',
        verdict: share >= settings.minShare ? 'pass' : 'fail',
        value: round(share, 4),
        threshold: settings.minShare,
        reason: `${(share * 100).toFixed(1)} % of customers (at least ${(settings.minShare * 100).toFixed(1)} % needed)`,
      },
      {
        name: 'description',
        verdict: description ? 'pass' : 'fail',
        value: description ? 'present' : 'missing',
        threshold: 'present',
        reason: description
          ? 'has a one-sentence description'
          : 'no description could be written for an empty segment',
      },
    ];
    return {
      id: `seg-${index + 1}`,
      index,
      name: names[index],
      description,
      size: r.size,
      share: round(share, 6),
      status: checks.every((c) => c.verdict !== 'fail') ? 'published' : 'not-published',
      checks,
      means: mapValues(r.means, (v) => round(v, 4)),
      z: mapValues(r.z, (v) => round(v, 4)),
    };
  });
  const runChecks: Check[] = [
    {
      name: 'number of segments',
      verdict: model.k <= settings.kMax ? 'pass' : 'fail',
      value: model.k,
      threshold: settings.kMax,
      reason: `${model.k} segments (${model.choice.reason})`,
    },
  ];
  return { segments, population: mapValues(population, (v) => round(v, 4)), checks: runChecks };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function mapValues(o: Record<string, number>, fn: (v: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fn(v)]));
}
