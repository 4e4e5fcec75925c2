// npm run bench:profile end to end on the tiny shape: onnxruntime's per-kernel profile read back
// into per-operator time per decoder step, so the script cannot rot. The weight matmuls must show
// up as MatMul (fp32) and MatMulNBits (q4), once per linear, and the shares must add up to the run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { ProfileSummary } from '../../src-main/bench/op-profile';
import { SCALE_SHAPES } from '../../src-main/bench/scale-shapes';
import { ROOT } from '../helpers/paths';

const home = mkdtempSync(join(tmpdir(), 'bench-profile-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const bench = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src-main/bench/bench-profile.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, BILD_BENCH_HOME: home },
  });

it('profiles the tiny shape at fp32 and q4 and writes results.json', () => {
  const out = join(home, 'out');
  const r = bench(['--shape', 'tiny', '--dtypes', 'fp32,q4', '--steps', '4', '--out', out]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^\| decoder step, ms \(share\) \| fp32 \| q4 \|$/m);
  expect(r.stdout).toMatch(/^\| \*\*decoder run\*\* \|/m);

  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { environment: { machine: string; shape: string }; results: { dtype: string; decoder: ProfileSummary; encoder: ProfileSummary }[] };
  expect(res.environment.shape).toBe('tiny');
  expect(res.environment.machine).toMatch(/^machine: /);
  const [fp32, q4] = res.results;
  // the profiled decoding's steps only: the warm-up decoding's are skipped
  expect(fp32!.decoder.runs).toBe(4);
  expect(fp32!.encoder.runs).toBe(1);
  const L = SCALE_SHAPES.tiny!.config.numDecoderLayers;
  const count = (s: ProfileSummary, op: string): number => s.ops.find((o) => o.op === op)?.count ?? 0;
  // per layer: self Q|K|V, O, cross Q, O, wi, wo; plus the head (fp32: the tied head may be fused with its scale)
  expect(count(fp32!.decoder, 'MatMul') + count(fp32!.decoder, 'FusedMatMul')).toBe(6 * L + 1);
  expect(count(q4!.decoder, 'MatMulNBits')).toBe(6 * L + 1);
  expect(count(q4!.decoder, 'MatMul')).toBe(0);
  for (const { decoder } of res.results) {
    expect(decoder.kernelMs).toBeCloseTo(decoder.ops.reduce((n, o) => n + o.ms, 0), 6);
    expect(decoder.kernelMs).toBeGreaterThan(0);
    expect(decoder.kernelMs).toBeLessThanOrEqual(decoder.runMs);
  }
});

it('refuses an unknown shape naming the option', () => {
  const r = bench(['--shape', 't5-huge']);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--shape: t5-huge not among t5-small, /);
});
