// Random-weight exports with awkward shapes against a float64 reference forward written for tests.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readT5Config, type T5Config } from '../../src-main/engine/checkpoint/config';
import { openCheckpoint } from '../../src-main/engine/checkpoint/open';
import { writeRandomT5Checkpoint } from '../../src-main/engine/checkpoint/safetensors-writer';
import { exportAndLoad, scratch } from '../helpers/export';
import { relError } from '../helpers/goldens';
import { ReferenceT5 } from '../helpers/t5-reference';

const small = { vocabSize: 97, numBuckets: 32, maxDistance: 128, modelType: 't5' as const };
const shapes: { label: string; config: Partial<T5Config> }[] = [
  {
    label: 'relu, tied head with output scaling, 2 enc / 3 dec layers, d_kv·heads (24) ≠ d_model (32)',
    config: { ...small, dModel: 32, dKv: 8, numHeads: 3, dFf: 40, numLayers: 2, numDecoderLayers: 3, ffProj: 'relu', tieWordEmbeddings: true, scaleDecoderOutputs: true },
  },
  {
    label: 'gated-gelu, untied head, no scaling, 1 enc / 2 dec layers, d_kv·heads (64) ≠ d_model (48)',
    config: { ...small, modelType: 'mt5', dModel: 48, dKv: 16, numHeads: 4, dFf: 56, numLayers: 1, numDecoderLayers: 2, ffProj: 'gated-gelu', tieWordEmbeddings: false, scaleDecoderOutputs: false },
  },
  {
    // 48 cache entries: the decoder unstacks them with nested Splits of at most 8 outputs
    label: 'relu, tied head with output scaling, 1 enc / 24 dec layers (T5-large depth)',
    config: { ...small, dModel: 16, dKv: 4, numHeads: 2, dFf: 24, numLayers: 1, numDecoderLayers: 24, ffProj: 'relu', tieWordEmbeddings: true, scaleDecoderOutputs: true },
  },
  {
    label: 'relu, tied head without output scaling (5.x config), 3 enc / 1 dec layer',
    config: { ...small, dModel: 16, dKv: 4, numHeads: 2, dFf: 24, numLayers: 3, numDecoderLayers: 1, ffProj: 'relu', tieWordEmbeddings: true, scaleDecoderOutputs: false },
  },
];

describe.each(shapes)('random weights: $label', ({ config }) => {
  it('encoder states and logits equal the float64 reference; fp16 export stays close', async () => {
    const dir = join(scratch(), `ckpt-${Math.random().toString(36).slice(2)}`);
    await writeRandomT5Checkpoint(dir, config, 7);
    const cfg = readT5Config(dir);
    expect(cfg.numDecoderLayers).toBe(config.numDecoderLayers);
    expect(cfg.scaleDecoderOutputs).toBe(config.scaleDecoderOutputs);
    const reader = await openCheckpoint(dir);
    const ref = await ReferenceT5.load(reader, cfg);
    await reader.close();

    const source = [5, 17, 33, 2, 90, 41, 8, 60, 12, 1];
    const decoderIds = [0, 44, 3, 71, 19, 96, 25, 7, 52];
    const refEnc = ref.encode(source);
    const refLogits = ref.logits(refEnc, decoderIds).flatMap((r) => Array.from(r));

    const rt = await exportAndLoad(dir);
    const enc = await rt.encode(source, true);
    expect(relError(enc.hidden!, refEnc.flatMap((r) => Array.from(r)))).toBeLessThan(1e-5);
    const rows = await rt.newDecoder(enc).extend(decoderIds, undefined, true);
    expect(relError(rows.logits!, refLogits)).toBeLessThan(1e-5);
    await rt.release();

    const half = await exportAndLoad(dir, { dtype: 'fp16' });
    const halfRows = await half.newDecoder(await half.encode(source)).extend(decoderIds, undefined, true);
    expect(relError(halfRows.logits!, refLogits)).toBeLessThan(2e-2);
    await half.release();
  });
});
