import { describe, expect, it } from 'vitest';
import goldens from '../fixtures/metric-goldens.json' with { type: 'json' };
import {
  computeBleu,
  corpusBleu,
  sentenceBleu,
  sentenceBleuScores,
  tokenize13a,
  tokenizeIntl,
  type BleuOptions,
  type SmoothMethod,
} from '../../src-main/engine/metrics';

const close = (a: number, b: number, eps = 1e-6) => expect(Math.abs(a - b)).toBeLessThan(eps);

describe('BLEU: test/fixtures/metric-goldens.json (sacreBLEU 2.6.0 output)', () => {
  const refs = [goldens.refs];
  it('corpus BLEU with all statistics and the signature', () => {
    const r = corpusBleu(goldens.hyps, refs);
    const g = goldens.corpus_bleu;
    close(r.score, g.score);
    expect(r.counts).toEqual(g.counts);
    expect(r.totals).toEqual(g.totals);
    r.precisions.forEach((p, i) => close(p, g.precisions[i]!));
    close(r.bp, g.bp);
    expect([r.sysLen, r.refLen]).toEqual([g.sys_len, g.ref_len]);
    expect(r.signature).toBe(g.signature);
    expect(r.implementation).toBe('bild-bench port of sacreBLEU 2.6.0');
  });

  it('sentence BLEU, effective order and the sentence_bleu default', () => {
    const eff = goldens.hyps.map((h, i) => sentenceBleu(h, [goldens.refs[i]!], { effectiveOrder: true }).score);
    eff.forEach((s, i) => close(s, goldens.sentence_bleu_effective_order[i]!));
    sentenceBleuScores(goldens.hyps, refs).forEach((s, i) => close(s, goldens.sentence_bleu_default[i]!));
  });

  it('the 123-sentence demo corpus', () => {
    close(corpusBleu(goldens.demo_small_vs_refs.hyps, [goldens.demo_small_vs_refs.refs]).score, goldens.demo_small_vs_refs.score);
  });
});

