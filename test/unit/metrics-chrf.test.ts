import { describe, expect, it } from 'vitest';
import goldens from '../fixtures/metric-goldens.json' with { type: 'json' };
import { chrfWords, corpusChrf, sentenceChrf, sentenceChrfScores } from '../../src-main/engine/metrics';

const close = (a: number, b: number, eps = 1e-6) => expect(Math.abs(a - b)).toBeLessThan(eps);

describe('chrF: test/fixtures/metric-goldens.json (sacreBLEU 2.6.0 output)', () => {
  it('chrF', () => {
    const r = corpusChrf(goldens.hyps, [goldens.refs]);
    close(r.score, goldens.chrf.score);
    expect(r.signature).toBe(goldens.chrf.signature);
    expect(r.name).toBe('chrF2');
  });
  it('chrF++', () => {
    const r = corpusChrf(goldens.hyps, [goldens.refs], { wordOrder: 2 });
    close(r.score, goldens['chrf++'].score);
    expect(r.signature).toBe(goldens['chrf++'].signature);
    expect(r.name).toBe('chrF2++');
  });
});

// Vectors from sacreBLEU's test/test_chrf.py (github.com/mjpost/sacrebleu); it calls
// corpus_chrf(hyps, [refs], char_order=6, word_order=0, beta=3, ...).
describe('chrF: sacreBLEU test/test_chrf.py', () => {
  const EPS = 1e-4;
  const RISK_HYP = ' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .';
  const RISK_REF = 'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .';

  it.each<[string[], string[], number]>([
    [['abcdefg'], ['hijklmnop'], 0.0],
    [['a'], ['b'], 0.0],
    [[''], ['b'], 0.0],
    [[''], ['ref'], 0.0],
    [[''], ['reference'], 0.0],
    [['aa'], ['ab'], 8.3333],
    [['a', 'b'], ['a', 'c'], 8.3333],
    [['a'], ['a'], 16.6667],
    [['a b c'], ['a b c'], 50.0],
    [['a b c'], ['abc'], 50.0],
    [[RISK_HYP], [RISK_REF], 63.36173],
    [
      [' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
      ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
      64.1302698,
    ],
    [['Niemand hat die Absicht, eine Mauer zu errichten'], ['Niemand hat die Absicht, eine Mauer zu errichten'], 100.0],
  ])('test_chrf (eps smoothing) %#', (hyps, refs, expected) => {
    close(corpusChrf(hyps, [refs], { beta: 3, epsSmoothing: true }).score, expected, EPS);
  });

  it.each<[string[], string[], number]>([
    [['a'], ['a'], 100.0],
    [[''], ['reference'], 0.0],
    [['a b c'], ['a b c'], 100.0],
    [['a b c'], ['abc'], 100.0],
    [[''], ['c'], 0.0],
    [['a', 'b'], ['a', 'c'], 50.0],
    [['aa'], ['ab'], 25.0],
  ])('test_chrf_eff_order %#', (hyps, refs, expected) => {
    close(corpusChrf(hyps, [refs], { beta: 3 }).score, expected, EPS);
  });

  it.each<[string, string, number]>([
    [
      'Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.',
      'Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.',
      67.3481606,
    ],
    [RISK_HYP.trim(), RISK_REF, 65.2414427],
  ])('test_chrf_keep_whitespace %#', (hyp, ref, expected) => {
    close(corpusChrf([hyp], [[ref]], { beta: 3, whitespace: true }).score, expected, EPS);
  });

  it.each<[string, string, number]>([
    [
      'Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.',
      'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.',
      39.14078509,
    ],
    [
      'Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.',
      'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.',
      31.22557079,
    ],
    [
      'Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.',
      'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.',
      57.15704367,
    ],
  ])('test_chrf_sentence_level %#', (hyp, ref, expected) => {
    close(sentenceChrf(hyp, [ref], { epsSmoothing: true }).score, expected, EPS);
  });
});

describe('chrF details', () => {
  it('splits one punctuation mark off word edges for chrF++ (end first)', () => {
    expect(chrfWords('(hi) "x" a, .b ! ok')).toEqual(['(hi', ')', '"x', '"', 'a', ',', '.', 'b', '!', 'ok']);
  });

  it('picks the reference with the best sentence F-score', () => {
    const one = corpusChrf(['the cat sat'], [['the cat sat']]).score;
    const two = corpusChrf(['the cat sat'], [['a dog ran'], ['the cat sat']]);
    expect(two.score).toBe(one);
    expect(two.signature).toContain('nrefs:2|');
  });

  it('signature reflects lowercase, whitespace and eps smoothing', () => {
    expect(corpusChrf(['a'], [['a']], { lowercase: true, whitespace: true, epsSmoothing: true }).signature).toBe(
      'nrefs:1|case:lc|eff:no|nc:6|nw:0|space:yes|version:2.6.0',
    );
  });

  it('empty hypothesis, empty reference, both empty', () => {
    expect(sentenceChrf('', ['abc']).score).toBe(0);
    expect(sentenceChrf('abc', ['']).score).toBe(0);
    expect(sentenceChrf('', ['']).score).toBe(0);
    expect(corpusChrf(['', 'abc'], [['', 'abc']]).score).toBeCloseTo(100, 9);
  });

  it('counts characters by code point, so astral characters are one character', () => {
    // 😀 is two UTF-16 units; a unit-based n-gram would split it and add spurious matches.
    expect(sentenceChrf('😀', ['😀']).score).toBeCloseTo(100, 9);
    close(sentenceChrf('a😀b', ['a😃b']).score, sentenceChrf('axb', ['ayb']).score, 1e-12);
    expect(sentenceChrf('ÜBER', ['über'], { lowercase: true }).score).toBeCloseTo(100, 9);
  });

  it('per-sentence scores', () => {
    const s = sentenceChrfScores(goldens.hyps, [goldens.refs]);
    expect(s).toHaveLength(goldens.hyps.length);
    expect(s[0]).toBeCloseTo(100, 9);
    expect(s[2]).toBe(0);
  });
});
