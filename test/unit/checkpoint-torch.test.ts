import { copyFileSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src-main/engine/errors';
import { openSafetensors } from '../../src-main/engine/checkpoint/safetensors';
import { openTorchZip } from '../../src-main/engine/checkpoint/torch-zip';
import { unpickle } from '../../src-main/engine/checkpoint/pickle';
import { f32ToBf16Bits, f32ToF16Bits } from '../../src-main/engine/checkpoint/float';
import { modelDir } from '../helpers/paths';
import { cleanTempDirs, f32Bytes, py, readAll, tempDir, torchSave } from './checkpoint-helpers';

afterAll(cleanTempDirs);

const TINY = modelDir('tiny-random-t5');

/** Expected row-major values of a strided view, computed directly from the definition. */
function strided(storage: number[], offset: number, shape: number[], stride: number[]): number[] {
  const numel = shape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let flat = 0; flat < numel; flat++) {
    let rem = flat;
    let pos = offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      pos += (rem % shape[d]) * stride[d];
      rem = Math.floor(rem / shape[d]);
    }
    out.push(storage[pos]);
  }
  return out;
}

describe('torch.save zip reader', () => {
  it('reads the fixture pytorch_model.bin equal to model.safetensors, tied tables shared', async () => {
    const bin = await openTorchZip(join(TINY, 'pytorch_model.bin'));
    const st = await openSafetensors(join(TINY, 'model.safetensors'));
    try {
      const b = await readAll(bin);
      const s = await readAll(st);
      for (const [name, v] of s) expect(b.get(name), name).toEqual(v);
      const infos = new Map(bin.tensors().map((t) => [t.name, t]));
      for (const t of st.tensors()) expect(infos.get(t.name)).toEqual(t);
      // torch.save keeps the tied embedding/head tables as views of shared.weight's storage.
      const extra = [...b.keys()].filter((n) => !s.has(n)).sort();
      expect(extra).toEqual(['decoder.embed_tokens.weight', 'encoder.embed_tokens.weight', 'lm_head.weight']);
      for (const n of extra) expect(b.get(n)).toEqual(s.get('shared.weight'));
    } finally {
      await Promise.all([bin.close(), st.close()]);
    }
  });

  it('reads zip64 central directories (sizes and offsets in zip64 extra fields)', async () => {
    const file = join(tempDir(), 'pytorch_model.bin');
    py(['rezip64', join(TINY, 'pytorch_model.bin'), file]);
    const z64 = await openTorchZip(file);
    const orig = await openTorchZip(join(TINY, 'pytorch_model.bin'));
    try {
      expect(z64.tensors()).toEqual(orig.tensors());
      for (const t of orig.tensors()) expect(await z64.readF32(t.name), t.name).toEqual(await orig.readF32(t.name));
    } finally {
      await Promise.all([z64.close(), orig.close()]);
    }
  });

  it('honours storage offsets, non-contiguous strides, shared storages and 16-bit storages', async () => {
    const dir = tempDir();
    const base = Array.from({ length: 60 }, (_, i) => i * 0.25 - 3);
    const halfBits = new Uint16Array(base.map(f32ToF16Bits));
    const bfBits = new Uint16Array(base.map(f32ToBf16Bits));
    const file = join(dir, 'pytorch_model.bin');
    const tensors = [
      { name: 'contig', storage: '0', offset: 0, shape: [3, 4], stride: [4, 1] },
      { name: 'offset', storage: '0', offset: 7, shape: [2, 5], stride: [5, 1] },
      { name: 'transposed', storage: '0', offset: 2, shape: [4, 3], stride: [1, 4] },
      { name: 'sliced3d', storage: '0', offset: 1, shape: [2, 3, 2], stride: [20, 6, 2] },
      { name: 'broadcast', storage: '0', offset: 5, shape: [3, 2], stride: [0, 1] },
      { name: 'scalar', storage: '0', offset: 59, shape: [], stride: [] },
      { name: 'empty', storage: '0', offset: 0, shape: [0, 4], stride: [4, 1] },
      { name: 'param', storage: '0', offset: 10, shape: [5], stride: [1], parameter: true },
      { name: 'half', storage: 'h', offset: 3, shape: [2, 2], stride: [1, 2] },
      { name: 'bf16', storage: 'b', offset: 0, shape: [6, 10], stride: [10, 1] },
    ];
    torchSave(
      file,
      [
        { key: '0', dtype: 'F32', data: f32Bytes(base) },
        { key: 'h', dtype: 'F16', data: new Uint8Array(halfBits.buffer) },
        { key: 'b', dtype: 'BF16', data: new Uint8Array(bfBits.buffer) },
      ],
      tensors,
    );
    const r = await openTorchZip(file);
    try {
      expect(r.tensors().map((t) => [t.name, t.dtype])).toEqual(
        tensors.map((t) => [t.name, t.storage === 'h' ? 'F16' : t.storage === 'b' ? 'BF16' : 'F32']),
      );
      for (const t of tensors) {
        // All values of `base` are exact in float16 and bfloat16.
        expect([...(await r.readF32(t.name))], t.name).toEqual(strided(base, t.offset, t.shape, t.stride));
      }
    } finally {
      await r.close();
    }
  });

  it('refuses foreign globals, naming them and the file', async () => {
    const dir = tempDir();
    const evil = (module: string, name: string): Uint8Array =>
      // PROTO 2, GLOBAL module\nname\n, SHORT arg 'id', TUPLE1, REDUCE, STOP
      new Uint8Array([0x80, 2, 0x63, ...Buffer.from(`${module}\n${name}\n`), 0x58, 2, 0, 0, 0, 0x69, 0x64, 0x85, 0x52, 0x2e]);
    for (const [m, n] of [['os', 'system'], ['builtins', 'eval'], ['posix', 'system'], ['torch.storage', '_load_from_bytes']]) {
      const file = join(dir, `${m}.bin`);
      torchSave(file, [], [], { rawPickle: evil(m, n) });
      const err = await openTorchZip(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toContain(`refusing global '${m}.${n}'`);
    }
    // Allowed names cannot be called out of place either.
    expect(() => unpickle(new Uint8Array([0x80, 2, 0x63, ...Buffer.from('torch\nFloatStorage\n'), 0x29, 0x52, 0x2e]), 'x.bin')).toThrow(
      /x.bin: data.pkl: refusing to call 'torch.FloatStorage'/,
    );
  });

  it('refuses unknown opcodes and unsupported storage dtypes', async () => {
    expect(() => unpickle(new Uint8Array([0x80, 2, 0x81, 0x2e]), 'f.bin')).toThrow(/f.bin: data.pkl: unsupported pickle opcode 0x81 \(NEWOBJ\) at byte 2/);
    expect(() => unpickle(new Uint8Array([0x80, 2, 0x69]), 'f.bin')).toThrow(/opcode 0x69 'i' \(INST\)/);
    expect(() => unpickle(new Uint8Array([0x80, 2, 0x29]), 'f.bin')).toThrow(/unexpected end of pickle data/);
    const dir = tempDir();
    const file = join(dir, 'long.bin');
    torchSave(file, [{ key: '0', dtype: 'I64', data: new Uint8Array(16) }], [{ name: 'ids', storage: '0', offset: 0, shape: [2], stride: [1] }]);
    await expect(openTorchZip(file)).rejects.toThrow(/unsupported storage type torch.LongStorage/);
  });

  it('refuses views past their storage, compressed members, truncated and foreign files', async () => {
    const dir = tempDir();
    const past = join(dir, 'past.bin');
    torchSave(past, [{ key: '0', dtype: 'F32', data: f32Bytes([1, 2, 3, 4]) }], [{ name: 'w', storage: '0', offset: 2, shape: [3], stride: [1] }]);
    await expect(openTorchZip(past)).rejects.toThrow(/tensor 'w': offset\/shape\/stride reach past its storage of 4 elements/);

    const deflated = join(dir, 'deflated.bin');
    torchSave(deflated, [{ key: '0', dtype: 'F32', data: f32Bytes([1, 2, 3, 4]) }], [{ name: 'w', storage: '0', offset: 0, shape: [4], stride: [1] }], { compress: true });
    await expect(openTorchZip(deflated)).rejects.toThrow(/is compressed \(method 8\)/);

    const cut = join(dir, 'pytorch_model.bin');
    copyFileSync(join(TINY, 'pytorch_model.bin'), cut);
    const size = readFileSync(cut).length;
    for (const keep of [Math.floor(size / 2), size - 10, 100]) {
      truncateSync(cut, keep);
      const err = await openTorchZip(cut).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toContain(cut);
      expect((err as Error).message).toMatch(/truncated/);
    }
    await expect(openTorchZip(join(TINY, 'model.safetensors'))).rejects.toThrow(/not a complete zip archive/);
  });
});
