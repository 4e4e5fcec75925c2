import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src-main/engine/tokenizer/load-tokenizer';
import { convertSpmModel } from '../../src-main/engine/tokenizer/spm-convert';
import { parseSpmModel } from '../../src-main/engine/tokenizer/spm-proto';
import { SpmUnigram } from '../../src-main/engine/tokenizer/spm-unigram';
import { UserError } from '../../src-main/engine/errors';
import { modelDir } from '../helpers/paths';

/** Tiny protobuf writer for hand-made ModelProto bytes. */
const varint = (v: bigint): number[] => {
  let x = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x ? b | 0x80 : b);
  } while (x);
  return out;
};
const tag = (field: number, wire: number): number[] => varint(BigInt((field << 3) | wire));
const len = (field: number, bytes: number[]): number[] => [...tag(field, 2), ...varint(BigInt(bytes.length)), ...bytes];
const int = (field: number, v: number): number[] => [...tag(field, 0), ...varint(BigInt(v))];
const f32 = (field: number, v: number): number[] => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return [...tag(field, 5), ...b];
};
const str = (s: string): number[] => [...new TextEncoder().encode(s)];
const piece = (p: string, score: number, type?: number): number[] =>
  len(1, [...len(1, str(p)), ...f32(2, score), ...(type ? int(3, type) : [])]);

function model(opts: { modelType?: number; extra?: number[] } = {}): Uint8Array {
  return new Uint8Array([
    ...piece('<pad>', 0, 3),
    ...piece('</s>', 0, 3),
    ...piece('<unk>', 0, 2),
    ...piece('▁', -1),
    ...piece('0', -2),
    ...piece('00', -4),
    ...piece('▁a', -1.5),
    ...len(2, [...int(3, opts.modelType ?? 1), ...int(40, 2), ...int(41, -1), ...int(42, 1), ...int(43, 0), ...int(7, 5)]),
    ...len(3, [...len(1, str('identity')), ...int(3, 1), ...int(4, 1), ...int(5, 1)]),
    ...(opts.extra ?? []),
  ]);
}

const dir = mkdtempSync(join(tmpdir(), 'bild-spm-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('spm ModelProto reader', () => {
  it('reads pieces, types, negative ids and skips unknown fields', () => {
    const m = parseSpmModel(model({ extra: [...len(99, [1, 2, 3]), ...int(100, 7)] }));
    expect(m.pieces.map((p) => [p.piece, p.score, p.type])).toEqual([
      ['<pad>', 0, 3],
      ['</s>', 0, 3],
      ['<unk>', 0, 2],
      ['▁', -1, 1],
      ['0', -2, 1],
      ['00', -4, 1],
      ['▁a', -1.5, 1],
    ]);
    expect(m.trainer).toMatchObject({ modelType: 1, unkId: 2, bosId: -1, eosId: 1, padId: 0, byteFallback: false });
    expect(m.normalizer).toMatchObject({ name: 'identity', addDummyPrefix: true, removeExtraWhitespaces: true });
    expect(m.normalizer.precompiledCharsmap.length).toBe(0);
  });

  it('rejects truncated input', () => {
    const bytes = model();
    expect(() => parseSpmModel(bytes.subarray(0, bytes.length - 3))).toThrow();
  });
});

describe('tokenizer.json conversion', () => {
  it('builds a Unigram model with T5 sentinels, specials and </s> post-processing', () => {
    const { tokenizer, special } = convertSpmModel(parseSpmModel(model()), { extraIds: 2 });
    expect(special).toEqual({ eos: '</s>', pad: '<pad>', unk: '<unk>' });
    expect(tokenizer.model.unk_id).toBe(2);
    expect(tokenizer.model.vocab.slice(-2)).toEqual([
      ['<extra_id_1>', 0],
      ['<extra_id_0>', 0],
    ]);
    expect(tokenizer.added_tokens.map((t) => [t.id, t.content, t.special])).toEqual([
      [0, '<pad>', true],
      [1, '</s>', true],
      [2, '<unk>', true],
      [7, '<extra_id_1>', true],
      [8, '<extra_id_0>', true],
    ]);
    expect(tokenizer.pre_tokenizer).toEqual({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true });
    expect(tokenizer.post_processor).toMatchObject({ type: 'TemplateProcessing', special_tokens: { '</s>': { ids: [1] } } });
  });

  it('refuses BPE models with a UserError', () => {
    expect(() => convertSpmModel(parseSpmModel(model({ modelType: 2 })), { source: 'x/spiece.model' })).toThrow(
      new UserError('x/spiece.model: a BPE SentencePiece model; only Unigram models can be converted'),
    );
  });

  it('loads a spiece.model-only folder through transformers.js, converted into the cache dir', async () => {
    const folder = join(dir, 'm');
    mkdirSync(folder);
    writeFileSync(join(folder, 'spiece.model'), model());
    const tok = await loadTokenizer(folder, { cacheDir: join(dir, 'cache'), extraIds: 3 });
    expect(tok.encode('a 000')).toEqual([6, 3, 4, 5, 1]); // ▁a ▁ 0 00 </s>
    expect(tok.length).toBe(10);
    expect([tok.eosId, tok.padId]).toEqual([1, 0]);
    expect(tok.decode([6, 3, 4, 5, 1])).toBe('a 000');
  });
});

describe('SpmUnigram', () => {
  it('segments with spm tie-breaking (earliest start wins an exact tie)', () => {
    const u = new SpmUnigram([['a', -1], ['b', -1], ['ab', -2], ['<unk>', 0]], new Set([3]));
    expect(u.tokenize('ab')).toEqual(['ab']);
    expect(u.tokenize('abxa')).toEqual(['ab', 'x', 'a']);
  });
});

describe('loadTokenizer with tokenizer.json', () => {
  it('loads the demo tokenizer; models sharing it have the same fingerprint', async () => {
    const small = await loadTokenizer(modelDir('toy-t5-small'));
    const large = await loadTokenizer(modelDir('toy-t5-large'));
    expect(small.fingerprint).toBe(large.fingerprint);
    expect(small.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(small.length).toBe(850);
    const ids = small.encode('Die schöne Schule.');
    expect(ids.at(-1)).toBe(small.eosId);
    expect(small.decode(ids)).toBe('Die schöne Schule.');
    expect(small.decode(ids, false)).toBe('Die schöne Schule.</s>');
  });

  it('fails clearly on a folder without a tokenizer', async () => {
    await expect(loadTokenizer(dir)).rejects.toThrow(`${dir}: no tokenizer.json or spiece.model`);
  });
});
