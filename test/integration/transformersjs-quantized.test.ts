// The transformers.js layout at int8 and q4 (issue #17): written beside the fp32 graphs under the
// file names transformers.js 4.x loads for `dtype: 'int8'` / `'q4'`, leaving the fp32 files byte for
// byte as they were, and @huggingface/transformers generate() on them gives this engine's greedy
// ids at the same dtype: the same MatMulNBits weights and kernels, so no tolerance is needed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../src-main/engine/model';
import { externalDataOf } from '../../src-main/engine/onnx/export-files';
import { exportTransformersJs, transformersJsFiles, type TransformersJsDType } from '../../src-main/engine/onnx/transformersjs-export';
import { demoTestSentences } from '../helpers/demo';
import { runCli } from '../helpers/cli';
import { scratch } from '../helpers/export';
import { modelDir } from '../helpers/paths';
import { expectTransformersJsIds } from '../helpers/transformersjs';

const sentences = demoTestSentences(6).map((s) => s.de);
const QUANTIZED = ['q4', 'int8'] as const;
const loaded: LoadedModel[] = [];
afterAll(async () => {
  for (const m of loaded) await m.runtime.release();
});

/** sha256 of each graph and data file of `dtype` in `dir`. */
function hashes(dir: string, dtype: TransformersJsDType): Record<string, string> {
  const files = Object.values(transformersJsFiles(dtype)).flatMap((f) => [f, externalDataOf(f)]);
  return Object.fromEntries(files.map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
}

describe.each(['toy-t5-large', 'toy-t5-small'])('transformers.js int8 and q4 layouts of %s', (name) => {
  it('adds them beside fp32 and generates the engine greedy ids at each dtype in transformers.js', async () => {
    const out = join(scratch(), `tjs-quant-${name}`);
    await exportTransformersJs(modelDir(name), out);
    const fp32 = hashes(out, 'fp32');
    for (const dtype of QUANTIZED) {
      await exportTransformersJs(modelDir(name), out, { dtype });
      // every dtype written so far is still there, the fp32 files unchanged
      expect(hashes(out, 'fp32'), `fp32 after ${dtype}`).toEqual(fp32);
      for (const d of ['fp32', ...QUANTIZED.slice(0, QUANTIZED.indexOf(dtype) + 1)] as TransformersJsDType[])
        for (const f of Object.keys(hashes(out, d))) expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(Object.keys(hashes(out, 'q4'))).toEqual(['onnx/encoder_model_q4.onnx', 'onnx/encoder_model_q4.onnx_data', 'onnx/decoder_model_merged_q4.onnx', 'onnx/decoder_model_merged_q4.onnx_data']);
    expect(Object.keys(hashes(out, 'int8'))).toEqual(['onnx/encoder_model_int8.onnx', 'onnx/encoder_model_int8.onnx_data', 'onnx/decoder_model_merged_int8.onnx', 'onnx/decoder_model_merged_int8.onnx_data']);
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json']) expect(existsSync(join(out, f)), f).toBe(true);
    // the quantized graphs are this project's MatMulNBits ones, the fp32 ones hold none
    for (const dtype of QUANTIZED) expect(readFileSync(join(out, transformersJsFiles(dtype).decoder)).includes('MatMulNBits'), dtype).toBe(true);
    expect(readFileSync(join(out, transformersJsFiles('fp32').decoder)).includes('MatMulNBits')).toBe(false);

    for (const dtype of QUANTIZED) {
      const ours = await loadModel(modelDir(name), { dtype });
      loaded.push(ours);
      await expectTransformersJsIds(out, dtype, ours, sentences);
    }
  });
});

it('converts a q4-only folder with the CLI that transformers.js loads without any fp32 graph', async () => {
  const out = join(scratch(), 'tjs-q4-only');
  const r = runCli(['convert', modelDir('toy-t5-small'), '--layout', 'transformers.js', '--dtype', 'q4', '--block_size', '64', '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/wrote onnx\/encoder_model_q4\.onnx and onnx\/decoder_model_merged_q4\.onnx .*transformers\.js dtype 'q4'/);
  expect(r.stderr).toMatch(/note: .*quantized to 4 bits in blocks of 64/);
  expect(existsSync(join(out, transformersJsFiles('fp32').encoder))).toBe(false);
  const ours = await loadModel(modelDir('toy-t5-small'), { dtype: 'q4', blockSize: 64, accuracyLevel: 4 });
  loaded.push(ours);
  await expectTransformersJsIds(out, 'q4', ours, sentences.slice(0, 1));
});

it('refuses an fp16 transformers.js layout, through the API and the CLI, and writes nothing', async () => {
  const out = join(scratch(), 'tjs-fp16');
  await expect(exportTransformersJs(modelDir('toy-t5-small'), out, { dtype: 'fp16' })).rejects.toThrow(/fp32, int8, q4 only/);
  const r = runCli(['convert', modelDir('toy-t5-small'), '--layout', 'transformers.js', '--dtype', 'fp16', '--out', out]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--layout transformers.js writes fp32, int8, q4 graphs only \(--dtype fp16\)/);
  expect(existsSync(out)).toBe(false);
});

it("keeps another dtype's graphs only when they come from the same checkpoint", async () => {
  const out = join(scratch(), 'tjs-two-checkpoints');
  await exportTransformersJs(modelDir('toy-t5-small'), out);
  // another checkpoint at q4 into the same folder: toy-t5-small's fp32 graphs would sit beside
  // toy-t5-large's config and decode wrongly, so they go
  await exportTransformersJs(modelDir('toy-t5-large'), out, { dtype: 'q4' });
  expect(existsSync(join(out, transformersJsFiles('fp32').decoder))).toBe(false);
  expect(existsSync(join(out, transformersJsFiles('q4').decoder))).toBe(true);
  // the same checkpoint again: its q4 graphs stay beside the new fp32 ones
  await exportTransformersJs(modelDir('toy-t5-large'), out);
  for (const d of ['fp32', 'q4'] as const) expect(existsSync(join(out, transformersJsFiles(d).decoder)), d).toBe(true);
});
