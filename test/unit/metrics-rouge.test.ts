import { describe, expect, it } from 'vitest';
import {
  corpusRouge,
  lcsIndices,
  lcsTable,
  rougeTokenize,
  scoreRouge,
  scoreRougeMulti,
  summaryLevelLcs,
  unionLcs,
  type RougeType,
} from '../../src-main/engine/metrics';

const close = (a: number, b: number, places = 7) => expect(Math.abs(a - b)).toBeLessThan(0.5 * 10 ** -places);
const one = (type: RougeType, target: string, prediction: string, useStemmer = false) =>
  scoreRouge(target, prediction, { types: [type], useStemmer })[type]!;

// rouge_score's rouge/testdata/target.txt and prediction.txt, first two lines each (readlines()
// keeps the newline), transcribed from github.com/google-research/google-research.
const TARGETS = [
  "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
  "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
];
const PREDICTIONS = [
  "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
  "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
];
// rouge/testdata/pyrouge_files/target_multi.0.txt and prediction_multi.0.txt.
const TARGET_MULTI = [TARGETS[0]!, TARGETS[1]!,
  "NhETebUbBk'er WOvoHMTjSRizKgH'vHiing Xu,hWxfs VkNE QhgKiLHE -HidivzoM.dO anhtion jbLQiSGDTCsuhREebUaKM dv J dVN tmbOT\n",
  "vMR HDm,xOAetion D,tion HJtodT.mHl UIv-p VjWH'BdyWjnfGU-OjT aEMdFICyLWfQMtion wEMfdOKing AwkeKbO 'DxqNOHBH qKtVvm OYJl mM\n",
].join('');
const PREDICTION_MULTI = [PREDICTIONS[0]!, PREDICTIONS[1]!,
  "xfs VkJE QhgKiLHE -HidivzoM.dO anhing jbLQiSGDTCsuhREebUaKM dv J\n",
  "VjWH'BdyWjnfGU-OjTNaEMdFICyLWfQMing wEMfdOKijg AwkeKbO 'DxqNO\n",
].join('');

// Vectors from rouge_score's rouge/rouge_scorer_test.py (github.com/google-research/google-research).
describe('ROUGE: rouge_score rouge/rouge_scorer_test.py', () => {
  it('testRouge1', () => {
    const s = one('rouge1', 'testing one two', 'testing');
    close(s.precision, 1);
    close(s.recall, 1 / 3);
    close(s.fmeasure, 1 / 2);
  });

  it.each<RougeType>(['rouge1', 'rouge2', 'rougeL', 'rougeLsum'])('testRougeEmpty %s', (type) => {
    expect(one(type, 'testing one two', '')).toEqual({ precision: 0, recall: 0, fmeasure: 0 });
  });

  it('testRouge2', () => {
    const s = one('rouge2', 'testing one two', 'testing one');
    close(s.precision, 1);
    close(s.recall, 1 / 2);
    close(s.fmeasure, 2 / 3);
  });

  it('testRougeLConsecutive and testRougeLNonConsecutive', () => {
    for (const pred of ['testing one', 'testing two']) {
      const s = one('rougeL', 'testing one two', pred);
      close(s.precision, 1);
      close(s.recall, 2 / 3);
      close(s.fmeasure, 4 / 5);
    }
  });

  it('testMultipleRougeTypes and testValidRougeTypes', () => {
    const r = scoreRouge('testing one two', 'testing one', { types: ['rouge1', 'rougeL'] });
    expect(Object.keys(r).sort()).toEqual(['rouge1', 'rougeL']);
    close(r.rouge1!.recall, 2 / 3);
    close(r.rougeL!.fmeasure, 4 / 5);
    expect(Object.keys(scoreRouge('testing one two', 'testing', { types: ['rouge9'] }))).toEqual(['rouge9']);
  });

  it.each<[RougeType, boolean, [number, number, number], [number, number, number]]>([
    ['rouge1', false, [0.40741, 0.6875, 0.51163], [0.40476, 0.65385, 0.5]],
    ['rouge1', true, [0.40741, 0.6875, 0.51163], [0.42857, 0.69231, 0.52941]],
    ['rouge2', false, [0.30769, 0.53333, 0.39024], [0.29268, 0.48, 0.36364]],
    ['rouge2', true, [0.30769, 0.53333, 0.39024], [0.29268, 0.48, 0.36364]],
    ['rougeL', false, [0.40741, 0.6875, 0.51163], [0.40476, 0.65385, 0.5]],
  ])('test%sAgainstRouge155 (stemming %s)', (type, stem, first, second) => {
    [first, second].forEach(([r, p, f], i) => {
      const s = one(type, TARGETS[i]!, PREDICTIONS[i]!, stem);
      close(s.recall, r, 5);
      close(s.precision, p, 5);
      close(s.fmeasure, f, 5);
    });
  });

  it('testRougeLSumAgainstRouge155WithStemming', () => {
    const s = one('rougeLsum', TARGET_MULTI, PREDICTION_MULTI, true);
    close(s.recall, 0.36538, 5);
    close(s.precision, 0.66667, 5);
    close(s.fmeasure, 0.47205, 5);
  });

  it('testLcsTable', () => {
    const ref = [1, 2, 3, 4, 5];
    const c1 = [2, 5, 3, 4];
    expect(lcsTable(ref, c1)[ref.length]![c1.length]).toBe(3);
    expect(lcsIndices(ref, c1)).toEqual([1, 2, 3]);
    expect(lcsIndices(ref, c1).map((i) => ref[i])).toEqual([2, 3, 4]);
    expect(lcsTable(ref, [8, 9])[ref.length]![2]).toBe(0);
    expect(lcsIndices(ref, [8, 9])).toEqual([]);
  });

  it('testUnionLcs', () => {
    const ref = [1, 2, 3, 4, 5];
    expect(unionLcs(ref, [[1, 2, 6, 7, 8], [1, 3, 8, 9, 5]])).toEqual([1, 2, 3, 5]);
    expect(unionLcs(ref, [[1, 3, 8, 9, 5], [1, 2, 6, 7, 8]])).toEqual([1, 2, 3, 5]);
  });

  it('testSummaryLevelLcs', () => {
    const s = summaryLevelLcs([['1', '2', '3', '4', '5']], [['1', '2', '6', '7', '8'], ['1', '3', '8', '9', '5']]);
    expect(s.recall).toBe(0.8);
    expect(s.precision).toBe(0.4);
    close(s.fmeasure, 0.5333, 3);
    expect(summaryLevelLcs([['reference']], [[]]).recall).toBe(0);
  });

  it('testRougeLsum', () => {
    const s = one('rougeLsum', 'w1 w2 w3 w4 w5', 'w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5');
    close(s.recall, 0.8);
    close(s.precision, 0.4);
    close(s.fmeasure, 0.5333, 3);
    const zero = { precision: 0, recall: 0, fmeasure: 0 };
    expect(one('rougeLsum', 'w1 w2 w3 w4 w5', '')).toEqual(zero);
    expect(one('rougeLsum', '', 'w1')).toEqual(zero);
    expect(one('rougeLsum', 'w1 w2 w3 w4 w5', '/')).toEqual(zero);
  });
});

