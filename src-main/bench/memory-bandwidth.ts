// A STREAM-like "copy" measurement of the machine's memory bandwidth, in the same run as the
// decoders it is compared with: one thread, and every core at once (onnxruntime's intra-op pool
// reads weights from all cores). Bytes count as STREAM counts them: read + written.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface Bandwidth {
  /** Best single-thread copy, bytes per second (read + written). */
  oneThread: number;
  /** Best copy with one worker per core, each over its own slice, bytes per second. */
  allCores: number;
  cores: number;
  /** Bytes copied per measurement (read; as many again written). */
  bytes: number;
  trials: number;
}

/** Bytes copied per trial: far beyond any cache, small enough for a shared machine. */
const COPY_BYTES = 256 << 20;

// A worker copies its slice of the shared arrays each time it is told to and reports its time.
const WORKER = `
const { parentPort, workerData: { src, dst, from, to } } = require('node:worker_threads');
const a = new Float64Array(src, from * 8, to - from), b = new Float64Array(dst, from * 8, to - from);
parentPort.on('message', () => { b.set(a); parentPort.postMessage(0); });
`;

/** Best of `trials` copies of COPY_BYTES, on one thread and on every core. */
export async function measureBandwidth(trials = 10): Promise<Bandwidth> {
  const n = COPY_BYTES / 8;
  const src = new SharedArrayBuffer(COPY_BYTES);
  const dst = new SharedArrayBuffer(COPY_BYTES);
  new Float64Array(src).fill(1); // touch every page before timing
  new Float64Array(dst).fill(0);
  const a = new Float64Array(src);
  const b = new Float64Array(dst);
  let one = Infinity;
  for (let t = 0; t < trials; t++) {
    const t0 = performance.now();
    b.set(a);
    one = Math.min(one, performance.now() - t0);
  }

  const cores = availableParallelism();
  const workers = Array.from({ length: cores }, (_, i) => {
    const from = Math.floor((i * n) / cores);
    return new Worker(WORKER, { eval: true, workerData: { src, dst, from, to: Math.floor(((i + 1) * n) / cores) } });
  });
  let all = Infinity;
  try {
    const round = (): Promise<unknown> => Promise.all(workers.map((w) => new Promise((r) => (w.once('message', r), w.postMessage(0)))));
    await round(); // workers started and their slices touched
    for (let t = 0; t < trials; t++) {
      const t0 = performance.now();
      await round();
      all = Math.min(all, performance.now() - t0);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const rate = (ms: number): number => (2 * COPY_BYTES) / (ms / 1000);
  return { oneThread: rate(one), allCores: rate(all), cores, bytes: COPY_BYTES, trials };
}

/** The bandwidth a decoder could reach: the better of the two measurements. */
export const bestBandwidth = (b: Bandwidth): number => Math.max(b.oneThread, b.allCores);
