// Block-wise weight-only quantization in the layout of onnxruntime's com.microsoft MatMulNBits.
//
// A linear weight W [N = out, K = in] (PyTorch's own layout: MatMulNBits takes the weight
// transposed, so no transpose is needed) is cut along K into blocks of `blockSize` values
// (the last block zero-padded). Each block gets one float32 scale s and b-bit codes q:
//
//   m  = the block's value of largest magnitude, with its sign
//   s  = m / -2^(b-1)                       (so m itself is coded exactly as -2^(b-1))
//   q  = clamp(round(w / s), -2^(b-1), 2^(b-1) - 1) + 2^(b-1)      stored unsigned, 0..2^b-1
//   ŵ  = (q - 2^(b-1)) · s                  (MatMulNBits' dequantization with its default zero point)
//
// Error: |w - ŵ| ≤ |s|/2 for every value, except values of the opposite sign to m within |s|/2 of
// |m| (w/s rounds to +2^(b-1), one past the largest code), which are off by at most |s|.
// So |w - ŵ| ≤ |m| / 2^(b-1) always: 1/8 of the block's largest magnitude at 4 bits, 1/128 at 8.
//
// Symmetric (no zero points) rather than asymmetric: T5's projection weights are centred on zero,
// so a zero point buys little range, while it costs a packed zero-point tensor per weight and
// a subtraction per block in every kernel. Putting the signed extreme on the code -2^(b-1) uses
// all 2^b codes (an |max|/(2^(b-1)-1) scale would leave one unused).
//
// Packing (MatMulNBits input B, [N, blocks, blockSize·b/8] uint8): values in K order, the first
// in the lowest bits of a byte (4 bits: value 2j in the low nibble of byte j, 2j+1 in the high one).

export type QuantBits = 4 | 8;

export interface QuantizedBlocks {
  /** Packed codes [N, blocks, blockSize·bits/8]. */
  data: Uint8Array;
  /** One scale per block, [N, blocks] row-major. */
  scales: Float32Array;
  blocks: number;
}

/** Blocks per row of K values. */
export const blockCount = (k: number, blockSize: number): number => Math.ceil(k / blockSize);

/** w [n, k] row-major (out × in) -> codes and scales as described above. */
export function quantizeBlocks(w: Float32Array, n: number, k: number, bits: QuantBits, blockSize: number): QuantizedBlocks {
  if (w.length !== n * k) throw new Error(`quantizeBlocks: ${w.length} values for [${n}, ${k}]`);
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) throw new Error(`quantizeBlocks: block size ${blockSize} is not a power of two ≥ 16`);
  const blocks = blockCount(k, blockSize);
  const blob = (blockSize * bits) / 8;
  const data = new Uint8Array(n * blocks * blob);
  const scales = new Float32Array(n * blocks);
  const half = 1 << (bits - 1);
  for (let r = 0; r < n; r++) {
    const row = r * k;
    for (let b = 0; b < blocks; b++) {
      const k0 = b * blockSize;
      const k1 = Math.min(k, k0 + blockSize);
      let m = 0;
      for (let i = row + k0; i < row + k1; i++) if (Math.abs(w[i]!) > Math.abs(m)) m = w[i]!;
      const s = m === 0 ? 0 : Math.fround(m / -half); // not -0: a zero block dequantizes to +0
      scales[r * blocks + b] = s;
      const inv = s === 0 ? 0 : 1 / s;
      const out = (r * blocks + b) * blob;
      // padding past k stays code `half` (value 0), as does a block of zeros
      for (let j = 0; j < blockSize; j++) {
        const v = k0 + j < k1 ? w[row + k0 + j]! * inv : 0;
        const q = Math.min(half - 1, Math.max(-half, Math.round(v))) + half;
        if (bits === 8) data[out + j] = q;
        else data[out + (j >> 1)]! |= (j & 1) === 0 ? q : q << 4;
      }
    }
  }
  return { data, scales, blocks };
}

/** The inverse, as MatMulNBits computes it: codes and scales -> ŵ [n, k]. */
export function dequantizeBlocks(q: QuantizedBlocks, n: number, k: number, bits: QuantBits, blockSize: number): Float32Array {
  const out = new Float32Array(n * k);
  const blob = (blockSize * bits) / 8;
  const half = 1 << (bits - 1);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < k; c++) {
      const b = Math.floor(c / blockSize);
      const j = c % blockSize;
      const at = (r * q.blocks + b) * blob;
      const code = bits === 8 ? q.data[at + j]! : (q.data[at + (j >> 1)]! >> ((j & 1) * 4)) & 15;
      out[r * k + c] = (code - half) * q.scales[r * q.blocks + b]!;
    }
  return out;
}
