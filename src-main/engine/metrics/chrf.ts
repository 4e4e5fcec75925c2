/**
 * chrF and chrF++ as sacreBLEU 2.x computes them (sacrebleu/metrics/chrf.py): character n-grams
 * over code points (whitespace removed by default), optional word n-grams with sacreBLEU's
 * punctuation splitting, statistics summed over the corpus, best reference by sentence F-score.
 */
import { UserError } from '../errors';
import { bump, codePoints, pySplit } from './pytext';
import { segmentRefs, type RefStreams } from './refs';
import { formatSignature, IMPLEMENTATION } from './signature';

export interface ChrfOptions {
  /** Character n-gram order (default 6). */
  charOrder?: number;
  /** Word n-gram order: 0 for chrF (default), 2 for chrF++. */
  wordOrder?: number;
  /** Recall weight (default 2). */
  beta?: number;
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (default false). */
  whitespace?: boolean;
  /** chrF++.py/NLTK-style epsilon smoothing instead of the effective order (default false). */
  epsSmoothing?: boolean;
}

export interface ChrfResult {
  /** 0–100. */
  score: number;
  /** `chrF2`, `chrF2++`, as sacreBLEU names the variant. */
  name: string;
  signature: string;
  implementation: string;
}

/** Per-segment statistics: [hypCount, refCount, matchCount] for each order, char orders first. */
export type ChrfSegmentStats = number[];

type Ngrams = Map<string, number>[];

interface Resolved {
  charOrder: number;
  wordOrder: number;
  beta: number;
  lowercase: boolean;
  whitespace: boolean;
  epsSmoothing: boolean;
}

function resolve(opts: ChrfOptions): Resolved {
  const r = {
    charOrder: opts.charOrder ?? 6,
    wordOrder: opts.wordOrder ?? 0,
    beta: opts.beta ?? 2,
    lowercase: opts.lowercase ?? false,
    whitespace: opts.whitespace ?? false,
    epsSmoothing: opts.epsSmoothing ?? false,
  };
  for (const k of ['charOrder', 'wordOrder', 'beta'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 0) throw new UserError(`chrF ${k} must be a non-negative integer, got ${r[k]}`);
  }
  if (r.charOrder + r.wordOrder === 0) throw new UserError('chrF needs a positive character or word order');
  return r;
}

// string.punctuation, which sacreBLEU splits off the edges of words for chrF++.
const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** Splits one punctuation mark off the end (else the start) of each word, as chrF++ does. */
export function chrfWords(sent: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sent)) {
    const cps = codePoints(w);
    if (cps.length === 1) out.push(w);
    // The end wins: '(hi)' becomes '(hi' and ')' as in sacreBLEU (its issue #124).
    else if (PUNCTS.has(cps[cps.length - 1]!)) out.push(cps.slice(0, -1).join(''), cps[cps.length - 1]!);
    else if (PUNCTS.has(cps[0]!)) out.push(cps[0]!, cps.slice(1).join(''));
    else out.push(w);
  }
  return out;
}

function extractNgrams(r: Resolved, sent: string): Ngrams {
  const chars = codePoints(r.whitespace ? sent : pySplit(sent).join(''));
  const all: Ngrams = [];
  for (let n = 1; n <= r.charOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= chars.length; i++) bump(m, chars.slice(i, i + n).join(''));
    all.push(m);
  }
  if (r.wordOrder > 0) {
    const words = chrfWords(sent);
    for (let n = 1; n <= r.wordOrder; n++) {
      const m = new Map<string, number>();
      for (let i = 0; i + n <= words.length; i++) bump(m, words.slice(i, i + n).join(' '));
      all.push(m);
    }
  }
  return all;
}

function matchStats(hyp: Map<string, number>, ref: Map<string, number>): [number, number, number] {
  let match = 0;
  let hypCount = 0;
  hyp.forEach((c, g) => {
    hypCount += c;
    const rc = ref.get(g);
    if (rc !== undefined) match += Math.min(c, rc);
  });
  let refCount = 0;
  ref.forEach((c) => (refCount += c));
  // sacreBLEU counts no hypothesis n-grams when the reference has none of that order.
  return [ref.size > 0 ? hypCount : 0, refCount, match];
}

