import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readT5Config } from '../../src-main/engine/checkpoint/config';
import { f32ToBf16Bits, f32ToF16Bits, widenInto } from '../../src-main/engine/checkpoint/float';
import { checkpointHash } from '../../src-main/engine/checkpoint/hash';
import { openCheckpoint } from '../../src-main/engine/checkpoint/open';
import { openSafetensors } from '../../src-main/engine/checkpoint/safetensors';
import { SafetensorsWriter, writeRandomT5Checkpoint } from '../../src-main/engine/checkpoint/safetensors-writer';
import { seededRandom } from '../../src-main/engine/seeded-random';
import type { CheckpointReader, TensorInfo } from '../../src-main/engine/checkpoint/types';
import { modelDir } from '../helpers/paths';
import { checksum, cleanTempDirs, py, tempDir, type Checksum } from './checkpoint-helpers';

afterAll(cleanTempDirs);

async function infos(dir: string): Promise<TensorInfo[]> {
  const r: CheckpointReader = await openCheckpoint(dir);
  const t = r.tensors();
  await r.close();
  return t;
}

describe('float conversions', () => {
  it('widens every float16 bit pattern as Python struct does', () => {
    const ref = JSON.parse(py(['f16-table'])) as number[];
    const all = new Uint16Array(65536).map((_, i) => i);
    const out = new Float32Array(65536);
    widenInto('F16', new Uint8Array(all.buffer), out, 0, 65536);
    const bits = new Uint32Array(out.buffer);
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(out[h])) expect(((ref[h] >>> 23) & 0xff) === 0xff && (ref[h] & 0x7fffff) !== 0, `nan ${h}`).toBe(true);
      else if (bits[h] !== ref[h]) expect.fail(`half 0x${h.toString(16)}: 0x${bits[h].toString(16)} vs 0x${ref[h].toString(16)}`);
    }
  });

  it('rounds float32 to float16 to nearest even, like Python struct', () => {
    const rand = seededRandom(7);
    const vals = [0, 1, -1, 65504, 65519, 65520, 1e6, -1e6, 6e-8, 2.98e-8, 2.9802322387695312e-8, 3e-8, 6.1e-5, 1 / 3, 2049, 2051];
    for (let i = 0; i < 3000; i++) vals.push((rand() - 0.5) * 2 ** Math.floor(rand() * 50 - 30));
    const f32 = Array.from(new Float32Array(vals)); // Python sees the float32 values
    const ref = JSON.parse(py(['f16-round'], JSON.stringify(f32))) as number[];
    expect(f32.map(f32ToF16Bits)).toEqual(ref);
    expect(f32ToF16Bits(-0)).toBe(0x8000); // JSON cannot carry -0 to Python
    expect(f32ToF16Bits(Number.NaN) & 0x7fff).toBeGreaterThan(0x7c00);
  });

  it('rounds float32 to bfloat16 to nearest even', () => {
    const bits = (u: number): number => new Float32Array(new Uint32Array([u]).buffer)[0];
    expect(f32ToBf16Bits(bits(0x3f808000))).toBe(0x3f80); // tie, even stays
    expect(f32ToBf16Bits(bits(0x3f818000))).toBe(0x3f82); // tie, odd rounds up
    expect(f32ToBf16Bits(bits(0x3f808001))).toBe(0x3f81);
    expect(f32ToBf16Bits(bits(0x7f7fffff))).toBe(0x7f80); // max float rounds to inf
    expect(f32ToBf16Bits(Number.NaN) & 0x7fff).toBeGreaterThan(0x7f80);
  });
});

