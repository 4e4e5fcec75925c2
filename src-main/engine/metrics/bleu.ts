/**
 * BLEU as sacreBLEU 2.x computes it (sacrebleu/metrics/bleu.py): corpus-level sufficient
 * statistics, closest reference length, and the same smoothing and effective-order rules,
 * with float operations in the same order so results agree to the last bits.
 */
import { UserError } from '../errors';
import { bump, pyRstrip, pySplit } from './pytext';
import { segmentRefs, type RefStreams } from './refs';
import { formatSignature, IMPLEMENTATION } from './signature';
import { getTokenizer, type BleuTokenizerName, type Tokenizer } from './tokenizers';

export const SMOOTH_METHODS = ['exp', 'floor', 'add-k', 'none'] as const;
export type SmoothMethod = (typeof SMOOTH_METHODS)[number];

/** Defaults from Chen & Cherry (2014), as sacreBLEU's BLEU.SMOOTH_DEFAULTS. */
const SMOOTH_DEFAULTS: Record<SmoothMethod, number | null> = { exp: null, floor: 0.1, 'add-k': 1, none: null };

export const MAX_NGRAM_ORDER = 4;

export interface BleuOptions {
  tokenize?: BleuTokenizerName;
  lowercase?: boolean;
  smoothMethod?: SmoothMethod;
  /** For floor and add-k; undefined takes sacreBLEU's default (0.1, 1). */
  smoothValue?: number;
  maxNgramOrder?: number;
  /** Drop n-gram orders with no hypothesis n-grams (sacreBLEU's effective_order). */
  effectiveOrder?: boolean;
}

/** What sacreBLEU's BLEUScore holds, plus the signature and which implementation produced it. */
export interface BleuResult {
  score: number;
  counts: number[];
  totals: number[];
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
  ratio: number;
  signature: string;
  implementation: string;
}

export type BleuStatsResult = Omit<BleuResult, 'signature' | 'implementation'>;

/** Per-segment sufficient statistics: [hypLen, refLen, ...correct(order), ...total(order)]. */
export type BleuSegmentStats = number[];

interface RefInfo {
  ngrams: Map<string, number>[];
  lens: number[];
}

interface Resolved {
  tokenizer: Tokenizer;
  tokName: BleuTokenizerName;
  lowercase: boolean;
  smoothMethod: SmoothMethod;
  smoothValue: number | undefined;
  order: number;
  effectiveOrder: boolean;
}

function resolve(opts: BleuOptions, effectiveDefault: boolean): Resolved {
  const smoothMethod = opts.smoothMethod ?? 'exp';
  if (!SMOOTH_METHODS.includes(smoothMethod)) {
    throw new UserError(`unknown smoothing '${String(smoothMethod)}' (expected one of ${SMOOTH_METHODS.join(', ')})`);
  }
  const order = opts.maxNgramOrder ?? MAX_NGRAM_ORDER;
  if (!Number.isInteger(order) || order < 1) throw new UserError(`max n-gram order must be a positive integer, got ${order}`);
  const tokName = opts.tokenize ?? '13a';
  return {
    tokenizer: getTokenizer(tokName),
    tokName,
    lowercase: opts.lowercase ?? false,
    smoothMethod,
    smoothValue: opts.smoothValue,
    order,
    effectiveOrder: opts.effectiveOrder ?? effectiveDefault,
  };
}

function preprocess(r: Resolved, sent: string): string {
  return r.tokenizer(pyRstrip(r.lowercase ? sent.toLowerCase() : sent));
}

/** n-gram counts per order (index n-1) of a tokenized line, and its token count. */
function wordNgrams(line: string, order: number): { ngrams: Map<string, number>[]; len: number } {
  const tokens = pySplit(line);
  const ngrams: Map<string, number>[] = [];
  for (let n = 1; n <= order; n++) {
    const m = new Map<string, number>();
    // Tokens hold no whitespace, so a space-joined key is unambiguous.
    for (let i = 0; i + n <= tokens.length; i++) bump(m, tokens.slice(i, i + n).join(' '));
    ngrams.push(m);
  }
  return { ngrams, len: tokens.length };
}

function refInfo(refs: readonly string[], order: number): RefInfo {
  const merged: Map<string, number>[] = Array.from({ length: order }, () => new Map());
  const lens: number[] = [];
  for (const ref of refs) {
    const { ngrams, len } = wordNgrams(ref, order);
    lens.push(len);
    // Clip counts against the maximum over references.
    ngrams.forEach((m, n) => m.forEach((c, g) => merged[n]!.set(g, Math.max(merged[n]!.get(g) ?? 0, c))));
  }
  return { ngrams: merged, lens };
}

/** The reference length closest to the hypothesis length; ties go to the shorter reference. */
export function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let bestDiff = -1;
  let best = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (bestDiff === -1 || diff < bestDiff) {
      bestDiff = diff;
      best = len;
    } else if (diff === bestDiff && len < best) {
      best = len;
    }
  }
  return best;
}

function segmentStats(hyp: string, info: RefInfo, order: number): BleuSegmentStats {
  const { ngrams, len } = wordNgrams(hyp, order);
  const correct = new Array<number>(order).fill(0);
  const total = new Array<number>(order).fill(0);
  ngrams.forEach((m, n) => {
    const ref = info.ngrams[n]!;
    m.forEach((c, g) => {
      total[n]! += c;
      const rc = ref.get(g);
      if (rc !== undefined) correct[n]! += Math.min(c, rc);
    });
  });
  return [len, closestRefLen(len, info.lens), ...correct, ...total];
}

