// Block-wise quantization (onnx/quantize-blocks.ts) against its stated error bound, a hand-packed
// block, and onnxruntime's own MatMulNBits kernel reading what it wrote.
import * as ort from 'onnxruntime-node';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DT, GraphBuilder } from '../../src-main/engine/onnx/graph-builder';
import { ExternalDataWriter } from '../../src-main/engine/onnx/external-data';
import { dequantizeBlocks, quantizeBlocks, type QuantBits } from '../../src-main/engine/onnx/quantize-blocks';
import { narrow } from '../../src-main/engine/checkpoint/float';
import { seededRandom } from '../../src-main/engine/seeded-random';
import { scratch } from '../helpers/export';

const dir = scratch('bild-quant-');

/** Gaussian-ish weights with a few outliers, like trained projections. */
function weights(n: number, k: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const w = new Float32Array(n * k);
  for (let i = 0; i < w.length; i++) w[i] = (rnd() + rnd() + rnd() - 1.5) * 0.1 * (rnd() < 0.01 ? 20 : 1);
  return w;
}

describe('quantizeBlocks', () => {
  it('packs a block the way MatMulNBits reads it (4 bits: first value in the low nibble)', () => {
    // -4 is the largest magnitude: scale 0.5, and the values -4..3.5 get the codes 0..15
    const w = Float32Array.from({ length: 16 }, (_, i) => (i - 8) * 0.5);
    const q = quantizeBlocks(w, 1, 16, 4, 16);
    expect(Array.from(q.scales)).toEqual([0.5]);
    expect(Array.from(q.data)).toEqual(Array.from({ length: 8 }, (_, j) => 2 * j + ((2 * j + 1) << 4)));
    const q8 = quantizeBlocks(w, 1, 16, 8, 16);
    expect(q8.scales[0]).toBeCloseTo(4 / 128, 9);
    expect(Array.from(q8.data)).toEqual(Array.from({ length: 16 }, (_, i) => 128 + (i - 8) * 16));
  });

  for (const bits of [4, 8] as const)
    for (const blockSize of [16, 32, 256])
      it(`keeps every value within |block max| / 2^(bits-1), and most within half a step (${bits} bits, block ${blockSize})`, () => {
        const [n, k] = [24, 200]; // 200: the last block is padded for every block size
        const w = weights(n, k, bits * 1000 + blockSize);
        const q = quantizeBlocks(w, n, k, bits, blockSize);
        const back = dequantizeBlocks(q, n, k, bits, blockSize);
        let halfStep = 0;
        for (let r = 0; r < n; r++)
          for (let b0 = 0; b0 < k; b0 += blockSize) {
            const block = Array.from(w.subarray(r * k + b0, r * k + Math.min(k, b0 + blockSize)));
            const absMax = Math.max(...block.map(Math.abs));
            const step = absMax / 2 ** (bits - 1); // |scale|, computed here in float64
            block.forEach((v, j) => {
              const err = Math.abs(v - back[r * k + b0 + j]!);
              expect(err).toBeLessThanOrEqual(step * (1 + 1e-6));
              if (err <= (step / 2) * (1 + 1e-6)) halfStep++;
            });
          }
        // only values within half a step of the block's opposite extreme may exceed half a step
        expect(halfStep / (n * k)).toBeGreaterThan(0.99);
      });

  it('codes an all-zero block as zeros with scale 0', () => {
    const q = quantizeBlocks(new Float32Array(32), 1, 32, 4, 32);
    expect(Array.from(dequantizeBlocks(q, 1, 32, 4, 32))).toEqual(Array(32).fill(0));
  });

  it('refuses a block size that is not a power of two ≥ 16', () => {
    expect(() => quantizeBlocks(new Float32Array(14), 1, 14, 4, 7)).toThrow(/block size 7/);
  });
});

/** x [m, k] @ W [n, k]ᵀ in float64. */
function matmulT(x: Float32Array, w: Float32Array, m: number, n: number, k: number): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += x[i * k + t]! * w[j * k + t]!;
      y[i * n + j] = s;
    }
  return y;
}

