// Weight-only quantized exports (--dtype int8 / q4, onnx/quantize-blocks.ts) of the demo pair on
// the CPU provider, against the fp32 export of the same checkpoint on real demo sentences.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary, WeightDType } from '../../src-main/engine/api';
import { loadModel, type LoadedModel } from '../../src-main/engine/model';
import { ensureExported, exportT5 } from '../../src-main/engine/onnx/export-t5';
import { quantDeviation, t5Parameters, type QuantSpec } from '../../src-main/engine/onnx/t5-weights';
import { runCli } from '../helpers/cli';
import { demoTestSentences } from '../helpers/demo';
import { scratch } from '../helpers/export';
import { modelDir } from '../helpers/paths';
import { AGREEMENT_FLOOR, deviationFromFp32, Q_TOL } from '../helpers/quantized';

const home = scratch('bild-quant-export-');
const env = { BILD_BENCH_HOME: home };
const SENTENCES = demoTestSentences(40).map((s) => s.de);

const DTYPES = ['fp32', 'q4', 'int8'] as const;
const SIZES = ['small', 'large'] as const;
const models: Record<string, LoadedModel> = {};

beforeAll(async () => {
  // one onnxruntime thread: CI runs two test workers on two cores
  for (const size of SIZES)
    for (const dtype of DTYPES) models[`${size}-${dtype}`] = await loadModel(modelDir(`toy-t5-${size}`), { dtype, threads: 1 });
}, 300_000);
afterAll(async () => {
  for (const m of Object.values(models)) await m.runtime.release();
});

describe('quantized exports on CPU', () => {
  for (const size of SIZES)
    for (const dtype of ['q4', 'int8'] as const)
      it(`toy-t5-${size} ${dtype}: logits and greedy outputs near fp32`, async () => {
        const d = await deviationFromFp32(models[`${size}-fp32`]!, models[`${size}-${dtype}`]!, SENTENCES);
        console.log(`toy-t5-${size} ${dtype}: max |Δlogit| ${d.logit.toFixed(3)}, max |Δlog p(greedy token)| ${d.logprob.toFixed(4)}, identical ${d.identical}`);
        const tol = Q_TOL[`${size}-${dtype}`]!;
        expect(d.logit).toBeLessThan(tol.logit);
        expect(d.logprob).toBeLessThan(tol.logprob);
        expect(d.logit).toBeGreaterThan(0); // the quantized graph really differs
        expect(d.identical).toBeGreaterThanOrEqual(AGREEMENT_FLOOR[dtype]);
      });

  it('stores fewer bytes, and keys the export cache by dtype, block size and accuracy level', async () => {
    const dirs = new Set<string>();
    const bytes: Record<string, number> = {};
    for (const dtype of DTYPES) {
      const m = models[`large-${dtype}`]!;
      dirs.add(m.exported.dir);
      bytes[dtype] = m.exported.manifest.weightBytes;
      expect(m.exported.manifest.dtype).toBe(dtype);
    }
    expect(dirs.size).toBe(3);
    expect(models['large-q4']!.exported.manifest.quant).toEqual({ bits: 4, blockSize: 32, accuracyLevel: 4, headBits: 8 });
    expect(models['large-int8']!.exported.manifest.quant).toEqual({ bits: 8, blockSize: 32, accuracyLevel: 4, headBits: 8 });
    expect(models['large-fp32']!.exported.manifest.quant).toBeUndefined();
    // the projections dominate: 4 and 8 bits (+ a 4-byte scale per 32 values) against 32
    expect(bytes.q4! / bytes.fp32!).toBeLessThan(0.25);
    expect(bytes.int8! / bytes.fp32!).toBeLessThan(0.35);
    // t5Parameters counts what the fp32 export stores (within the writer's 64-byte alignment)
    const fp32Bytes = 4 * t5Parameters(models['large-fp32']!.exported.manifest.config);
    expect(bytes.fp32! - fp32Bytes).toBeGreaterThanOrEqual(0);
    expect(bytes.fp32! - fp32Bytes).toBeLessThan(0.001 * fp32Bytes);

    const large = modelDir('toy-t5-large');
    const again = await ensureExported(large, { dtype: 'q4' });
    expect(again).toMatchObject({ dir: models['large-q4']!.exported.dir, cached: true });
    for (const opts of [{ blockSize: 64 }, { accuracyLevel: 0 }]) {
      const other = await ensureExported(large, { dtype: 'q4', ...opts });
      expect(dirs.has(other.dir)).toBe(false);
      expect(other.manifest.quant).toMatchObject(opts);
      dirs.add(other.dir);
    }
  }, 120_000);

  it('gives every export of a checkpoint the same automatic threads (chosen from its fp32 size, not the file)', async () => {
    for (const size of SIZES) {
      const threads: number[] = [];
      for (const dtype of DTYPES) {
        const m = await loadModel(modelDir(`toy-t5-${size}`), { dtype }); // cached exports: no threads given
        threads.push(m.runtime.threads);
        await m.runtime.release();
      }
      expect(new Set(threads).size, `toy-t5-${size}: ${threads.join(', ')}`).toBe(1);
    }
    // the pair spans the 16 MB boundary at fp32, so the check above can tell the two rules apart
    expect(4 * t5Parameters(models['small-fp32']!.exported.manifest.config)).toBeLessThan(16 << 20);
    expect(4 * t5Parameters(models['large-fp32']!.exported.manifest.config)).toBeGreaterThan(16 << 20);
    expect(models['large-q4']!.exported.manifest.weightBytes).toBeLessThan(16 << 20);
  }, 120_000);
});