/** The F-score of summed statistics (sacreBLEU's CHRF._compute_f_score), 0–100. */
function fScore(r: Resolved, stats: readonly number[]): number {
  const eps = 1e-16;
  const order = r.charOrder + r.wordOrder;
  const factor = r.beta ** 2;
  let score = 0.0;
  let effective = 0;
  let avgPrec = 0.0;
  let avgRec = 0.0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i]!;
    const nRef = stats[3 * i + 1]!;
    const nMatch = stats[3 * i + 2]!;
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effective += 1;
    }
  }
  if (r.epsSmoothing) return (100 * score) / order;
  if (effective === 0) {
    avgPrec = 0.0;
    avgRec = 0.0;
  } else {
    avgPrec /= effective;
    avgRec /= effective;
  }
  if (avgPrec + avgRec) {
    let s = (1 + factor) * avgPrec * avgRec;
    s /= factor * avgPrec + avgRec;
    return 100 * s;
  }
  return 0.0;
}

function segmentStats(r: Resolved, hyp: string, refs: readonly Ngrams[]): ChrfSegmentStats {
  const hypNgrams = extractNgrams(r, hyp);
  let best: number[] = [];
  let bestF = -1.0;
  for (const ref of refs) {
    const stats: number[] = [];
    hypNgrams.forEach((h, k) => stats.push(...matchStats(h, ref[k]!)));
    const f = fScore(r, stats);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

function prep(r: Resolved, s: string): string {
  return r.lowercase ? s.toLowerCase() : s;
}

function signature(r: Resolved, nrefs: string): string {
  return formatSignature([
    ['nrefs', nrefs],
    ['case', r.lowercase ? 'lc' : 'mixed'],
    ['eff', r.epsSmoothing ? 'no' : 'yes'],
    ['nc', r.charOrder],
    ['nw', r.wordOrder],
    ['space', r.whitespace ? 'yes' : 'no'],
  ]);
}

function result(r: Resolved, stats: readonly number[], nrefs: string): ChrfResult {
  return {
    score: fScore(r, stats),
    name: `chrF${r.beta}${'+'.repeat(r.wordOrder)}`,
    signature: signature(r, nrefs),
    implementation: IMPLEMENTATION,
  };
}

/** Per-segment statistics, for bootstrap resampling or incremental corpus scores. */
export function chrfSegmentStats(hyps: readonly string[], refStreams: RefStreams, opts: ChrfOptions = {}): ChrfSegmentStats[] {
  const r = resolve(opts);
  const { perSegment } = segmentRefs(hyps.length, refStreams);
  return hyps.map((h, i) => segmentStats(r, prep(r, h), perSegment[i]!.map((x) => extractNgrams(r, prep(r, x)))));
}

function sumStats(r: Resolved, stats: readonly ChrfSegmentStats[]): number[] {
  const sum = new Array<number>(3 * (r.charOrder + r.wordOrder)).fill(0);
  for (const s of stats) for (let i = 0; i < s.length; i++) sum[i]! += s[i]!;
  return sum;
}

/** chrF of summed statistics, e.g. of a bootstrap resample of chrfSegmentStats. */
export function chrfFromStats(stats: readonly ChrfSegmentStats[], nrefs: number, opts: ChrfOptions = {}): ChrfResult {
  const r = resolve(opts);
  return result(r, sumStats(r, stats), String(nrefs));
}

/** Corpus chrF (sacreBLEU's CHRF().corpus_score); chrF++ with `wordOrder: 2`. */
export function corpusChrf(hyps: readonly string[], refStreams: RefStreams, opts: ChrfOptions = {}): ChrfResult {
  const { nrefs } = segmentRefs(hyps.length, refStreams);
  const r = resolve(opts);
  return result(r, sumStats(r, chrfSegmentStats(hyps, refStreams, opts)), nrefs);
}

/** Sentence chrF (sacreBLEU's sentence_chrf). */
export function sentenceChrf(hyp: string, refs: readonly string[], opts: ChrfOptions = {}): ChrfResult {
  const r = resolve(opts);
  // With no reference the statistics are empty and sum to zeros.
  const stats = segmentStats(r, prep(r, hyp), refs.map((x) => extractNgrams(r, prep(r, x))));
  return result(r, sumStats(r, [stats]), String(refs.length));
}

/** Sentence chrF of each hypothesis against its references. */
export function sentenceChrfScores(hyps: readonly string[], refStreams: RefStreams, opts: ChrfOptions = {}): number[] {
  const { perSegment } = segmentRefs(hyps.length, refStreams);
  return hyps.map((h, i) => sentenceChrf(h, perSegment[i]!, opts).score);
}
