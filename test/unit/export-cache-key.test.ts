// The export cache key and the quantization's description: what decides whether a cached export is
// reused, and what a run says about a quantized export's head.
import { describe, expect, it } from 'vitest';
import { EXPORTER_VERSION, exportCacheKey } from '../../src-main/engine/onnx/export-t5';
import { HEAD_BITS, quantDeviation, weightFormat } from '../../src-main/engine/onnx/t5-weights';

const HASH = 'ab12';

describe('exportCacheKey', () => {
  it('keeps the fp32 and fp16 keys of earlier versions (their caches stay valid)', () => {
    expect(exportCacheKey(HASH, weightFormat({}), 'fp32')).toBe(`${HASH}|v${EXPORTER_VERSION}|fp32|fp32`);
    expect(exportCacheKey(HASH, weightFormat({ dtype: 'fp16' }), 'fp16')).toBe(`${HASH}|v${EXPORTER_VERSION}|fp16|fp16`);
  });

  it('keys int8/q4 exports by block size, accuracy level and head bits', () => {
    expect(exportCacheKey(HASH, weightFormat({ dtype: 'q4' }), 'fp32')).toBe(`${HASH}|v${EXPORTER_VERSION}|q4|fp32|b32|a4|head${HEAD_BITS}`);
    expect(exportCacheKey(HASH, weightFormat({ dtype: 'int8', blockSize: 64, accuracyLevel: 0 }), 'fp32')).toBe(
      `${HASH}|v${EXPORTER_VERSION}|int8|fp32|b64|a0|head${HEAD_BITS}`,
    );
    const q4 = weightFormat({ dtype: 'q4' });
    const head4 = { ...q4, quant: { ...q4.quant!, headBits: 4 as const } };
    expect(exportCacheKey(HASH, head4, 'fp32')).not.toBe(exportCacheKey(HASH, q4, 'fp32'));
  });
});

describe('quantDeviation', () => {
  it("states the head's bits from the spec, and an export without them as a float32 head", () => {
    const q = weightFormat({ dtype: 'q4' }).quant!;
    expect(q.headBits).toBe(8);
    expect(quantDeviation(q)).toContain('quantized to 4 bits in blocks of 32');
    expect(quantDeviation(q)).toContain('the decoding head to 8 bits; embeddings, norms and position biases stay float32');
    expect(quantDeviation({ ...q, headBits: 4 })).toContain('the decoding head to 4 bits');
    const { headBits: _, ...older } = q;
    expect(quantDeviation(older)).toContain('; the decoding head, embeddings, norms and position biases stay float32');
    expect(quantDeviation(older)).not.toMatch(/head to \d+ bits/);
  });
});
