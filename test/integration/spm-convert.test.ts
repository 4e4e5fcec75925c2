/**
 * spiece.model → tokenizer.json against the real SentencePiece: models trained by Debian's
 * spm_train on generated text, reference ids from spm_encode, ours through loadTokenizer
 * (@huggingface/transformers). Skipped where spm_train is not installed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, type Tokenizer } from '../../src-main/engine/tokenizer/load-tokenizer';
import { PrecompiledCharsmap, spmNormalize } from '../../src-main/engine/tokenizer/spm-charsmap';
import { parseSpmModel } from '../../src-main/engine/tokenizer/spm-proto';
import { seededRandom as rng } from '../../src-main/engine/seeded-random';

const hasSpm = (() => {
  try {
    execFileSync('spm_train', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();


const WORDS = (
  'der die das und nicht schöne Schule Bäume über Straße Mädchen größer früh heißt Ärztin ' +
  'le la les été élève garçon français où déjà très naïve cœur Noël à ça ' +
  'the a house tree will visit rarely quickly model token speed decoder large small ' +
  'Hello World BiLD T5 mT5 ONNX GPU'
).split(' ');
const PUNCT = ['.', ',', '!', '?', ';', ':', '-', '(', ')', '"', "'", '…', '«', '»', '/', '%', '&'];
const EMOJI = ['😀', '🚀', '👍🏽', '❤️', '🇩🇪', '🎉'];

function sentence(r: () => number): string {
  const n = 3 + Math.floor(r() * 12);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.7) parts.push(WORDS[Math.floor(r() * WORDS.length)]!);
    else if (x < 0.82) parts.push(String(Math.floor(r() * 10 ** (1 + Math.floor(r() * 5)))));
    else if (x < 0.95) parts.push(PUNCT[Math.floor(r() * PUNCT.length)]!);
    else parts.push(EMOJI[Math.floor(r() * EMOJI.length)]!);
    if (r() < 0.15 && parts.length) parts[parts.length - 1] += PUNCT[Math.floor(r() * 4)]!;
  }
  return parts.join(' ');
}

/** Hard cases: whitespace, NFKC changes, unseen scripts, controls, literal ▁. */
const EDGE = [
  '',
  ' ',
  '   ',
  'Hallo',
  '  leading spaces',
  'trailing spaces   ',
  'many     inner   spaces',
  '\ttab\tseparated\t',
  'non\u00a0breaking\u00a0space',
  'ideographic\u3000space',
  'ＦＵＬＬ－ＷＩＤＴＨ １２３ ａｂｃ',
  'ligature ﬁ ﬂ ﬃ',
  '① ② ㎏ ½ ™ ℃',
  'combining e\u0301 a\u0308 o\u0302',
  'decomposed Mädchen vs Ma\u0308dchen',
  'Ελληνικά русский 中文 日本語 한국어 עברית العربية',
  'zero\u200bwidth joiner\u200d here',
  'soft\u00adhyphen',
  'control\u0001\u0007chars',
  'literal ▁ marker ▁▁ here',
  '▁starts with marker',
  'diaeresis ¨ alone and ´ acute',
  'halfwidth ｶﾀｶﾅ and ﾞ',
  'emoji 😀🚀👍🏽 ❤️ 🇩🇪 with skin tones',
  'math 𝐀𝐁𝐂 𝟙𝟚𝟛',
  'quotes “smart” ‘single’ „German“',
  'ellipsis… and dash — and – en',
  '12,345.67 and 1.000.000 and 3/4',
  'x',
  '😀',
  '~tilde～fullwidth tilde',
  'unknown ☃ ♞ ⌘ characters',
  'mixed ÀÉÎÕÜ àéîõü ÇçÑñ ß ẞ',
];

const SIZES = [200, 500, 1000];

