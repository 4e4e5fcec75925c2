/** Positional reads that never return short: fs reads may deliver fewer bytes than asked. */
import type { FileHandle } from 'node:fs/promises';
import { UserError } from '../errors';
import { DTYPE_BYTES, widenInto } from './float';
import type { DType } from './types';

/** Node refuses single reads above 2 GiB; stay well below. */
const MAX_READ = 1 << 30;

export async function readExactly(fh: FileHandle, target: Uint8Array, position: number, file: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const len = Math.min(target.length - done, MAX_READ);
    const { bytesRead } = await fh.read(target, done, len, position + done);
    if (bytesRead === 0) throw new UserError(`${file}: unexpected end of file at byte ${position + done} (file truncated?)`);
    done += bytesRead;
  }
}

/** A fresh 4-byte-aligned buffer (Buffer.allocUnsafe may hand out unaligned pool slices). */
export function alignedBytes(n: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new ArrayBuffer(Math.ceil(n / 4) * 4), 0, n);
}

/** Converts a u64 read as bigint to a number, refusing values JS cannot index exactly. */
export function safeNumber(v: bigint, what: string, file: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UserError(`${file}: ${what} ${v} is too large`);
  return Number(v);
}

/** Elements widened per chunk for 16-bit data, bounding the temporary buffer to 16 MiB. */
const CHUNK_ELEMS = 8 << 20;

/** Reads `count` elements of `dtype` at `position` and widens them to a new float32 array. */
export async function readWidened(
  fh: FileHandle,
  dtype: DType,
  position: number,
  count: number,
  file: string,
): Promise<Float32Array<ArrayBuffer>> {
  const out = new Float32Array(count);
  if (dtype === 'F32') {
    await readExactly(fh, new Uint8Array(out.buffer), position, file);
    return out;
  }
  const size = DTYPE_BYTES[dtype];
  const scratch = alignedBytes(Math.min(count, CHUNK_ELEMS) * size);
  for (let start = 0; start < count; start += CHUNK_ELEMS) {
    const n = Math.min(CHUNK_ELEMS, count - start);
    const bytes = scratch.subarray(0, n * size);
    await readExactly(fh, bytes, position + start * size, file);
    widenInto(dtype, bytes, out, start, n);
  }
  return out;
}
