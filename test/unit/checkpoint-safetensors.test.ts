import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src-main/engine/errors';
import { openSafetensors } from '../../src-main/engine/checkpoint/safetensors';
import { modelDir } from '../helpers/paths';
import { checksum, cleanTempDirs, py, tempDir, type Checksum } from './checkpoint-helpers';

afterAll(cleanTempDirs);

/** Builds a safetensors file by hand from a header object and a data region. */
function handMade(dir: string, header: Record<string, unknown>, data: Uint8Array): string {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const file = join(dir, 'model.safetensors');
  writeFileSync(file, Buffer.concat([len, json, data]));
  return file;
}

describe('safetensors reader', () => {
  for (const [model, dtype] of [
    ['tiny-random-t5', 'F32'],
    ['toy-t5-large', 'F16'],
  ] as const) {
    it(`reads every ${dtype} tensor of ${model} like Python's struct does`, async () => {
      const file = join(modelDir(model), 'model.safetensors');
      const ref = JSON.parse(py(['st-checksum', file])) as Record<string, Checksum>;
      const r = await openSafetensors(file);
      try {
        expect(r.files).toEqual([file]);
        expect(r.tensors().map((t) => t.name).sort()).toEqual(Object.keys(ref).sort());
        for (const t of r.tensors()) {
          expect(t.dtype).toBe(dtype);
          expect(t.shape).toEqual(ref[t.name].shape);
          const { n, sum, wsum } = ref[t.name];
          expect(checksum(await r.readF32(t.name))).toEqual({ n, sum, wsum });
        }
        expect(r.has('shared.weight')).toBe(true);
        expect(r.has('nope')).toBe(false);
        await expect(r.readF32('nope')).rejects.toThrow(/no tensor named 'nope'/);
      } finally {
        await r.close();
      }
    });
  }

  it('refuses a truncated file at open, naming it', async () => {
    const file = join(tempDir(), 'model.safetensors');
    copyFileSync(join(modelDir('tiny-random-t5'), 'model.safetensors'), file);
    truncateSync(file, readFileSync(file).length - 100);
    const err = await openSafetensors(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/truncated/);
    truncateSync(file, 1000); // inside the header
    await expect(openSafetensors(file)).rejects.toThrow(/header length \d+ exceeds the file size 1000/);
    truncateSync(file, 5);
    await expect(openSafetensors(file)).rejects.toThrow(/truncated or not a safetensors file/);
  });

  it('validates dtype, shape and offsets, naming the tensor', async () => {
    const dir = tempDir();
    const data = new Uint8Array(64);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, /tensor 'ids': unsupported dtype "I64"/],
      [{ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, /tensor 'w': data_offsets \[0, 16\] hold 16 bytes but F32 \[3\] needs 12/],
      [{ w: { dtype: 'F32', shape: [32], data_offsets: [0, 128] } }, /truncated: tensor 'w' ends at data byte 128/],
      [{ w: { dtype: 'F16', shape: [-1], data_offsets: [0, 2] } }, /tensor 'w': invalid shape/],
      [{ w: { dtype: 'F16', shape: [1], data_offsets: [4, 2] } }, /tensor 'w': invalid data_offsets/],
    ];
    for (const [header, msg] of cases) {
      const file = handMade(dir, header, data);
      await expect(openSafetensors(file)).rejects.toThrow(msg);
    }
    writeFileSync(join(dir, 'bad.safetensors'), Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{{{{')]));
    await expect(openSafetensors(join(dir, 'bad.safetensors'))).rejects.toThrow(/header is not valid JSON/);
    await expect(openSafetensors(join(dir, 'missing.safetensors'))).rejects.toThrow(/missing.safetensors: cannot open \(ENOENT\)/);
  });

  it('widens BF16 exactly and reads scalars and empty tensors', async () => {
    const dir = tempDir();
    // bf16 bits: 1.0, -2.5, smallest subnormal, -0, +inf, a NaN
    const bits = new Uint16Array([0x3f80, 0xc020, 0x0001, 0x8000, 0x7f80, 0x7fc1, 0x4049]);
    const file = handMade(
      dir,
      {
        __metadata__: { format: 'pt' },
        b: { dtype: 'BF16', shape: [7], data_offsets: [0, 14] },
        s: { dtype: 'F32', shape: [], data_offsets: [16, 20] },
        e: { dtype: 'F16', shape: [0, 3], data_offsets: [20, 20] },
      },
      new Uint8Array([...new Uint8Array(bits.buffer), 0, 0, ...new Uint8Array(new Float32Array([3.5]).buffer)]),
    );
    const r = await openSafetensors(file);
    const b = await r.readF32('b');
    const u = new Uint32Array(b.buffer);
    expect([...u].map((x) => x >>> 16)).toEqual([...bits]);
    expect([...u].every((x) => (x & 0xffff) === 0)).toBe(true);
    expect([...(await r.readF32('s'))]).toEqual([3.5]);
    expect((await r.readF32('e')).length).toBe(0);
    await r.close();
    await expect(r.readF32('b')).rejects.toThrow(/closed/);
  });
});
