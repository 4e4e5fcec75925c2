import { copyFileSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src-main/engine/errors';
import { checkpointHash, fileSha256 } from '../../src-main/engine/checkpoint/hash';
import { openCheckpoint } from '../../src-main/engine/checkpoint/open';
import { SafetensorsWriter } from '../../src-main/engine/checkpoint/safetensors-writer';
import type { CheckpointReader } from '../../src-main/engine/checkpoint/types';
import { modelDir } from '../helpers/paths';
import { cleanTempDirs, f32Bytes, readAll, tempDir, torchSave } from './checkpoint-helpers';

afterAll(cleanTempDirs);

const TINY = modelDir('tiny-random-t5');

async function withReader<T>(dir: string, fn: (r: CheckpointReader) => Promise<T>): Promise<T> {
  const r = await openCheckpoint(dir);
  try {
    return await fn(r);
  } finally {
    await r.close();
  }
}

/** Splits the tiny fixture into `n` shards of each format, with index files like transformers writes. */
async function writeShards(n: number): Promise<{ st: string; bin: string; ref: Map<string, Float32Array>; names: string[][] }> {
  const [ref, shapes] = await withReader(TINY, async (r) => [await readAll(r), new Map(r.tensors().map((t) => [t.name, t.shape]))] as const);
  const shapeOf = (name: string): number[] => shapes.get(name)!;
  const names: string[][] = Array.from({ length: n }, () => []);
  [...ref.keys()].forEach((name, i) => names[i % n].push(name));
  const st = join(tempDir(), 'st');
  const bin = join(tempDir(), 'bin');
  mkdirSync(st);
  mkdirSync(bin);
  const stMap: Record<string, string> = {};
  const binMap: Record<string, string> = {};
  for (let s = 0; s < n; s++) {
    const stName = `model-0000${s + 1}-of-0000${n}.safetensors`;
    const w = await SafetensorsWriter.create(join(st, stName), names[s].map((name) => ({ name, dtype: 'F32', shape: shapeOf(name) })));
    for (const name of names[s]) {
      await w.write(name, ref.get(name)!);
      stMap[name] = stName;
    }
    await w.close();
    const binName = `pytorch_model-0000${s + 1}-of-0000${n}.bin`;
    const tensors = names[s].map((name, i) => ({ name, storage: String(i), offset: 0, shape: shapeOf(name), stride: strideOf(shapeOf(name)) }));
    // A second tensor on the first shard's first storage, as tied weights are saved.
    const storages = names[s].map((name, i) => ({ key: String(i), dtype: 'F32' as const, data: f32Bytes([...ref.get(name)!]) }));
    if (s === 0) {
      tensors.push({ ...tensors.find((t) => t.name === names[0][0])!, name: 'tied.alias' });
      binMap['tied.alias'] = binName;
    }
    torchSave(join(bin, binName), storages, tensors);
    for (const name of names[s]) binMap[name] = binName;
  }
  writeFileSync(join(st, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: stMap }));
  writeFileSync(join(bin, 'pytorch_model.bin.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: binMap }));
  copyFileSync(join(TINY, 'config.json'), join(st, 'config.json'));
  return { st, bin, ref, names };
}

const strideOf = (shape: number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

describe('openCheckpoint', () => {
  it('prefers model.safetensors over pytorch_model.bin', async () => {
    await withReader(TINY, async (r) => {
      expect(r.files).toEqual([join(TINY, 'model.safetensors')]);
    });
    const dir = tempDir();
    copyFileSync(join(TINY, 'pytorch_model.bin'), join(dir, 'pytorch_model.bin'));
    await withReader(dir, async (r) => {
      expect(r.files).toEqual([join(dir, 'pytorch_model.bin')]);
      expect(r.has('lm_head.weight')).toBe(true);
    });
  });

  it('reads sharded safetensors and sharded pytorch_model.bin', async () => {
    const { st, bin, ref, names } = await writeShards(3);
    for (const dir of [st, bin]) {
      await withReader(dir, async (r) => {
        expect(r.files[0]).toMatch(/index\.json$/);
        expect(r.files.length).toBe(4);
        const got = await readAll(r);
        for (const [name, v] of ref) expect(got.get(name), name).toEqual(v);
        expect(r.tensors().find((t) => t.name === 'shared.weight')?.shape).toEqual([850, 64]);
      });
    }
    await withReader(bin, async (r) => expect(await r.readF32('tied.alias')).toEqual(ref.get(names[0][0])));

    // A shard the index names but the folder lacks.
    rmSync(join(st, 'model-00002-of-00003.safetensors'));
    const err = await openCheckpoint(st).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/shard 'model-00002-of-00003.safetensors' listed in weight_map is missing/);
    // A tensor the index places in a shard that lacks it.
    const index = JSON.parse(readFileSync(join(bin, 'pytorch_model.bin.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    index.weight_map['ghost.weight'] = 'pytorch_model-00001-of-00003.bin';
    writeFileSync(join(bin, 'pytorch_model.bin.index.json'), JSON.stringify(index));
    await expect(openCheckpoint(bin)).rejects.toThrow(/tensor 'ghost.weight' is not in shard 'pytorch_model-00001-of-00003.bin'/);
    index.weight_map['ghost.weight'] = '../elsewhere.bin';
    writeFileSync(join(bin, 'pytorch_model.bin.index.json'), JSON.stringify(index));
    await expect(openCheckpoint(bin)).rejects.toThrow(/invalid shard name "..\/elsewhere.bin"/);
  });

  it('names the folder when it or its weights are missing', async () => {
    const dir = tempDir();
    await expect(openCheckpoint(join(dir, 'nope'))).rejects.toThrow(new UserError(`${join(dir, 'nope')}: checkpoint folder not found`));
    await expect(openCheckpoint(dir)).rejects.toThrow(/no weights file \(looked for model.safetensors, model.safetensors.index.json, pytorch_model.bin/);
  });
});

describe('checkpointHash', () => {
  it('hashes weights + config, memoized by path, size and mtime', async () => {
    const dir = tempDir();
    const cache = join(tempDir(), 'cache');
    for (const f of ['model.safetensors', 'config.json']) copyFileSync(join(TINY, f), join(dir, f));
    const h1 = await withReader(dir, (r) => checkpointHash(r, cache));
    expect(h1).toMatch(/^[0-9a-f]{64}$/);
    // Same content elsewhere gives the same hash.
    expect(await checkpointHash([join(TINY, 'model.safetensors')], cache)).toBe(h1);
    const memoFile = join(cache, 'checkpoint-hashes.json');
    const memo = JSON.parse(readFileSync(memoFile, 'utf8')) as Record<string, { sha256: string }>;
    const weights = join(dir, 'model.safetensors');
    expect(memo[weights].sha256).toBe(await fileSha256(weights));
    // The memo is trusted while size and mtime match: a planted digest shows it was not rehashed.
    memo[weights].sha256 = '0'.repeat(64);
    writeFileSync(memoFile, JSON.stringify(memo));
    const planted = await checkpointHash([weights], cache);
    expect(planted).not.toBe(h1);
    // Touching the file invalidates the entry.
    utimesSync(weights, new Date(), new Date(Date.now() + 5000));
    expect(await checkpointHash([weights], cache)).toBe(h1);
    // config.json takes part.
    writeFileSync(join(dir, 'config.json'), readFileSync(join(TINY, 'config.json'), 'utf8').replace('"d_ff": 128', '"d_ff": 129'));
    expect(await checkpointHash([weights], cache)).not.toBe(h1);
  });
});
