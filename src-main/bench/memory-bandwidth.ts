// A STREAM-like "copy" measurement of the machine's memory bandwidth, in the same run as the
// decoders it is compared with: one thread, and every core at once (onnxruntime's intra-op pool
// reads weights from all cores). Bytes count as STREAM counts them: read + written.
// Beside it, a read-only stream: onnxruntime's own ReduceSum over the same number of bytes on every
// core. A decoder step only reads its weights, and a copy spends part of the bus on writing, so the
// read stream is the tighter floor for weight bytes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { DT, GraphBuilder } from '../engine/onnx/graph-builder';
import { Session } from '../engine/runtime/session';

export interface Bandwidth {
  /** Best single-thread copy, bytes per second (read + written). */
  oneThread: number;
  /** Best copy with one worker per core, each over its own slice, bytes per second. */
  allCores: number;
  /** Best read-only stream (onnxruntime ReduceSum, intra-op threads on every core), bytes read per second. */
  read: number;
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
  return { oneThread: rate(one), allCores: rate(all), read: readBandwidth(trials), cores, bytes: COPY_BYTES, trials };
}

/** Best of `trials` onnxruntime ReduceSum runs over COPY_BYTES of float32 [rows, cols], bytes read per second. */
function readBandwidth(trials: number): number {
  const rows = 4096;
  const cols = COPY_BYTES / 4 / rows;
  // its own buffer, not the copy's SharedArrayBuffer: older Node-API versions refuse to hand one to an addon
  const data = new Float32Array(rows * cols).fill(1);
  const dir = mkdtempSync(join(tmpdir(), 'bild-bench-read-'));
  try {
    const g = new GraphBuilder('read_stream');
    const x = g.input('x', DT.FLOAT, [rows, cols]);
    g.output('y', g.op('ReduceSum', [x, g.i64([1])], { keepdims: 0 }), DT.FLOAT, [rows]);
    const file = join(dir, 'reduce-sum.onnx');
    writeFileSync(file, g.toBytes());
    const session = Session.create(file, { threads: availableParallelism() });
    try {
      // a CPU tensor over the buffer itself: onnxruntime-node reads it in place, no copy
      const feeds = { x: new ort.Tensor('float32', data, [rows, cols]) };
      session.run(feeds, ['y']); // warm-up: the pool's threads started
      let best = Infinity;
      for (let t = 0; t < trials; t++) {
        const t0 = performance.now();
        session.run(feeds, ['y']);
        best = Math.min(best, performance.now() - t0);
      }
      return data.byteLength / (best / 1000);
    } finally {
      session.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bandwidth a decoder could reach: the best of the measurements (the strictest floor). */
export const bestBandwidth = (b: Bandwidth): number => Math.max(b.oneThread, b.allCores, b.read);
