/** Exact float16/bfloat16 -> float32 widening and round-to-nearest-even narrowing. */
import { endianness } from 'node:os';
import type { DType } from './types';

/** Typed-array views over file bytes assume a little-endian host (every platform Node ships on). */
if (endianness() !== 'LE') throw new Error('bild-bench checkpoint readers need a little-endian host');

export const DTYPE_BYTES: Record<DType, number> = { F32: 4, F16: 2, BF16: 2 };

let halfTable: Float32Array | undefined;

/** float32 value of every float16 bit pattern (256 KiB, built on first use). */
function f16Table(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  const bits = new Uint32Array(t.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) t[h] = (sign ? -1 : 1) * mant * 2 ** -24; // zero and subnormals: exact in float32
    else if (exp === 31) bits[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
    else bits[h] = (sign | ((exp - 15 + 127) << 23) | (mant << 13)) >>> 0;
  }
  halfTable = t;
  return t;
}

/** Widens `count` little-endian elements of `dtype` from `src` into `dst` starting at dst[dstStart]. */
export function widenInto(dtype: DType, src: Uint8Array, dst: Float32Array, dstStart: number, count: number): void {
  if (src.byteOffset % 4 !== 0) throw new Error('widenInto: source must be 4-byte aligned');
  if (dtype === 'F32') {
    dst.set(new Float32Array(src.buffer, src.byteOffset, count), dstStart);
  } else if (dtype === 'F16') {
    const table = f16Table();
    const h = new Uint16Array(src.buffer, src.byteOffset, count);
    for (let i = 0; i < count; i++) dst[dstStart + i] = table[h[i]];
  } else {
    const b = new Uint16Array(src.buffer, src.byteOffset, count);
    const out = new Uint32Array(dst.buffer, dst.byteOffset + dstStart * 4, count);
    for (let i = 0; i < count; i++) out[i] = b[i] << 16;
  }
}

const scratchF = new Float32Array(1);
const scratchU = new Uint32Array(scratchF.buffer);

/** float32 -> float16 bits, round to nearest even; overflow gives infinity, NaN stays NaN. */
export function f32ToF16Bits(x: number): number {
  scratchF[0] = x;
  const b = scratchU[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal result: shift the mantissa (with its implicit 1) down and round the dropped bits.
    const full = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    if (rem > half || (rem === half && m & 1)) m++;
    return sign | m;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return h;
}

/** float32 -> bfloat16 bits, round to nearest even. */
export function f32ToBf16Bits(x: number): number {
  scratchF[0] = x;
  const b = scratchU[0];
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return ((b >>> 16) | 0x40) & 0xffff;
  return ((b + 0x7fff + ((b >>> 16) & 1)) / 65536) & 0xffff;
}

/** Narrows float32 values to little-endian bytes of `dtype`. */
export function narrow(dtype: DType, src: Float32Array): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  const out = new Uint16Array(src.length);
  const conv = dtype === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
  for (let i = 0; i < src.length; i++) out[i] = conv(src[i]);
  return new Uint8Array(out.buffer);
}