// Vectors from sacreBLEU's test/test_bleu.py (github.com/mjpost/sacrebleu).
describe('BLEU: sacreBLEU test/test_bleu.py', () => {
  const EPS = 1e-8;
  // raw_corpus_bleu = floor smoothing, no tokenization, effective order.
  const raw = (hyps: string[], refs: string[][], smoothValue?: number) =>
    corpusBleu(hyps, refs, { smoothMethod: 'floor', smoothValue, tokenize: 'none', effectiveOrder: true });

  it('test_raw_bleu', () => {
    // sacreBLEU zips streams with the hypotheses: one stream of two lines, here padded to match.
    close(raw(['this is a test', 'another test'], [['ref1', 'ref2']], 0.01).score / 100, 0.0, EPS);
    close(raw(['this is a test'], [['this is a test']], 0.01).score / 100, 1.0, EPS);
    close(raw(['this is a fest'], [['this is a test']], 0.01).score / 100, 0.223606797749979, EPS);
  });

  const refs = [
    ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
    ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
  ];
  const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

  it.each<[string[], BleuOptions, number]>([
    [hyps, {}, 48.530827],
    [['', '', ''], {}, 0.0],
    [hyps, { tokenize: 'none' }, 49.1919566],
    [hyps, { tokenize: '13a' }, 48.530827],
    [hyps, { tokenize: 'intl' }, 43.91623493],
    [hyps, { smoothMethod: 'none' }, 48.530827],
  ])('test_corpus_bleu %#', (h, opts, expected) => {
    close(corpusBleu(h, refs, opts).score, expected, EPS);
  });

  it('test_corpus_bleu: signature with two references', () => {
    expect(corpusBleu(hyps, refs).signature).toBe('nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0');
  });

  it('test_effective_order', () => {
    close(raw(['test'], [['a test']], 0.01).score / 100, 0.3678794411714425, EPS);
    close(raw(['a test'], [['a test']], 0.01).score / 100, 1.0, EPS);
    close(raw(['a little test'], [['a test']], 0.01).score / 100, 0.03218297948685433, EPS);
  });

  it('test_statistics', () => {
    const r = raw(['am I am a character sequence'], [['I am a symbol string sequence a a']], 0.01);
    expect(r.counts).toEqual([4, 2, 1, 0]);
    expect(r.totals).toEqual([6, 5, 4, 3]);
  });

  it('test_scoring', () => {
    close(computeBleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11).score / 100, 0.8375922397, EPS);
  });

  it('test_offset', () => {
    const h = ['am I am a character sequence'];
    const r = [['I am a symbol string sequence a a']];
    close(raw(h, r, 0.0).score / 100, 0, EPS);
    close(raw(h, r, undefined).score / 100, 0.1555722182, EPS);
  });

  it.each<[number[], number[], number, number, number]>([
    [[0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0.0],
    [[0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0.0],
    [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.0],
    [[6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0.0],
    [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1],
    [[0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01],
  ])('test_degenerate_statistics %#', (correct, total, sys, ref, offset) => {
    expect(computeBleu(correct, total, sys, ref, { smoothMethod: 'floor', smoothValue: offset }).score / 100).toBe(0.0);
  });

  it.each([
    [1, '77.65'],
    [2, '60.50'],
    [3, '53.93'],
    [4, '48.53'],
    [5, '46.14'],
    [6, '43.28'],
  ])('test_max_ngram_order %i', (order, expected) => {
    expect(corpusBleu(hyps, refs, { maxNgramOrder: order }).score.toFixed(2)).toBe(expected);
  });
});

// Vectors from sacreBLEU's test/test_sentence_bleu.py (examples from its issues #98 and #141).
describe('BLEU: sacreBLEU test/test_sentence_bleu.py', () => {
  const EPS = 1e-3;
  const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
  it.each<[SmoothMethod, number | undefined, boolean, BleuOptions['tokenize'], number]>([
    ['exp', undefined, false, '13a', 8.493],
    ['none', undefined, false, '13a', 0.0],
    ['floor', undefined, false, '13a', 4.51688],
    ['floor', 0.1, false, '13a', 4.51688],
    ['floor', 0.5, false, '13a', 10.1],
    ['add-k', undefined, false, '13a', 14.882],
    ['add-k', 1, false, '13a', 14.882],
    ['add-k', 2, false, '13a', 21.389],
    ['exp', undefined, false, 'none', 7.347],
    ['exp', undefined, false, 'intl', 8.493],
    ['exp', undefined, false, 'char', 40.8759],
    ['exp', undefined, true, 'char', 42.0267],
  ])('test_api_sentence_bleu %s %s lc=%s tok=%s', (smoothMethod, smoothValue, lowercase, tokenize, expected) => {
    const r = sentenceBleu(SYS, [REF], { smoothMethod, smoothValue, lowercase, tokenize, effectiveOrder: true });
    close(r.score, expected, EPS);
  });

  it.each<[SmoothMethod, number | undefined]>([
    ['exp', undefined],
    ['none', undefined],
    ['floor', undefined],
    ['floor', 0.1],
    ['add-k', undefined],
    ['add-k', 1],
  ])('test_api_sentence_bleu_zero %s %s', (smoothMethod, smoothValue) => {
    expect(sentenceBleu('this is a cat', ['okay thanks'], { smoothMethod, smoothValue }).score).toBe(0);
  });
});

describe('BLEU signature', () => {
  it('names smoothing values, lowercase, tokenizer and effective order as sacreBLEU does', () => {
    const r = corpusBleu(['a b'], [['a b']], { smoothMethod: 'add-k', lowercase: true, tokenize: 'intl', effectiveOrder: true });
    expect(r.signature).toBe('nrefs:1|case:lc|eff:yes|tok:intl|smooth:add-k[1.00]|version:2.6.0');
    expect(corpusBleu(['a'], [['a']], { smoothMethod: 'floor', smoothValue: 0.5 }).signature).toContain('smooth:floor[0.50]');
    expect(corpusBleu(['a', 'b'], [['a', null], ['x', 'b']]).signature).toContain('nrefs:var');
  });
});

describe('BLEU edge cases', () => {
  it('empty hypotheses score 0 and keep the reference length', () => {
    const r = corpusBleu(['', ''], [['a b c', 'd e']]);
    expect(r.score).toBe(0);
    expect([r.sysLen, r.refLen, r.bp]).toEqual([0, 5, 0]);
    expect(sentenceBleu('', ['a b']).score).toBe(0);
  });

  it('empty references: reference length 0, no matches', () => {
    const r = corpusBleu(['a b c'], [['']]);
    expect(r.score).toBe(0);
    expect([r.sysLen, r.refLen, r.bp]).toEqual([3, 0, 1]);
    expect(sentenceBleu('', ['']).score).toBe(0);
  });

  it('unicode text scores by code point-safe tokens', () => {
    expect(sentenceBleu('Ünïcödé wörds 😀 ok', ['Ünïcödé wörds 😀 ok']).score).toBeCloseTo(100, 9);
    expect(corpusBleu(['日本語 の テスト です'], [['日本語 の テスト です']]).score).toBeCloseTo(100, 9);
    // Three tokens have no 4-gram: 0 without effective order, as in sacreBLEU.
    expect(corpusBleu(['日本語 の テスト'], [['日本語 の テスト']]).score).toBe(0);
  });

  it('refuses a reference stream of another length', () => {
    expect(() => corpusBleu(['a', 'b'], [['a']])).toThrow(/reference stream 1 has 1 lines but there are 2 hypotheses/);
  });

  it('closest reference length prefers the shorter on ties', () => {
    expect(corpusBleu(['a b c'], [['a b'], ['a b c d']]).refLen).toBe(2);
  });
});

describe('tokenizers', () => {
  it('13a splits punctuation (not apostrophes) but keeps numbers together', () => {
    expect(tokenize13a('She said: "it\'s 3.5 km" - and left.')).toBe('She said : " it\'s 3.5 km " - and left .');
    expect(tokenize13a('1,000 people, 1990-2000 &amp; &lt;tag&gt;')).toBe('1,000 people , 1990 - 2000 & < tag >');
    // A hyphen at a line break joins the word halves.
    expect(tokenize13a('a <skipped> b-\nc\nd')).toBe('a bc d');
  });

  it('intl separates Unicode punctuation and symbols, keeping a trailing number-period', () => {
    expect(tokenizeIntl('Hello, world! 3.5 € «quoted»')).toBe('Hello , world ! 3.5 € « quoted »');
    expect(tokenizeIntl('In 1990.')).toBe('In 1990.');
    // '%' after a digit at the end of the line stays attached (neither rule's context matches).
    expect(tokenizeIntl('Ünïcödé wörds & symbols <tag> 100%')).toBe('Ünïcödé wörds & symbols < tag > 100%');
    expect(tokenizeIntl('100% sure')).toBe('100 % sure');
  });

  it('13a splits on Python whitespace, not U+FEFF', () => {
    expect(tokenize13a('a\u00a0b\u3000c\u0085d\ufeffe')).toBe('a b c d\ufeffe');
  });
});
