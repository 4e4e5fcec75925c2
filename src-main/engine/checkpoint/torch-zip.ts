/**
 * Reader for pytorch_model.bin written by torch.save (zip format, torch >= 1.6): data.pkl names
 * the tensors; each storage is an uncompressed member data/<key>, read on demand by offset.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { UserError } from '../errors';
import { alignedBytes, readExactly, readWidened } from './file-io';
import { DTYPE_BYTES } from './float';
import { unpickleStateDict, type TensorRef } from './pickle';
import type { CheckpointReader, TensorInfo } from './types';
import { memberDataStart, readZipDirectory, type ZipEntry } from './zip';

/** data.pkl of a T5 state dict is kilobytes; anything huge is not a state dict. */
const MAX_PICKLE = 256 << 20;

export async function openTorchZip(file: string): Promise<CheckpointReader> {
  const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`${file}: cannot open (${err.code ?? err.message})`);
  });
  try {
    const size = (await fh.stat()).size;
    const magic = new Uint8Array(Math.min(2, size));
    await readExactly(fh, magic, 0, file);
    if (magic[0] === 0x80 && magic[1] === 0x02)
      throw new UserError(`${file}: legacy (pre-1.6) torch.save format is not supported; re-save it with a recent torch or as safetensors`);
    const entries = await readZipDirectory(fh, size, file);
    const pkl = [...entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (!pkl) throw new UserError(`${file}: no <archive>/data.pkl member: not a torch.save checkpoint`);
    const prefix = pkl.slice(0, -'data.pkl'.length);
    const byteorder = entries.get(`${prefix}byteorder`);
    if (byteorder) {
      const order = await readMember(fh, byteorder, size, file);
      if (new TextDecoder().decode(order).trim() !== 'little') throw new UserError(`${file}: big-endian torch checkpoints are not supported`);
    }
    const pklEntry = entries.get(pkl)!;
    if (pklEntry.size > MAX_PICKLE) throw new UserError(`${file}: ${pkl} is implausibly large (${pklEntry.size} bytes)`);
    const tensors = unpickleStateDict(await readMember(fh, pklEntry, size, file), file);
    for (const [name, t] of tensors) validate(name, t, entries.get(`${prefix}data/${t.storage.key}`), file);
    return new TorchZipReader(file, fh, size, prefix, entries, tensors);
  } catch (err) {
    await fh.close();
    throw err;
  }
}

async function readMember(fh: FileHandle, entry: ZipEntry, fileSize: number, file: string): Promise<Uint8Array> {
  const start = await memberDataStart(fh, entry, fileSize, file);
  const buf = alignedBytes(entry.size);
  await readExactly(fh, buf, start, file);
  return buf;
}

/** Highest storage element a tensor touches (strides are non-negative), or -1 when it is empty. */
function lastElement(t: TensorRef): number {
  if (t.shape.some((s) => s === 0)) return -1;
  return t.shape.reduce((acc, s, i) => acc + (s - 1) * t.stride[i], t.offset);
}

function validate(name: string, t: TensorRef, member: ZipEntry | undefined, file: string): void {
  const where = `${file}: tensor '${name}'`;
  if (!member) throw new UserError(`${where}: storage member data/${t.storage.key} is missing`);
  if (member.method !== 0)
    throw new UserError(`${where}: storage member data/${t.storage.key} is compressed (method ${member.method}); torch.save stores members uncompressed, re-save the checkpoint`);
  if (member.size < t.storage.numel * DTYPE_BYTES[t.storage.dtype])
    throw new UserError(`${where}: storage data/${t.storage.key} holds ${member.size} bytes, fewer than its ${t.storage.numel} ${t.storage.dtype} elements`);
  // Zero or overlapping strides repeat storage elements: allowed, but no larger than the storage
  // itself, so a crafted shape cannot make a read allocate more than the archive holds.
  const numel = t.shape.reduce((a, b) => a * b, 1);
  if (numel > t.storage.numel)
    throw new UserError(`${where}: its view ${JSON.stringify(t.shape)} (strides ${JSON.stringify(t.stride)}) has ${numel} elements, more than its storage of ${t.storage.numel}`);
  if (lastElement(t) >= t.storage.numel)
    throw new UserError(`${where}: offset/shape/stride reach past its storage of ${t.storage.numel} elements`);
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Copies a strided view (relative to `base`) into a new row-major array. */
function gather(src: Float32Array, shape: number[], stride: number[]): Float32Array<ArrayBuffer> {
  const numel = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(numel);
  if (numel === 0) return out;
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  const inner = rank ? shape[rank - 1] : 1;
  const innerStride = rank ? stride[rank - 1] : 0;
  let srcPos = 0;
  for (let o = 0; o < numel; o += inner) {
    for (let j = 0; j < inner; j++) out[o + j] = src[srcPos + j * innerStride];
    // Advance the outer multi-index like an odometer.
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      srcPos += stride[d];
      if (idx[d] < shape[d]) break;
      srcPos -= idx[d] * stride[d];
      idx[d] = 0;
    }
  }
  return out;
}

class TorchZipReader implements CheckpointReader {
  readonly files: string[];
  private closed = false;
  private readonly starts = new Map<string, Promise<number>>();

  constructor(
    private readonly file: string,
    private readonly fh: FileHandle,
    private readonly size: number,
    private readonly prefix: string,
    private readonly entries: Map<string, ZipEntry>,
    private readonly refs: Map<string, TensorRef>,
  ) {
    this.files = [file];
  }

  tensors(): TensorInfo[] {
    return [...this.refs].map(([name, t]) => ({ name, dtype: t.storage.dtype, shape: [...t.shape] }));
  }

  has(name: string): boolean {
    return this.refs.has(name);
  }

  private storageStart(key: string): Promise<number> {
    let p = this.starts.get(key);
    if (!p) {
      p = memberDataStart(this.fh, this.entries.get(`${this.prefix}data/${key}`)!, this.size, this.file);
      this.starts.set(key, p);
    }
    return p;
  }

  async readF32(name: string): Promise<Float32Array<ArrayBuffer>> {
    if (this.closed) throw new Error(`${this.file}: reader is closed`);
    const t = this.refs.get(name);
    if (!t) throw new UserError(`${this.file}: no tensor named '${name}'`);
    const last = lastElement(t);
    if (last < 0) return new Float32Array(0);
    const start = await this.storageStart(t.storage.key);
    const elem = DTYPE_BYTES[t.storage.dtype];
    // Read only the span of the storage this tensor covers.
    const span = await readWidened(this.fh, t.storage.dtype, start + t.offset * elem, last - t.offset + 1, this.file);
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (isContiguous(t.shape, t.stride) && span.length === numel) return span;
    return gather(span, t.shape, t.stride);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}
