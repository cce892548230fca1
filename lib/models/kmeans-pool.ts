// One helper thread that runs a share of k-means' WebAssembly passes on the same shared memory: started
// once per process, on the first fit large enough to use it, and reused. Its code is a string evaluated by
// the worker (no file to bundle), and the calling thread never waits for it to start: until it is ready,
// and whenever it is busy, the calling thread simply takes every block itself.

import { availableParallelism } from 'node:os';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Helper, HelperJob, HelperShare, WasmLayout, WasmMemory } from './kmeans-wasm.js';

/** The helper thread stopped answering in the middle of a pass (it crashed or was terminated). */
export class KMeansHelperError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KMeansHelperError';
  }
}

// Int32 slots of the control buffer, then two float64 parameters at byte PARAMS.
const SEQ = 0; // job number, bumped by the caller
const DONE = 1; // last job the helper finished
const GEN = 2; // memory/module generation the caller wants
const READY = 3; // 1 once the helper runs (for debugging)
const CLAIM = 4; // (job & 0xff) << 24 | back << 12 | front: blocks claimed from each end
const KIND = 5;
const MAXJ = 6;
const ROWS = 7;
const PTRS = 8; // data, labels, upper, lower, totals, moves, blockMoves
const BLOCKS = 16;
const PARAMS = 128;
const MAX_BLOCKS = 0xfff;
// A pass is milliseconds of work; a helper silent for this long has died.
const HELPER_TIMEOUT_MS = 60_000;

