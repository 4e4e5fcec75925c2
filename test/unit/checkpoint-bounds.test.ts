// Hostile pytorch_model.bin files: each is refused with a UserError naming the file, quickly,
// through openCheckpoint (what convert and every model load call), and this process survives.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src-main/engine/checkpoint/open';
import { UserError } from '../../src-main/engine/errors';
import { modelDir } from '../helpers/paths';
import { cleanTempDirs, f32Bytes, tempDir, torchSave, type PyStorage, type PyTensor } from './checkpoint-helpers';

afterAll(cleanTempDirs);

/** A checkpoint folder whose pytorch_model.bin holds `pickle` (or a torch.save of `tensors`). */
function folder(opts: { pickle?: Uint8Array; storages?: PyStorage[]; tensors?: PyTensor[] }): { dir: string; file: string } {
  const dir = join(tempDir(), 'model');
  mkdirSync(dir);
  copyFileSync(join(modelDir('tiny-random-t5'), 'config.json'), join(dir, 'config.json'));
  const file = join(dir, 'pytorch_model.bin');
  torchSave(file, opts.storages ?? [], opts.tensors ?? [], opts.pickle ? { rawPickle: opts.pickle } : {});
  return { dir, file };
}

/** PROTO 2, then `body`, then STOP. */
function pickle(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 3);
  out.set([0x80, 2]);
  out.set(body, 2);
  out[out.length - 1] = 0x2e;
  return out;
}

/** `head`, then `op` (one or more bytes) `n` times, then `tail`. */
function repeated(head: number[], op: number[], n: number, tail: number[] = []): Uint8Array {
  const out = new Uint8Array(head.length + op.length * n + tail.length);
  out.set(head);
  for (let i = 0, at = head.length; i < n; i++, at += op.length) out.set(op, at);
  out.set(tail, head.length + op.length * n);
  return out;
}

async function refusal(dir: string): Promise<{ err: Error }> {
  const err = await openCheckpoint(dir).then(
    async (r) => {
      await r.close();
      return new Error('opened');
    },
    (e: unknown) => e as Error,
  );
  return { err };
}

const EMPTY_LIST = 0x5d;
const APPEND = 0x61;
const EMPTY_DICT = 0x7d;
const NONE = 0x4e;
const POP = 0x30;
const DUP = 0x32;
const LONG_BINPUT = 0x72;
const BINPERSID = 0x51;
const TUPLE1 = 0x85;

describe('unpickler bounds', () => {
  it.each([
    // a list in 2M nested tuples handed to persistent_load: its error message rendered them recursively (stack overflow)
    ['deep nesting', () => pickle(repeated([EMPTY_LIST], [TUPLE1], 2_000_000, [BINPERSID])), /containers nested deeper than 100 levels/],
    // 1.5M distinct memo slots (a 20M-entry memo passed the Map's size limit)
    ['a huge memo', () => {
      const body = new Uint8Array(1 + 5 * 1_500_000);
      body[0] = EMPTY_DICT;
      const v = new DataView(body.buffer);
      for (let i = 0; i < 1_500_000; i++) {
        body[1 + 5 * i] = LONG_BINPUT;
        v.setUint32(2 + 5 * i, i, true);
      }
      return pickle(body);
    }, /more than 1000000 memo entries/],
    // every DUP adds a stack entry (150M of them exhausted the heap)
    ['many DUPs', () => pickle(repeated([EMPTY_DICT], [DUP], 1_500_000)), /more than 1000000 values on the unpickler's stack/],
    // 11M opcodes that build nothing
    ['endless opcodes', () => pickle(repeated([EMPTY_DICT], [NONE, POP], 5_500_001)), /more than 10000000 opcodes/],
    // a list appended to itself: only recursive structures change a container after nesting it
    ['a recursive list', () => pickle(new Uint8Array([EMPTY_LIST, 0x94, 0x68, 0, APPEND, EMPTY_LIST, APPEND])), /a container changed after being stored in another/],
  ])('refuses %s, naming the file', async (_what, build, message) => {
    const { dir, file } = folder({ pickle: build() });
    const { err } = await refusal(dir);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain(`${file}: data.pkl:`);
    expect(err.message).toMatch(message);
  });

  it('refuses a storage claiming more elements than its archive member holds', async () => {
    // the persistent id claims 2^40 elements for a 16-byte member
    const { dir, file } = folder({
      storages: [{ key: '0', dtype: 'F32', data: f32Bytes([1, 2, 3, 4]), numel: 2 ** 40 }],
      tensors: [{ name: 'w', storage: '0', offset: 0, shape: [4], stride: [1] }],
    });
    const { err } = await refusal(dir);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(new RegExp(`${file}: tensor 'w': storage data/0 holds 16 bytes, fewer than its ${2 ** 40} F32 elements`));
  });

  it('refuses a zero-stride view larger than its storage (it would allocate 10^12 floats)', async () => {
    const { dir, file } = folder({
      storages: [{ key: '0', dtype: 'F32', data: f32Bytes([1, 2, 3, 4]) }],
      tensors: [{ name: 'w', storage: '0', offset: 0, shape: [1_000_000, 1_000_000], stride: [0, 0] }],
    });
    const { err } = await refusal(dir);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(`${file}: tensor 'w': its view [1000000,1000000] (strides [0,0]) has 1000000000000 elements, more than its storage of 4`);
  });
});
