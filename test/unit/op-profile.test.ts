// summarizeProfile on a trace in the order onnxruntime writes it (sorted by start: a run's own
// event before its kernels), with different kernel times per run, so that a kernel counted with
// the wrong run changes the result.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { summarizeProfile } from '../../src-main/bench/op-profile';

const run = (ts: number, dur: number) => ({ cat: 'Session', name: 'model_run', ts, dur });
const kernel = (ts: number, dur: number, op: string) => ({ cat: 'Node', name: `n_${op}_${ts}_kernel_time`, ts, dur, args: { op_name: op } });
const fence = (ts: number) => ({ cat: 'Node', name: `n_${ts}_fence_before`, ts, dur: 0, args: { op_name: 'MatMul' } });

function trace(events: object[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'op-profile-')), 'decoder-1_2026.json');
  writeFileSync(file, JSON.stringify(events));
  return file;
}

const file = trace([
  { cat: 'Session', name: 'model_loading_uri', ts: 0, dur: 5 },
  run(10, 100), // warm-up: one MatMul of 50 µs
  fence(19),
  kernel(20, 50, 'MatMul'),
  kernel(150, 7, 'Split'), // between runs (no run holds it)
  run(200, 1000), // two MatMuls of 400 µs, an Add of 100
  kernel(210, 400, 'MatMul'),
  kernel(620, 400, 'MatMul'),
  kernel(1030, 100, 'Add'),
  run(1300, 600), // one MatMul of 500 µs
  kernel(1310, 500, 'MatMul'),
]);

it('gives each run its own kernels and averages the runs after the skipped ones', () => {
  const s = summarizeProfile(file, 1, 3);
  expect(s.runs).toBe(2);
  expect(s.runMs).toBeCloseTo(0.8, 9); // (1000 + 600) / 2 µs
  expect(s.ops).toEqual([
    { op: 'MatMul', ms: 0.65, count: 1.5 }, // (800 + 500) / 2 µs; fences are not kernels
    { op: 'Add', ms: 0.05, count: 0.5 },
  ]);
  expect(s.kernelMs).toBeCloseTo(0.7, 9);
  expect(summarizeProfile(file).ops.find((o) => o.op === 'MatMul')).toEqual({ op: 'MatMul', ms: 1350 / 3 / 1000, count: 4 / 3 });
});

it('refuses a profile holding fewer runs than ran, or none after the skipped ones', () => {
  expect(() => summarizeProfile(file, 1, 4)).toThrow(/3 runs recorded where 4 ran \(onnxruntime's profiler caps its events: ask for fewer steps\)/);
  expect(() => summarizeProfile(file, 3)).toThrow(/no run after the first 3/);
});