describe('ROUGE tokenizer and multi-reference', () => {
  it('keeps ASCII letters and digits only, lowercased; stems tokens longer than 3', () => {
    expect(rougeTokenize("It's 3.5 km — Ünïcödé wörds!")).toEqual(['it', 's', '3', '5', 'km', 'n', 'c', 'd', 'w', 'rds']);
    expect(rougeTokenize('The running dogs ran quickly', true)).toEqual(['the', 'run', 'dog', 'ran', 'quickli']);
    // 'dies' is 4 long and stemmed; 'sky' is 3 long and left alone.
    expect(rougeTokenize('dies skies sky', true)).toEqual(['die', 'sky', 'sky']);
  });

  it('score_multi takes the best reference by F per type', () => {
    const r = scoreRougeMulti(['a b c d', 'x y z'], 'x y z', { types: ['rouge1', 'rougeL'] });
    expect(r.rouge1!.fmeasure).toBe(1);
    expect(r.rougeL!.fmeasure).toBe(1);
  });

  it('empty references and unicode-only text score 0', () => {
    expect(one('rouge1', '', 'abc').fmeasure).toBe(0);
    expect(one('rougeL', '日本語', '日本語').fmeasure).toBe(0);
  });
});

describe('corpus ROUGE', () => {
  const hyps = ['the cat sat on the mat', 'a dog', '', 'hello world'];
  const refs = [['the cat sat on a mat', 'a dog barked', 'something', 'hello there world']];

  it('mean of per-sentence scores, deterministic', () => {
    const r = corpusRouge(hyps, refs);
    const f = r.sentences.map((s) => s.rouge1!.fmeasure);
    close(r.mean.rouge1!.fmeasure, f.reduce((a, b) => a + b) / f.length, 12);
    expect(r.signature).toBe('nrefs:1|stem:no|lsum:newline|rouge_score:0.1.2');
    expect(corpusRouge(hyps, refs)).toEqual(r);
  });

  it('seeded bootstrap is reproducible and brackets the mean', () => {
    const a = corpusRouge(hyps, refs, { bootstrap: { samples: 200, seed: 7 } });
    const b = corpusRouge(hyps, refs, { bootstrap: { samples: 200, seed: 7 } });
    expect(a.ci).toEqual(b.ci);
    const ci = a.ci!.rougeL!.fmeasure;
    expect(ci.low).toBeLessThanOrEqual(a.mean.rougeL!.fmeasure);
    expect(ci.high).toBeGreaterThanOrEqual(a.mean.rougeL!.fmeasure);
    expect(corpusRouge(hyps, refs, { bootstrap: { samples: 200, seed: 8 } }).ci).not.toEqual(a.ci);
  });

  it('refuses mismatched reference streams', () => {
    expect(() => corpusRouge(hyps, [['x']])).toThrow(/has 1 lines but there are 4 hypotheses/);
  });
});
