/** Streaming safetensors reader: parses only the JSON header; tensor bytes are read on demand. */
import { open, type FileHandle } from 'node:fs/promises';
import { UserError } from '../errors';
import { readExactly, readWidened } from './file-io';
import { DTYPE_BYTES } from './float';
import type { CheckpointReader, DType, TensorInfo } from './types';

/** safetensors itself caps headers at 100 MB; a larger length means a corrupt or foreign file. */
const MAX_HEADER = 100_000_000;

interface Entry extends TensorInfo {
  begin: number;
  end: number;
}

function isDType(v: unknown): v is DType {
  return v === 'F32' || v === 'F16' || v === 'BF16';
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Validates one header entry against the data region; every message names file and tensor. */
function parseEntry(name: string, raw: unknown, dataLen: number, file: string): Entry {
  const bad = (why: string): UserError => new UserError(`${file}: tensor '${name}': ${why}`);
  if (!raw || typeof raw !== 'object') throw bad('header entry is not an object');
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (!isDType(dtype))
    throw bad(`unsupported dtype ${JSON.stringify(dtype)} (only F32, F16 and BF16 weights are supported)`);
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad(`invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1])
    throw bad(`invalid data_offsets ${JSON.stringify(offsets)}`);
  const [begin, end] = offsets as [number, number];
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  if (end - begin !== numel * DTYPE_BYTES[dtype])
    throw bad(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${numel * DTYPE_BYTES[dtype]}`);
  if (end > dataLen)
    throw new UserError(
      `${file}: truncated: tensor '${name}' ends at data byte ${end} but the file holds only ${dataLen} data bytes`,
    );
  return { name, dtype, shape: shape as number[], begin, end };
}

export async function openSafetensors(file: string): Promise<CheckpointReader> {
  const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`${file}: cannot open (${err.code ?? err.message})`);
  });
  try {
    const size = (await fh.stat()).size;
    if (size < 8) throw new UserError(`${file}: truncated or not a safetensors file (${size} bytes)`);
    const lenBytes = new Uint8Array(8);
    await readExactly(fh, lenBytes, 0, file);
    const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (headerLen > BigInt(Math.min(size - 8, MAX_HEADER)))
      throw new UserError(`${file}: header length ${headerLen} exceeds the file size ${size} (truncated or not a safetensors file)`);
    const n = Number(headerLen);
    const headerBytes = new Uint8Array(n);
    await readExactly(fh, headerBytes, 8, file);
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
    } catch (err) {
      throw new UserError(`${file}: header is not valid JSON (${(err as Error).message})`);
    }
    if (!header || typeof header !== 'object' || Array.isArray(header))
      throw new UserError(`${file}: header is not a JSON object`);
    const dataStart = 8 + n;
    const entries = new Map<string, Entry>();
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      entries.set(name, parseEntry(name, raw, size - dataStart, file));
    }
    return new SafetensorsReader(file, fh, dataStart, entries);
  } catch (err) {
    await fh.close();
    throw err;
  }
}

class SafetensorsReader implements CheckpointReader {
  readonly files: string[];
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly fh: FileHandle,
    private readonly dataStart: number,
    private readonly entries: Map<string, Entry>,
  ) {
    this.files = [file];
  }

  tensors(): TensorInfo[] {
    return [...this.entries.values()].map(({ name, dtype, shape }) => ({ name, dtype, shape: [...shape] }));
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  async readF32(name: string): Promise<Float32Array<ArrayBuffer>> {
    if (this.closed) throw new Error(`${this.file}: reader is closed`);
    const e = this.entries.get(name);
    if (!e) throw new UserError(`${this.file}: no tensor named '${name}'`);
    return readWidened(this.fh, e.dtype, this.dataStart + e.begin, (e.end - e.begin) / DTYPE_BYTES[e.dtype], this.file);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}
