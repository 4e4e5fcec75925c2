/**
 * ROUGE-N, ROUGE-L and ROUGE-Lsum as Google's rouge_score computes them (rouge/rouge_scorer.py):
 * n-gram overlap, sentence-level LCS, and summary-level union LCS over newline-separated
 * sentences with ROUGE-1.5.5's guard against counting a token twice.
 */
import { UserError } from '../errors';
import { bootstrap, type BootstrapOptions, type Interval } from './bootstrap';
import { bump } from './pytext';
import { segmentRefs, type RefStreams } from './refs';
import { rougeTokenize } from './rouge-tokenize';
import { ROUGE_IMPLEMENTATION, ROUGE_SCORE_VERSION } from './signature';
import { splitSentences } from './sentence-split';

/** rouge1 … rouge9, rougeL, rougeLsum. */
export type RougeType = `rouge${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}` | 'rougeL' | 'rougeLsum';
export const DEFAULT_ROUGE_TYPES: readonly RougeType[] = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'];

/** Precision, recall and F1, each 0–1 as in rouge_score. */
export interface Prf {
  precision: number;
  recall: number;
  fmeasure: number;
}

export type RougeScores = Partial<Record<RougeType, Prf>>;

export interface RougeOptions {
  types?: readonly RougeType[];
  /** Porter-stem tokens longer than 3 characters (rouge_score's use_stemmer). */
  useStemmer?: boolean;
  /**
   * For rougeLsum, split sentences with splitSentences instead of only at newlines
   * (rouge_score's split_summaries, which calls NLTK's Punkt there).
   */
  splitSummaries?: boolean;
}

const ZERO: Prf = { precision: 0, recall: 0, fmeasure: 0 };

export function isRougeType(s: string): s is RougeType {
  return /^rouge[1-9]$/.test(s) || s === 'rougeL' || s === 'rougeLsum';
}

function fmeasure(p: number, r: number): number {
  return p + r > 0 ? (2 * p * r) / (p + r) : 0.0;
}

function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  // Tokens are [a-z0-9]+, so a space-joined key is unambiguous.
  for (let i = 0; i + n <= tokens.length; i++) bump(m, tokens.slice(i, i + n).join(' '));
  return m;
}

function scoreNgrams(target: Map<string, number>, pred: Map<string, number>): Prf {
  let inter = 0;
  let tCount = 0;
  let pCount = 0;
  target.forEach((c, g) => {
    inter += Math.min(c, pred.get(g) ?? 0);
    tCount += c;
  });
  pred.forEach((c) => (pCount += c));
  const precision = inter / Math.max(pCount, 1);
  const recall = inter / Math.max(tCount, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** The (len(ref)+1) × (len(can)+1) LCS length table. */
export function lcsTable<T>(ref: readonly T[], can: readonly T[]): number[][] {
  const t = Array.from({ length: ref.length + 1 }, () => new Array<number>(can.length + 1).fill(0));
  for (let i = 1; i <= ref.length; i++) {
    for (let j = 1; j <= can.length; j++) {
      t[i]![j] = ref[i - 1] === can[j - 1] ? t[i - 1]![j - 1]! + 1 : Math.max(t[i - 1]![j]!, t[i]![j - 1]!);
    }
  }
  return t;
}

/** Indices into ref of one LCS, read back as rouge_score's _backtrack_norec does (ties go up). */
export function lcsIndices<T>(ref: readonly T[], can: readonly T[]): number[] {
  const t = lcsTable(ref, can);
  const out: number[] = [];
  let i = ref.length;
  let j = can.length;
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.push(i - 1);
      i--;
      j--;
    } else if (t[i]![j - 1]! > t[i - 1]![j]!) j--;
    else i--;
  }
  return out.reverse();
}

/** Tokens of ref in the union of its LCSs with each candidate sentence, in ref order. */
export function unionLcs<T>(ref: readonly T[], candidates: readonly (readonly T[])[]): T[] {
  const union = new Set<number>();
  for (const c of candidates) for (const i of lcsIndices(ref, c)) union.add(i);
  return [...union].sort((a, b) => a - b).map((i) => ref[i]!);
}