const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const ctl = new Int32Array(workerData.control);
const par = new Float64Array(workerData.control, ${PARAMS}, 2);
const port = workerData.port;
let ex = null, f64 = null, i32 = null, gen = 0, seen = 0;
Atomics.store(ctl, ${READY}, 1);
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen);
  seen = Atomics.load(ctl, ${SEQ});
  const want = Atomics.load(ctl, ${GEN});
  while (gen !== want) {
    const m = receiveMessageOnPort(port);
    if (m === undefined) break;
    const { module, memory } = m.message;
    gen = m.message.gen;
    ex = new WebAssembly.Instance(module, { m: { memory } }).exports;
    f64 = new Float64Array(memory.buffer);
    i32 = new Int32Array(memory.buffer);
  }
  if (gen === want && ex !== null) {
    const kind = ctl[${KIND}], maxJ = ctl[${MAXJ}], n = ctl[${ROWS}], block = ctl[${BLOCKS}];
    const data = ctl[${PTRS}], labels = ctl[${PTRS + 1}], upper = ctl[${PTRS + 2}], lower = ctl[${PTRS + 3}];
    const totals = ctl[${PTRS + 4}], moves = ctl[${PTRS + 5}], blockMoves = ctl[${PTRS + 6}];
    const maxDrift = par[0], second = par[1];
    for (;;) {
      const v = Atomics.load(ctl, ${CLAIM});
      if (v >>> 24 !== (seen & 0xff)) break;
      const front = v & 0xfff, back = (v >>> 12) & 0xfff;
      if (front >= back) break;
      if (Atomics.compareExchange(ctl, ${CLAIM}, v, (v & ~(0xfff << 12)) | ((back - 1) << 12)) !== v) continue;
      const b = back - 1, start = b * block, end = Math.min(n, start + block);
      if (kind === 1) f64[(totals >> 3) + b] = ex.firstShare(data, labels, upper, lower, start, end);
      else if (kind === 3) {
        // touch each page of these rows while the caller copies its own: an atomic add of 0 faults the
        // page in without changing a byte the caller may be writing next to it
        for (let p = data + start * maxJ; p < data + end * maxJ; p += 4096) Atomics.add(i32, p >> 2, 0);
      } else i32[(blockMoves >> 2) + b] = ex.hamerlyShare(data, labels, upper, lower, start, end, maxJ, maxDrift, second, moves + start * 8);
    }
  }
  Atomics.store(ctl, ${DONE}, seen);
  Atomics.notify(ctl, ${DONE});
}
`;

class Pool implements Helper {
  private readonly control = new SharedArrayBuffer(PARAMS + 16);
  private readonly ctl = new Int32Array(this.control);
  private readonly par = new Float64Array(this.control, PARAMS, 2);
  private readonly port;
  private gen = 0;
  private bound: { mod: object; memory: WasmMemory } | null = null;
  private broken = false;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    port1.unref();
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { control: this.control, port: port2 },
      transferList: [port2],
    });
    worker.unref();
    // the caller then keeps taking every block itself
    worker.on('error', () => {
      this.broken = true;
    });
    worker.on('exit', () => {
      this.broken = true;
    });
  }

  bind(mod: object, memory: WasmMemory, layout: WasmLayout, n: number, block: number): HelperShare | null {
    const blocks = Math.ceil(n / block);
    if (this.broken || blocks > MAX_BLOCKS || blocks < 2) return null;
    const { ctl } = this;
    // the helper may still be inside an earlier job that claimed nothing: changing what it reads is safe
    // because a job's claims carry its number, which the next job changes
    if (this.bound === null || this.bound.mod !== mod || this.bound.memory !== memory) {
      this.gen++;
      this.port.postMessage({ gen: this.gen, module: mod, memory });
      this.bound = { mod, memory };
      Atomics.store(ctl, GEN, this.gen);
    }
    const ptrs = [
      layout.data,
      layout.labels,
      layout.upper,
      layout.lower,
      layout.totals,
      layout.moves,
      layout.blockMoves,
    ];
    return {
      start: (kind, maxDriftJ, maxDrift, secondDrift): HelperJob | null => {
        // posted even before the helper runs: one that starts mid-pass joins it, and one that never
        // claims a block is never waited for
        if (this.broken) return null;
        ctl[KIND] = kind;
        ctl[MAXJ] = maxDriftJ;
        ctl[ROWS] = n;
        ctl[BLOCKS] = block;
        ptrs.forEach((p, i) => {
          ctl[PTRS + i] = p;
        });
        this.par[0] = maxDrift;
        this.par[1] = secondDrift;
        const seq = (Atomics.load(ctl, SEQ) + 1) | 0;
        Atomics.store(ctl, CLAIM, ((seq & 0xff) << 24) | (blocks << 12));
        Atomics.store(ctl, SEQ, seq);
        Atomics.notify(ctl, SEQ);
        return {
          claimFront: () => {
            for (;;) {
              const v = Atomics.load(ctl, CLAIM);
              const front = v & 0xfff;
              const back = (v >>> 12) & 0xfff;
              if (front >= back) return -1;
              if (Atomics.compareExchange(ctl, CLAIM, v, v + 1) === v) return front;
            }
          },
          finish: () => {
            const back = (Atomics.load(ctl, CLAIM) >>> 12) & 0xfff;
            // the two ends have met: if the helper took nothing it can take nothing more
            if (back >= blocks) return blocks;
            const deadline = Date.now() + HELPER_TIMEOUT_MS;
            for (;;) {
              const done = Atomics.load(ctl, DONE);
              if (((done - seq) | 0) >= 0) return back;
              if (Date.now() > deadline) {
                this.broken = true;
                throw new KMeansHelperError(
                  'The k-means helper thread stopped in the middle of a pass; run the fit again (it falls back to one thread).',
                );
              }
              Atomics.wait(ctl, DONE, done, 1000);
            }
          },
        };
      },
    };
  }
}

let pool: Pool | null | undefined;

/**
 * The process's helper thread, started on first use; null on a single-CPU machine (a 1-vCPU Lambda),
 * where a second thread would only compete with this one, or where workers cannot start.
 */
export function kmeansHelper(): Helper | null {
  if (pool === undefined) {
    try {
      pool = availableParallelism() >= 2 ? new Pool() : null;
    } catch {
      pool = null;
    }
  }
  return pool;
}
