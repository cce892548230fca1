// Separability: are the segments distinct groups? Over the whole run, the silhouette and the
// Davies–Bouldin index of the fit sample; per segment, the feature on which it differs most from
// everyone else (effect size from the merged profiles, so every customer counts).
import { assignNearest } from '../models/kmeans.js';
import { daviesBouldin, silhouetteScore } from '../models/metrics.js';
import { type Check, roundTo } from './checks.js';
import { effectSizes, type ProfileAggregate } from './profile.js';
import type { StandardisedSample } from './stability.js';

export interface SeparabilitySettings {
  minSilhouette: number;
  maxDaviesBouldin: number;
  /** largest effect size (sd) below which a segment is flagged as not set apart */
  minEffectSize: number;
}

export interface Separability {
  /** rounded; null when the sample holds fewer than two segments */
  silhouette: number | null;
  daviesBouldin: number | null;
  runChecks: Check[];
  /** per segment (by position in the profiles) */
  checks: Check[][];
}

/** Validate's separability phase. */
export function separabilityChecks(
  sample: StandardisedSample,
  centroids: Float64Array,
  k: number,
  profiles: ProfileAggregate,
  settings: SeparabilitySettings,
  seed: number,
): Separability {
  let silhouette: number | null = null;
  let db: number | null = null;
  const runChecks: Check[] = [];
  if (sample.n > k) {
    const { labels } = assignNearest(sample.data, sample.n, sample.d, centroids, k);
    const present = new Set(labels).size;
    if (present >= 2) {
      silhouette = roundTo(
        silhouetteScore(sample.data, sample.n, sample.d, labels, k, { sampleSize: 2000, seed }),
        4,
      );
      db = roundTo(daviesBouldin(sample.data, sample.n, sample.d, labels, k, centroids), 4);
      runChecks.push(
        {
          name: 'silhouette',
          verdict: silhouette >= settings.minSilhouette ? 'pass' : 'warn',
          value: silhouette,
          threshold: settings.minSilhouette,
          reason:
            silhouette >= settings.minSilhouette
              ? `customers sit clearly closer to their own segment than to the next (silhouette ${silhouette.toFixed(2)})`
              : `segments overlap (silhouette ${silhouette.toFixed(2)} below ${settings.minSilhouette}): treat them as soft groupings`,
        },
        {
          name: 'Davies–Bouldin',
          verdict: db <= settings.maxDaviesBouldin ? 'pass' : 'warn',
          value: db,
          threshold: settings.maxDaviesBouldin,
          reason:
            db <= settings.maxDaviesBouldin
              ? `segments are compact relative to the distance between them (${db.toFixed(2)}, lower is better)`
              : `segments are wide relative to the distance between them (${db.toFixed(2)} above ${settings.maxDaviesBouldin})`,
        },
      );
    }
  }
  const checks = profiles.segments.map((agg): Check[] => {
    const effects = effectSizes(agg, profiles.population);
    const ranked = Object.entries(effects).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
    if (!ranked.length) return [];
    const [feature, size] = ranked[0];
    const strong = Math.abs(size) >= settings.minEffectSize;
    return [
      {
        name: 'separability',
        verdict: strong ? 'pass' : 'warn',
        value: roundTo(Math.abs(size), 4),
        threshold: settings.minEffectSize,
        reason: strong
          ? `differs most from everyone else on ${feature} (effect size ${size.toFixed(2)} sd)${ranked[1] ? `, then ${ranked[1][0]} (${ranked[1][1].toFixed(2)} sd)` : ''}`
          : `no feature sets it apart from everyone else by ${settings.minEffectSize} sd or more (largest: ${feature}, ${size.toFixed(2)} sd)`,
      },
    ];
  });
  return { silhouette, daviesBouldin: db, runChecks, checks };
}