function scoreLcs(target: readonly string[], pred: readonly string[]): Prf {
  if (target.length === 0 || pred.length === 0) return ZERO;
  const lcs = lcsTable(target, pred)[target.length]![pred.length]!;
  const precision = lcs / pred.length;
  const recall = lcs / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Summary-level LCS (ROUGE paper §3.2) with ROUGE-1.5.5's per-token hit budget. */
export function summaryLevelLcs(refSents: readonly (readonly string[])[], canSents: readonly (readonly string[])[]): Prf {
  if (refSents.length === 0 || canSents.length === 0) return ZERO;
  const m = refSents.reduce((a, s) => a + s.length, 0);
  const n = canSents.reduce((a, s) => a + s.length, 0);
  if (!n || !m) return ZERO;
  const cntR = new Map<string, number>();
  const cntC = new Map<string, number>();
  for (const s of refSents) for (const t of s) bump(cntR, t);
  for (const s of canSents) for (const t of s) bump(cntC, t);
  let hits = 0;
  for (const r of refSents) {
    for (const t of unionLcs(r, canSents)) {
      // A token counts at most as often as it occurs on both sides.
      if ((cntC.get(t) ?? 0) > 0 && (cntR.get(t) ?? 0) > 0) {
        hits++;
        bump(cntC, t, -1);
        bump(cntR, t, -1);
      }
    }
  }
  const recall = hits / m;
  const precision = hits / n;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

function lsumSentences(text: string, split: boolean): string[] {
  // rouge_score keeps every non-empty line as is (a line of spaces still counts as a sentence).
  return split ? splitSentences(text) : text.split('\n').filter((s) => s.length > 0);
}

/** rouge_score's RougeScorer(types, use_stemmer).score(target, prediction). */
export function scoreRouge(target: string, prediction: string, opts: RougeOptions = {}): RougeScores {
  const types = opts.types ?? DEFAULT_ROUGE_TYPES;
  const stem = opts.useStemmer ?? false;
  const tTokens = rougeTokenize(target, stem);
  const pTokens = rougeTokenize(prediction, stem);
  const out: RougeScores = {};
  for (const type of types) {
    if (type === 'rougeL') out[type] = scoreLcs(tTokens, pTokens);
    else if (type === 'rougeLsum') {
      const split = opts.splitSummaries ?? false;
      const ts = lsumSentences(target, split).map((s) => rougeTokenize(s, stem));
      const ps = lsumSentences(prediction, split).map((s) => rougeTokenize(s, stem));
      out[type] = summaryLevelLcs(ts, ps);
    } else if (isRougeType(type)) {
      const n = Number(type.slice(5));
      out[type] = scoreNgrams(ngrams(tTokens, n), ngrams(pTokens, n));
    } else {
      throw new UserError(`invalid rouge type '${String(type)}'`);
    }
  }
  return out;
}

/** rouge_score's score_multi: per type, the score against the target with the best F (first on ties). */
export function scoreRougeMulti(targets: readonly string[], prediction: string, opts: RougeOptions = {}): RougeScores {
  const types = opts.types ?? DEFAULT_ROUGE_TYPES;
  const all = targets.map((t) => scoreRouge(t, prediction, opts));
  const out: RougeScores = {};
  for (const type of types) {
    let best: Prf = ZERO;
    let bestF = -Infinity;
    for (const s of all) {
      const v = s[type]!;
      if (v.fmeasure > bestF) {
        bestF = v.fmeasure;
        best = v;
      }
    }
    out[type] = best;
  }
  return out;
}

export interface CorpusRougeOptions extends RougeOptions {
  /** Adds seeded bootstrap intervals of the mean when given. */
  bootstrap?: BootstrapOptions;
}

export interface CorpusRougeResult {
  /** Per sentence, against its best reference. */
  sentences: RougeScores[];
  /** Arithmetic mean of the per-sentence scores (what rouge_score's aggregator's mid estimates). */
  mean: RougeScores;
  /** Bootstrap low/mid/high of the mean, per type and measure. */
  ci?: Partial<Record<RougeType, Record<keyof Prf, Interval>>>;
  /** Settings that change the numbers, e.g. `nrefs:1|stem:no|lsum:newline|rouge_score:0.1.2`. */
  signature: string;
  implementation: string;
}

const MEASURES = ['precision', 'recall', 'fmeasure'] as const;

function meanOf(sentences: readonly RougeScores[], types: readonly RougeType[], indices?: readonly number[]): number[] {
  const idx = indices ?? sentences.map((_, i) => i);
  const out: number[] = [];
  for (const type of types) {
    for (const k of MEASURES) {
      let sum = 0;
      for (const i of idx) sum += sentences[i]![type]![k];
      out.push(idx.length ? sum / idx.length : 0);
    }
  }
  return out;
}

/** ROUGE of a corpus: per-sentence scores, their mean, and optionally bootstrap intervals. */
export function corpusRouge(hyps: readonly string[], refStreams: RefStreams, opts: CorpusRougeOptions = {}): CorpusRougeResult {
  const types = opts.types ?? DEFAULT_ROUGE_TYPES;
  const { perSegment, nrefs } = segmentRefs(hyps.length, refStreams);
  const sentences = hyps.map((h, i) => scoreRougeMulti(perSegment[i]!, h, opts));
  const flat = meanOf(sentences, types);
  const mean: RougeScores = {};
  types.forEach((t, j) => (mean[t] = { precision: flat[3 * j]!, recall: flat[3 * j + 1]!, fmeasure: flat[3 * j + 2]! }));
  const signature = [
    `nrefs:${nrefs}`,
    `stem:${opts.useStemmer ? 'yes' : 'no'}`,
    `lsum:${opts.splitSummaries ? 'rules' : 'newline'}`,
    `rouge_score:${ROUGE_SCORE_VERSION}`,
  ].join('|');
  const result: CorpusRougeResult = { sentences, mean, signature, implementation: ROUGE_IMPLEMENTATION };
  if (opts.bootstrap && hyps.length > 0) {
    const iv = bootstrap(hyps.length, (idx) => meanOf(sentences, types, idx), opts.bootstrap);
    const ci: NonNullable<CorpusRougeResult['ci']> = {};
    types.forEach((t, j) => (ci[t] = { precision: iv[3 * j]!, recall: iv[3 * j + 1]!, fmeasure: iv[3 * j + 2]! }));
    result.ci = ci;
  }
  return result;
}
