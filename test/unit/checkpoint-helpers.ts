/** Shared helpers for the checkpoint tests: temp folders and the Python reference script. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckpointReader } from '../../src-main/engine/checkpoint/types';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'checkpoint-pyhelper.py');

export function py(args: string[], input?: string): string {
  return execFileSync('python3', [SCRIPT, ...args], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
}

const dirs: string[] = [];
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bild-ckpt-'));
  dirs.push(d);
  return d;
}
export function cleanTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface PyTensor {
  name: string;
  storage: string;
  offset: number;
  shape: number[];
  stride: number[];
  parameter?: boolean;
}
export interface PyStorage {
  key: string;
  dtype: 'F32' | 'F16' | 'BF16' | 'I64';
  data: Uint8Array;
  /** Elements the pickle claims (default: what `data` holds). */
  numel?: number;
}

/** Writes a torch.save-style zip with Python's pickle + zipfile. */
export function torchSave(
  out: string,
  storages: PyStorage[],
  tensors: PyTensor[],
  opts: { archive?: string; compress?: boolean; rawPickle?: Uint8Array } = {},
): void {
  const spec = {
    out,
    archive: opts.archive ?? 'archive',
    compress: opts.compress ?? false,
    storages: storages.map((s) => ({ key: s.key, dtype: s.dtype, data: Buffer.from(s.data).toString('base64'), numel: s.numel })),
    tensors,
    ...(opts.rawPickle ? { raw_pickle: Buffer.from(opts.rawPickle).toString('base64') } : {}),
  };
  const specFile = `${out}.spec.json`;
  writeFileSync(specFile, JSON.stringify(spec));
  py(['torch-save', specFile]);
  rmSync(specFile);
}

export interface Checksum {
  n: number;
  sum: number;
  wsum: number;
  dtype: string;
  shape: number[];
}

/** The same sums as checkpoint-pyhelper.py's st-checksum, in the same order (so exactly equal). */
export function checksum(v: Float32Array): { n: number; sum: number; wsum: number } {
  let sum = 0;
  let wsum = 0;
  for (let i = 0; i < v.length; i++) {
    sum += v[i];
    wsum += v[i] * ((i % 97) + 1);
  }
  return { n: v.length, sum, wsum };
}

export async function readAll(r: CheckpointReader): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const t of r.tensors()) out.set(t.name, await r.readF32(t.name));
  return out;
}

export const f32Bytes = (v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);
