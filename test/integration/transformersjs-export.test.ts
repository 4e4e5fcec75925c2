// The transformers.js layout: @huggingface/transformers loads the converted folder offline and its
// generate() gives the same greedy ids as this engine on the demo sentences (same weights).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../src-main/engine/model';
import { runCli } from '../helpers/cli';
import { demoTestSentences } from '../helpers/demo';
import { scratch } from '../helpers/export';
import { modelDir } from '../helpers/paths';
import { expectTransformersJsIds } from '../helpers/transformersjs';

const sentences = demoTestSentences(6).map((s) => s.de);
const loaded: LoadedModel[] = [];
afterAll(async () => {
  for (const m of loaded) await m.runtime.release();
});

describe.each(['toy-t5-large', 'toy-t5-small'])('transformers.js layout of %s', (name) => {
  it('converts with the CLI and generates the engine greedy ids in transformers.js', async () => {
    const out = join(scratch(), `tjs-${name}`);
    const r = runCli(['convert', modelDir(name), '--layout', 'transformers.js', '--out', out]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    for (const f of ['onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx', 'config.json', 'generation_config.json', 'tokenizer.json'])
      expect(existsSync(join(out, f)), f).toBe(true);

    const ours = await loadModel(modelDir(name));
    loaded.push(ours);
    await expectTransformersJsIds(out, 'fp32', ours, sentences);
  });
});

it('refuses the transformers.js layout without --out, and an unknown layout', () => {
  expect(runCli(['convert', modelDir('toy-t5-small'), '--layout', 'transformers.js']).stderr).toMatch(/needs --out/);
  expect(runCli(['convert', modelDir('toy-t5-small'), '--layout', 'onnxruntime-genai', '--out', '/tmp/x']).stderr).toMatch(/--layout/);
});