/** sacreBLEU's my_log: log with log(0) floored to a huge negative number. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

export interface ComputeBleuOptions {
  smoothMethod?: SmoothMethod;
  smoothValue?: number;
  effectiveOrder?: boolean;
  maxNgramOrder?: number;
}

/**
 * BLEU from sufficient statistics (sacreBLEU's BLEU.compute_bleu; smoothing default 'none' as
 * there). Like sacreBLEU, add-k smoothing shows up in the returned counts and totals.
 */
export function computeBleu(
  correctIn: readonly number[],
  totalIn: readonly number[],
  sysLen: number,
  refLen: number,
  opts: ComputeBleuOptions = {},
): BleuStatsResult {
  const method = opts.smoothMethod ?? 'none';
  const value = opts.smoothValue ?? SMOOTH_DEFAULTS[method] ?? 0;
  const order = opts.maxNgramOrder ?? MAX_NGRAM_ORDER;
  const correct = [...correctIn];
  const total = [...totalIn];
  let bp = 1.0;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;
  const precisions = new Array<number>(order).fill(0);
  const ratio = refLen ? sysLen / refLen : 0;
  const result = (score: number): BleuStatsResult => ({ score, counts: correct, totals: total, precisions, bp, sysLen, refLen, ratio });

  // No match at any order scores 0 whatever the smoothing (sacreBLEU #141).
  if (!correct.some((c) => c !== 0)) return result(0.0);

  let smoothMteval = 1.0;
  let effOrder = order;
  for (let n = 1; n <= order; n++) {
    if (method === 'add-k' && n > 1) {
      correct[n - 1]! += value;
      total[n - 1]! += value;
    }
    if (total[n - 1] === 0) break;
    if (opts.effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (method === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]!);
      } else if (method === 'floor') {
        precisions[n - 1] = (100 * value) / total[n - 1]!;
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]!) / total[n - 1]!;
    }
  }
  let logSum = 0;
  for (const p of precisions.slice(0, effOrder)) logSum += myLog(p);
  return result(bp * Math.exp(logSum / effOrder));
}

function signature(r: Resolved, nrefs: string): string {
  const def = SMOOTH_DEFAULTS[r.smoothMethod];
  const smooth = def === null ? r.smoothMethod : `${r.smoothMethod}[${(r.smoothValue ?? def).toFixed(2)}]`;
  return formatSignature([
    ['nrefs', nrefs],
    ['case', r.lowercase ? 'lc' : 'mixed'],
    ['eff', r.effectiveOrder ? 'yes' : 'no'],
    ['tok', r.tokName],
    ['smooth', smooth],
  ]);
}

function fromStats(r: Resolved, stats: readonly number[], nrefs: string): BleuResult {
  const o = r.order;
  const base = computeBleu(stats.slice(2, 2 + o), stats.slice(2 + o, 2 + 2 * o), stats[0]!, stats[1]!, {
    smoothMethod: r.smoothMethod,
    smoothValue: r.smoothValue,
    effectiveOrder: r.effectiveOrder,
    maxNgramOrder: o,
  });
  return { ...base, signature: signature(r, nrefs), implementation: IMPLEMENTATION };
}

function sumStats(all: readonly BleuSegmentStats[], width: number): number[] {
  const sum = new Array<number>(width).fill(0);
  for (const s of all) for (let i = 0; i < width; i++) sum[i]! += s[i]!;
  return sum;
}

/** Per-segment statistics (for bootstrap or incremental corpus scores). */
export function bleuSegmentStats(hyps: readonly string[], refStreams: RefStreams, opts: BleuOptions = {}): BleuSegmentStats[] {
  const r = resolve(opts, false);
  const { perSegment } = segmentRefs(hyps.length, refStreams);
  return hyps.map((h, i) => segmentStats(preprocess(r, h), refInfo(perSegment[i]!.map((x) => preprocess(r, x)), r.order), r.order));
}

/**
 * Corpus BLEU (sacreBLEU's BLEU().corpus_score / corpus_bleu). refStreams holds one array per
 * reference set, each aligned with hyps. Effective order is off by default, as in sacreBLEU.
 */
export function corpusBleu(hyps: readonly string[], refStreams: RefStreams, opts: BleuOptions = {}): BleuResult {
  const r = resolve(opts, false);
  const { nrefs } = segmentRefs(hyps.length, refStreams);
  const stats = bleuSegmentStats(hyps, refStreams, { ...opts, effectiveOrder: r.effectiveOrder });
  return fromStats(r, sumStats(stats, 2 + 2 * r.order), nrefs);
}

/** BLEU of summed statistics, e.g. of a bootstrap resample of bleuSegmentStats. */
export function bleuFromStats(stats: readonly BleuSegmentStats[], nrefs: number, opts: BleuOptions = {}): BleuResult {
  const r = resolve(opts, false);
  return fromStats(r, sumStats(stats, 2 + 2 * r.order), String(nrefs));
}

/**
 * Sentence BLEU (sacreBLEU's sentence_bleu): effective order is on by default there, since
 * short sentences often have no 4-grams.
 */
export function sentenceBleu(hyp: string, refs: readonly string[], opts: BleuOptions = {}): BleuResult {
  const r = resolve(opts, true);
  const info = refInfo(refs.map((x) => preprocess(r, x)), r.order);
  return fromStats(r, segmentStats(preprocess(r, hyp), info, r.order), String(refs.length));
}

/** Sentence BLEU of each hypothesis against its references (for live per-sentence charts). */
export function sentenceBleuScores(hyps: readonly string[], refStreams: RefStreams, opts: BleuOptions = {}): number[] {
  const { perSegment } = segmentRefs(hyps.length, refStreams);
  return hyps.map((h, i) => sentenceBleu(h, perSegment[i]!, opts).score);
}
