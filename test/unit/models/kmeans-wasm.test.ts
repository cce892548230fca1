import { describe, expect, it } from 'vitest';
import { type KMeansResult, kmeans, kmeansPlusPlus } from '../../../lib/models/kmeans.js';
import { kmeansHelper } from '../../../lib/models/kmeans-pool.js';
import { passesModuleBytes } from '../../../lib/models/kmeans-wasm.js';
import { createRandom } from '../../../lib/util/random.js';
import { gaussianBlobs } from '../../support/blobs.js';

// the project compiles without the DOM library, which declares WebAssembly's API
const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

function expectIdentical(wasm: KMeansResult, js: KMeansResult): void {
  expect(wasm.iterations).toBe(js.iterations);
  expect(wasm.converged).toBe(js.converged);
  expect(wasm.labels).toEqual(js.labels);
  // bit for bit, not merely close
  expect(Array.from(wasm.centroids)).toEqual(Array.from(js.centroids));
  expect(wasm.inertia).toBe(js.inertia);
}

describe('the WebAssembly passes give bit-identical fits to the JavaScript ones', () => {
  const shapes = [
    { d: 1, k: 4, spread: 3 },
    { d: 2, k: 2, spread: 2 },
    { d: 3, k: 1, spread: 1 },
    { d: 5, k: 3, spread: 0.8 },
    { d: 12, k: 5, spread: 1.5 },
    { d: 13, k: 8, spread: 0.8 },
    { d: 7, k: 7, spread: 0.7 },
  ];
  for (const { d, k, spread } of shapes) {
    it(`${d} features, k=${k}, from the same k-means++ start and with 2 seeded restarts`, () => {
      // Prepare: d covers the vector tail (odd d, d < 4), k an odd spare lane and more than one pair
      const n = 6000;
      const data = gaussianBlobs(n, d, k, spread, 100 + d * k);
      const init = kmeansPlusPlus(data, n, d, k, createRandom(5));

      // Act
      const fromInit = (engine: 'js' | 'wasm') => kmeans(data, n, d, { k, init, tol: 0, engine });
      const restarts = (engine: 'js' | 'wasm') => kmeans(data, n, d, { k, seed: 9, nInit: 2, engine });

      // Assess
      expectIdentical(fromInit('wasm'), fromInit('js'));
      expectIdentical(restarts('wasm'), restarts('js'));
    });
  }

  it('an empty cluster is re-seeded the same way (centroids started on duplicates)', () => {
    // Prepare: three identical initial centroids, so two clusters are empty after the first pass
    const n = 3000;
    const d = 4;
    const data = gaussianBlobs(n, d, 3, 2, 41);
    const init = new Float64Array(3 * d);
    for (let j = 0; j < 3; j++) init.set(data.subarray(0, d), j * d);

    // Act
    const fast = kmeans(data, n, d, { k: 3, init, engine: 'wasm' });
    const js = kmeans(data, n, d, { k: 3, init, engine: 'js' });

    // Assess
    expectIdentical(fast, js);
    expect(new Set(fast.labels).size).toBe(3);
  });

  it('exact distance ties go to the lowest centroid index, as in JavaScript', () => {
    // Prepare: integer grid points repeated, centroids on grid points, so many rows are equidistant
    const side = 6;
    const n = side * side * 20;
    const d = 2;
    const data = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      data[i * d] = i % side;
      data[i * d + 1] = Math.floor(i / side) % side;
    }
    const init = Float64Array.from([0, 0, 2, 0, 0, 2, 2, 2, 4, 4]);

    // Act
    const fast = kmeans(data, n, d, { k: 5, init, tol: 0, engine: 'wasm' });
    const js = kmeans(data, n, d, { k: 5, init, tol: 0, engine: 'js' });

    // Assess
    expectIdentical(fast, js);
  });

  it('rejects non-finite values with the same message', () => {
    // Prepare
    const n = 2000;
    const d = 3;
    const data = gaussianBlobs(n, d, 2, 2, 7);
    data[1500 * d + 2] = Number.NaN;
    const init = data.slice(0, 2 * d);

    // Act + Assess
    expect(() => kmeans(data, n, d, { k: 2, init, engine: 'wasm' })).toThrow(
      'Feature 2 of row 1500 is NaN; k-means needs finite numbers',
    );
  });

  it('the generated module is valid WebAssembly for every shape up to the size limit', () => {
    // Act + Assess: a handful of shapes around the edges of the generator
    for (const [d, k] of [
      [1, 1],
      [1, 2],
      [4, 1],
      [64, 8],
      [128, 4],
      [512, 1],
    ]) {
      expect(wasm.validate(passesModuleBytes(d, k))).toBe(true);
    }
  });

  it('with the helper thread taking blocks from the back, fits of several shapes in turn stay identical', async () => {
    // Prepare: 90,000×12 is above the helper's threshold; give the worker time to start so it takes part
    const n = 90_000;
    const d = 12;
    const data = gaussianBlobs(n, d, 5, 0.9, 77);
    kmeansHelper();
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Act + Assess: k=5, then k=3 (another module), then k=5 again (rebinding the first one)
    for (const k of [5, 3, 5]) {
      const init = kmeansPlusPlus(data, n, d, k, createRandom(k));
      const fast = kmeans(data, n, d, { k, init, tol: 0, engine: 'wasm' });
      const js = kmeans(data, n, d, { k, init, tol: 0, engine: 'js' });
      expectIdentical(fast, js);
      expect(fast.iterations).toBeGreaterThan(5);
    }
  });
});