/** One MatMulNBits node over codes and scales written to an external data file, run by onnxruntime's CPU provider. */
async function runMatMulNBits(x: Float32Array, w: Float32Array, m: number, n: number, k: number, bits: QuantBits, blockSize: number, accuracyLevel: number): Promise<Float32Array> {
  const q = quantizeBlocks(w, n, k, bits, blockSize);
  const tag = `${bits}-${blockSize}-${accuracyLevel}`;
  const writer = new ExternalDataWriter(join(dir, `w-${tag}.bin`));
  const codes = writer.append([q.data]);
  const scales = writer.append([narrow('F32', q.scales)]);
  writer.close();
  const g = new GraphBuilder('mm');
  const a = g.input('a', DT.FLOAT, [m, k]);
  const attrs = { K: k, N: n, bits, block_size: blockSize, accuracy_level: accuracyLevel };
  const inputs = [a, g.external('b', DT.UINT8, [n, q.blocks, (blockSize * bits) / 8], codes), g.external('s', DT.FLOAT, [n * q.blocks], scales)];
  g.output('y', g.opN('MatMulNBits', inputs, 1, attrs, 'com.microsoft')[0]!, DT.FLOAT, [m, n]);
  const file = join(dir, `mm-${tag}.onnx`);
  writeFileSync(file, g.toBytes());
  const session = await ort.InferenceSession.create(file);
  try {
    const out = await session.run({ a: new ort.Tensor('float32', x, [m, k]) });
    return out.y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('onnxruntime MatMulNBits reads the packed weights', () => {
  const [m, n, k] = [3, 48, 96];
  const w = weights(n, k, 7);
  const x = weights(m, k, 8).map((v) => v * 10);
  for (const bits of [4, 8] as const)
    for (const blockSize of [16, 64, 128]) // 128 > k: one padded block
      it(`computes x · dequantize(W)ᵀ (${bits} bits, block ${blockSize}, accuracy level 0)`, async () => {
        const expected = matmulT(x, dequantizeBlocks(quantizeBlocks(w, n, k, bits, blockSize), n, k, bits, blockSize), m, n, k);
        const y = await runMatMulNBits(x, w, m, n, k, bits, blockSize, 0);
        for (let i = 0; i < y.length; i++) expect(Math.abs(y[i]! - expected[i]!)).toBeLessThan(1e-4);
      });

  it('with int8 activations (accuracy level 4) differs from level 0 by at most the activation rounding', async () => {
    // block 64: k = 96 ends in a zero-padded block, the layout a padded export runs at the default level
    for (const [bits, blockSize] of [[4, 32], [8, 32], [4, 64], [8, 64]] as const) {
      const wq = dequantizeBlocks(quantizeBlocks(w, n, k, bits, blockSize), n, k, bits, blockSize);
      const [y0, y4] = [await runMatMulNBits(x, w, m, n, k, bits, blockSize, 0), await runMatMulNBits(x, w, m, n, k, bits, blockSize, 4)];
      let moved = false;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          // each activation block is rounded to int8 with scale max|a|/127: off by ≤ max|a|/254 per value
          let bound = 1e-5;
          for (let b0 = 0; b0 < k; b0 += blockSize) {
            let aMax = 0;
            let wSum = 0;
            for (let t = b0; t < Math.min(b0 + blockSize, k); t++) {
              aMax = Math.max(aMax, Math.abs(x[i * k + t]!));
              wSum += Math.abs(wq[j * k + t]!);
            }
            bound += (aMax / 254) * wSum * 1.01;
          }
          const d = Math.abs(y4[i * n + j]! - y0[i * n + j]!);
          expect(d).toBeLessThanOrEqual(bound);
          if (d > 1e-6) moved = true;
        }
      expect(moved).toBe(true); // level 4 really took the integer path
    }
  });
});