describe('options', () => {
  it('refuses bad quantization options naming the option, and writes nothing', async () => {
    const small = modelDir('toy-t5-small');
    const out = join(home, 'refused');
    const cases: [string[], RegExp][] = [
      [['--dtype', 'q4', '--block_size', '7'], /--block_size: 7 is not one of 16, 32, 64, 128, 256/],
      [['--dtype', 'int8', '--accuracy_level', '9'], /--accuracy_level: 9 is not an integer from 0 to 4/],
      [['--dtype', 'fp16', '--layout', 'transformers.js'], /--layout transformers.js writes fp32, int8, q4 graphs only \(--dtype fp16\)/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['convert', small, '--out', out, ...args], env);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
    // the API checks the same (an IPC or HTTP caller never passes through the CLI's parser)
    await expect(exportT5(small, out, { dtype: 'q4', blockSize: 7 })).rejects.toThrow(/blockSize: 7/);
    await expect(exportT5(small, out, { dtype: 'nf4' as WeightDType })).rejects.toThrow(/dtype: 'nf4'/);
    await expect(exportT5(small, out, { dtype: 'fp16', blockSize: 32 })).rejects.toThrow(/blockSize applies only to the quantized dtypes int8 and q4/);
    expect(existsSync(out)).toBe(false);
    const r = runCli(['run', '--model', small, '--dataset_name', 'demo', '--dtype', 'q4', '--block_size', '48'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/block_size: 48 is not one of 16, 32, 64, 128, 256/);
  }, 240_000);

  it('a q4 run records the dtype and the quantization in its environment and states the deviation', () => {
    const out = join(home, 'run-q4');
    const args = ['run', '--model', modelDir('toy-t5-small'), '--dataset_name', 'demo', '--limit', '3', '--threads', '1'];
    const r = runCli([...args, '--dtype', 'q4', '--block_size', '64', '--out', out, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    const e = s.environment!;
    expect(e.dtype).toBe('q4');
    const quant: QuantSpec = { bits: 4, blockSize: 64, accuracyLevel: 4, headBits: 8 };
    expect(e.models.map((m) => [m.dtype, m.quant])).toEqual([['q4', quant]]);
    expect(e.deviations).toContain(`${s.variants[0]!.id}: ${quantDeviation(quant)}`); // said of the variant using the export
    expect(e.variantDeviations).toEqual({ [s.variants[0]!.id]: [quantDeviation(quant)] });
    expect(quantDeviation(quant)).toMatch(/quantized to 4 bits in blocks of 64.*outputs differ from the fp32 model/);
  }, 240_000);

  it('generate with --dtype int8 says so on stderr', () => {
    const r = runCli(['generate', '--model', modelDir('toy-t5-small'), '--dtype', 'int8', '--accuracy_level', '0', '--text', 'Das Haus ist klein.'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().length).toBeGreaterThan(0);
    expect(r.stderr).toContain(`note: ${quantDeviation({ bits: 8, blockSize: 32, accuracyLevel: 0, headBits: 8 })}`);
  }, 240_000);
});
