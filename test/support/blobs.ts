// Seeded Gaussian blobs for k-means tests and benchmarks: k centres drawn N(0, spread²) per feature, each
// row a random centre plus unit noise. A small spread (≈ 1) gives overlapping blobs, closer to
// standardised customer features, where Lloyd needs many iterations; a large one separated segments.
import { createRandom } from '../../lib/util/random.js';

export function gaussianBlobs(n: number, d: number, k: number, spread: number, seed: number): Float64Array {
  const random = createRandom(seed);
  const centres = new Float64Array(k * d);
  for (let i = 0; i < k * d; i++) centres[i] = random.normal() * spread;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = random.int(k);
    for (let t = 0; t < d; t++) data[i * d + t] = centres[c * d + t] + random.normal();
  }
  return data;
}
