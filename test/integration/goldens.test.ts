// The exported graphs against HF transformers 5.17 (float32) on the fixtures' six sources per model.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTorchZip } from '../../src-main/engine/checkpoint/torch-zip';
import { greedyDecode } from '../../src-main/engine/decoding/greedy';
import type { T5Runtime } from '../../src-main/engine/runtime/t5-runtime';
import { exportAndLoad } from '../helpers/export';
import { goldenSources, goldenTensor, relError } from '../helpers/goldens';
import { modelDir } from '../helpers/paths';

const cases = [
  { label: 'toy-t5-large (fp16 safetensors)', model: 'toy-t5-large', load: () => exportAndLoad(modelDir('toy-t5-large')) },
  { label: 'toy-t5-small (safetensors)', model: 'toy-t5-small', load: () => exportAndLoad(modelDir('toy-t5-small')) },
  { label: 'tiny-random-t5 (model.safetensors)', model: 'tiny-random-t5', load: () => exportAndLoad(modelDir('tiny-random-t5')) },
  {
    label: 'tiny-random-t5 (pytorch_model.bin)',
    model: 'tiny-random-t5',
    load: async () => {
      const reader = await openTorchZip(join(modelDir('tiny-random-t5'), 'pytorch_model.bin'));
      try {
        return await exportAndLoad(modelDir('tiny-random-t5'), { reader });
      } finally {
        await reader.close(); // exportT5 leaves a reader it was given open
      }
    },
  },
];

describe.each(cases)('$label against HF transformers', ({ model, load }) => {
  let rt: T5Runtime;
  afterAll(async () => rt?.release());

  it('matches encoder states (1e-4), logits (1e-3) and greedy ids on all six sources', async () => {
    rt = await load();
    const sources = goldenSources(model);
    expect(sources).toHaveLength(6);
    for (const [i, s] of sources.entries()) {
      const enc = await rt.encode(s.input_ids, true);
      expect(relError(enc.hidden!, await goldenTensor(`${model}/${i}/encoder_hidden`)), `encoder, source ${i}`).toBeLessThan(1e-4);
      const rows = await rt.newDecoder(enc).extend(s.decoder_input_ids, undefined, true);
      expect(relError(rows.logits!, await goldenTensor(`${model}/${i}/logits`)), `logits, source ${i}`).toBeLessThan(1e-3);
      const greedy = await greedyDecode(rt, enc, { maxLength: 41 }); // HF: max_new_tokens 40
      expect(greedy.ids, `greedy, source ${i}`).toEqual(s.greedy_ids);
    }
  });
});