describe('SafetensorsWriter', () => {
  it('streams tensors in chunks; F32 round-trips, F16/BF16 read back as Python decodes them', async () => {
    const dir = tempDir();
    const file = join(dir, 'x.safetensors');
    const rand = seededRandom(1);
    const a = new Float32Array(3 * 1000).map(() => rand() - 0.5);
    const w = await SafetensorsWriter.create(file, [
      { name: 'a32', dtype: 'F32', shape: [3, 1000] },
      { name: 'empty', dtype: 'F32', shape: [0] },
      { name: 'a16', dtype: 'F16', shape: [3, 1000] },
      { name: 'abf', dtype: 'BF16', shape: [3000] },
    ]);
    await expect(w.append('a16', a)).rejects.toThrow(/expected tensor 'a32'/);
    await w.append('a32', a.subarray(0, 1234));
    await w.append('a32', a.subarray(1234));
    await w.write('a16', a);
    expect(existsSync(file)).toBe(false); // only the .tmp until closed
    await w.write('abf', a);
    await w.close();
    expect(readFileSync(file).readBigUInt64LE(0) % 8n).toBe(0n);
    const ref = JSON.parse(py(['st-checksum', file])) as Record<string, Checksum>;
    const r = await openSafetensors(file);
    expect(await r.readF32('a32')).toEqual(a);
    for (const name of ['a16', 'abf']) {
      const v = await r.readF32(name);
      expect(checksum(v)).toEqual({ n: ref[name].n, sum: ref[name].sum, wsum: ref[name].wsum });
      const tol = name === 'a16' ? 2 ** -11 : 2 ** -8;
      for (let i = 0; i < a.length; i++) expect(Math.abs(v[i] - a[i])).toBeLessThanOrEqual(Math.abs(a[i]) * tol + 1e-7);
    }
    await r.close();

    const bad = await SafetensorsWriter.create(join(dir, 'bad.safetensors'), [{ name: 'w', dtype: 'F32', shape: [2] }]);
    await expect(bad.append('w', new Float32Array(3))).rejects.toThrow(/too many elements/);
    await expect(bad.close()).rejects.toThrow(/closed before tensor 'w' was written/);
    expect(existsSync(join(dir, 'bad.safetensors.tmp'))).toBe(false);
  });
});

describe('writeRandomT5Checkpoint', () => {
  it('writes the exact tensor names and shapes of the real fixtures', async () => {
    for (const model of ['tiny-random-t5', 'toy-t5-large']) {
      const dir = join(tempDir(), model);
      const config = readT5Config(modelDir(model));
      await writeRandomT5Checkpoint(dir, config, 3, 'F16');
      const want = (await infos(modelDir(model))).map(({ name, shape }) => ({ name, shape }));
      const got = await infos(dir);
      expect(got.map(({ name, shape }) => ({ name, shape }))).toEqual(want);
      expect(got.every((t) => t.dtype === 'F16')).toBe(true);
      expect(readT5Config(dir)).toEqual(config);
      // transformers >= 5 refuses `"initializer_factor": 1` (int for a float field): write floats as it does
      const text = readFileSync(join(dir, 'config.json'), 'utf8');
      for (const field of ['dropout_rate', 'initializer_factor'])
        expect(text).toMatch(new RegExp(`"${field}": [0-9]+\\.[0-9]+[,\\n]`));
    }
  });

  it('defaults to mT5-small hyper-parameters with an untied head, deterministic per seed', async () => {
    const small = { vocabSize: 300, numLayers: 2, numDecoderLayers: 1 };
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    const res = await writeRandomT5Checkpoint(a, small, 42, 'F32');
    await writeRandomT5Checkpoint(b, small, 42, 'F32');
    await writeRandomT5Checkpoint(c, small, 43, 'F32');
    const cache = tempDir();
    const hash = async (d: string): Promise<string> => checkpointHash([join(d, 'model.safetensors')], cache);
    expect(await hash(a)).toBe(await hash(b));
    expect(await hash(a)).not.toBe(await hash(c));
    const cfg = readT5Config(a);
    expect(cfg).toMatchObject({ modelType: 'mt5', dModel: 512, dKv: 64, dFf: 1024, numHeads: 6, ffProj: 'gated-gelu', tieWordEmbeddings: false, scaleDecoderOutputs: false });
    const r = await openCheckpoint(a);
    const names = r.tensors().map((t) => t.name);
    expect(names).toContain('lm_head.weight');
    expect(names).toContain('encoder.block.1.layer.1.DenseReluDense.wi_1.weight');
    expect(names).not.toContain('decoder.block.1.layer.0.SelfAttention.q.weight');
    expect(res.parameters).toBe(r.tensors().reduce((s, t) => s + t.shape.reduce((x, y) => x * y, 1), 0));
    const ln = await r.readF32('encoder.final_layer_norm.weight');
    expect(ln.every((x) => x > 0.94 && x < 1.06)).toBe(true);
    const q = await r.readF32('encoder.block.0.layer.0.SelfAttention.q.weight');
    const mean = q.reduce((s, x) => s + x, 0) / q.length;
    const std = Math.sqrt(q.reduce((s, x) => s + (x - mean) ** 2, 0) / q.length);
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(std).toBeGreaterThan(0.045);
    expect(std).toBeLessThan(0.055);
    await r.close();
  });
});
