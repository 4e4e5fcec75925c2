import { describe, expect, it } from 'vitest';
import { parseT5Config, readT5Config } from '../../src-main/engine/checkpoint/config';
import { modelDir } from '../helpers/paths';

const base = () => ({ model_type: 't5', vocab_size: 10, d_model: 8, d_kv: 2, d_ff: 16, num_layers: 2, num_heads: 4 });

describe('T5 config', () => {
  it('reads 5.x configs with explicit scale_decoder_outputs', () => {
    expect(readT5Config(modelDir('toy-t5-large')).scaleDecoderOutputs).toBe(false);
    const tiny = readT5Config(modelDir('tiny-random-t5'));
    expect(tiny.scaleDecoderOutputs).toBe(true);
    expect(tiny.ffProj).toBe('relu');
  });

  it('derives output scaling from tie_word_embeddings in pre-5 configs', () => {
    expect(parseT5Config(base()).scaleDecoderOutputs).toBe(true);
    expect(parseT5Config({ ...base(), tie_word_embeddings: false, model_type: 'mt5' }).scaleDecoderOutputs).toBe(false);
    expect(parseT5Config(base()).numDecoderLayers).toBe(2);
    expect(parseT5Config({ ...base(), num_decoder_layers: 3 }).numDecoderLayers).toBe(3);
  });

  it('refuses other architectures, naming the field', () => {
    expect(() => parseT5Config({ model_type: 'bart' }, 'x/config.json')).toThrow(/x\/config.json: unsupported architecture \(model_type 'bart'\)/);
    expect(() => parseT5Config({ ...base(), vocab_size: 'a' })).toThrow(/'vocab_size' must be a number/);
  });
});