describe.skipIf(!hasSpm)('SentencePiece conversion matches spm_encode', () => {
  let work: string;
  const sentences: string[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'bild-spm-'));
    const r = rng(20230207);
    const corpus = Array.from({ length: 4000 }, () => sentence(r));
    writeFileSync(join(work, 'corpus.txt'), corpus.join('\n') + '\n');
    const r2 = rng(7);
    for (let i = 0; i < 300; i++) {
      let s = sentence(r2);
      // vary whitespace on some generated sentences
      if (i % 7 === 0) s = `  ${s}`;
      if (i % 11 === 0) s = `${s}   `;
      if (i % 13 === 0) s = s.replace(' ', '    ');
      sentences.push(s);
    }
    // digit runs make exact score ties ("000" = "0 00" = "00 0") that only float32 breaks like spm
    for (let i = 0; i < 60; i++) {
      const n = () => String(Math.floor(r2() * 10 ** (1 + Math.floor(r2() * 7))));
      sentences.push(`${n()}.000.${n()} und ${n()}00 oder 1${'0'.repeat(1 + (i % 9))} ${n()},${n()}`);
    }
    sentences.push(...EDGE);
    writeFileSync(join(work, 'input.txt'), sentences.join('\n') + '\n');
    for (const size of SIZES) {
      const dir = join(work, `v${size}`);
      mkdirSync(dir);
      execFileSync(
        'spm_train',
        [
          `--input=${join(work, 'corpus.txt')}`,
          `--model_prefix=${join(dir, 'spiece')}`,
          `--vocab_size=${size}`,
          '--model_type=unigram',
          '--pad_id=0',
          '--eos_id=1',
          '--unk_id=2',
          '--bos_id=-1',
          '--pad_piece=<pad>',
          '--eos_piece=</s>',
          '--unk_piece=<unk>',
          '--num_threads=4',
          '--hard_vocab_limit=false',
          '--minloglevel=2',
        ],
        { stdio: 'ignore' },
      );
      const ids = execFileSync('spm_encode', [`--model=${join(dir, 'spiece.model')}`, '--output_format=id'], {
        input: readFileSync(join(work, 'input.txt')),
        encoding: 'utf8',
      });
      writeFileSync(join(work, `ref${size}.txt`), ids);
    }
  });

  afterAll(() => {
    // KEEP_SPM_WORK=1 keeps the trained models for debugging.
    if (work && !process.env.KEEP_SPM_WORK) rmSync(work, { recursive: true, force: true });
  });

  function reference(size: number): number[][] {
    const lines = readFileSync(join(work, `ref${size}.txt`), 'utf8').split('\n');
    return sentences.map((_, i) => (lines[i]!.trim() === '' ? [] : lines[i]!.trim().split(' ').map(Number)));
  }

  for (const size of SIZES) {
    it(`vocab ${size}: ${'every sentence'} gets spm_encode's ids plus </s>`, async () => {
      const dir = join(work, `v${size}`);
      const tok: Tokenizer = await loadTokenizer(dir, { cacheDir: join(work, 'cache') });
      const ref = reference(size);
      const mismatches: string[] = [];
      sentences.forEach((s, i) => {
        const got = tok.encode(s);
        const want = [...ref[i]!, 1];
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          mismatches.push(`${JSON.stringify(s)}: got ${got.join(' ')} want ${want.join(' ')}`);
        }
      });
      expect(mismatches).toEqual([]);
      expect(sentences.length).toBeGreaterThanOrEqual(300);
      expect(tok.eosId).toBe(1);
      expect(tok.padId).toBe(0);
      const pieces = parseSpmModel(readFileSync(join(dir, 'spiece.model'))).pieces.length;
      expect(tok.length).toBe(pieces + 100); // T5's <extra_id_*> sentinels
    });
  }

  it('the reference normalizer agrees with spm_normalize', () => {
    const model = parseSpmModel(readFileSync(join(work, 'v500', 'spiece.model')));
    const cm = new PrecompiledCharsmap(model.normalizer.precompiledCharsmap);
    const out = execFileSync('spm_normalize', [`--model=${join(work, 'v500', 'spiece.model')}`], {
      input: readFileSync(join(work, 'input.txt')),
      encoding: 'utf8',
    }).split('\n');
    const bad = sentences
      .map((s, i) => [s, spmNormalize(s, model.normalizer, cm).replaceAll('\u2581', ' ').trimStart(), out[i]] as const)
      .filter(([, ours, theirs]) => ours !== theirs);
    expect(bad).toEqual([]);
  });
});
