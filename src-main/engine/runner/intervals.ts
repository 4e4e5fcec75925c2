/**
 * Paired bootstrap intervals of each variant's corpus quality and of its speedup over large-only:
 * a resample draws sentence indices once and every variant is scored on those same sentences
 * (percentile method, numpy's linear interpolation). Per-sentence inputs are typed arrays prepared
 * once, so 10k sentences × 1000 resamples cost sums, not tokenization.
 */
import type { BootstrapSettings, ConfidenceInterval } from '../api/types';
import { computeBleu, MAX_NGRAM_ORDER, percentile } from '../metrics';
import { seededResamples } from '../metrics/bootstrap';

export const BOOTSTRAP: BootstrapSettings = { method: 'paired-percentile', resamples: 1000, seed: 12345, confidence: 0.95 };

/** BLEU sufficient statistics per sentence, in bleuSegmentStats' order: sysLen, refLen, correct 1-4, total 1-4. */
export const BLEU_WIDTH = 2 + 2 * MAX_NGRAM_ORDER;

/** What a variant's corpus quality is computed from, one entry (or row) per sentence. */
export type QualitySeries =
  /** corpus BLEU (sacreBLEU defaults) of the summed statistics; n × BLEU_WIDTH */
  | { kind: 'bleu'; stats: Float64Array }
  /** the mean of per-sentence scores (ROUGE-Lsum F×100) */
  | { kind: 'mean'; values: Float64Array };

export interface VariantSeries {
  quality: QualitySeries;
  /** End-to-end ms per sentence. */
  ms: Float64Array;
  /** Index of the variant whose quality this one's is compared with (its fp32 counterpart): the interval of the difference. */
  baseline?: number;
}

export interface VariantIntervals {
  quality: ConfidenceInterval;
  /** null without a large-only baseline. */
  speedup: ConfidenceInterval | null;
  /** With a `baseline`: this quality minus the baseline's, on the same resamples. */
  qualityDelta?: ConfidenceInterval;
}

const bleuSums = new Float64Array(BLEU_WIDTH);

/** Resampled sums of the BLEU statistics; rows are contiguous, so read them with a running offset. */
function sumRows(stats: Float64Array, idx: ArrayLike<number>): Float64Array {
  bleuSums.fill(0);
  for (let i = 0; i < idx.length; i++) {
    const row = idx[i]! * BLEU_WIDTH;
    for (let k = 0; k < BLEU_WIDTH; k++) bleuSums[k]! += stats[row + k]!;
  }
  return bleuSums;
}

function resampledQuality(q: QualitySeries, idx: ArrayLike<number>): number {
  if (q.kind === 'mean') return sumAt(q.values, idx) / idx.length;
  const s = sumRows(q.stats, idx);
  const o = MAX_NGRAM_ORDER;
  return computeBleu(Array.from(s.subarray(2, 2 + o)), Array.from(s.subarray(2 + o, 2 + 2 * o)), s[0]!, s[1]!, { smoothMethod: 'exp' }).score;
}

function sumAt(xs: Float64Array, idx: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < idx.length; i++) s += xs[idx[i]!]!;
  return s;
}

function interval(draws: readonly number[], confidence: number): ConfidenceInterval {
  const tail = (100 * (1 - confidence)) / 2;
  return [percentile(draws, tail), percentile(draws, 100 - tail)];
}

/**
 * Intervals over the given resamples (sentence indices; the engine draws them with
 * seededResamples, a test passes its own). Speedup per resample: summed large-only ms ÷ summed ms.
 */
export function intervalsAt(
  variants: readonly VariantSeries[],
  largeMs: Float64Array | null,
  resamples: Iterable<ArrayLike<number>>,
  confidence: number,
): VariantIntervals[] {
  const quality = variants.map((): number[] => []);
  const speedup = variants.map((): number[] => []);
  const delta = variants.map((): number[] => []);
  for (const idx of resamples) {
    const large = largeMs ? sumAt(largeMs, idx) : 0;
    variants.forEach((v, j) => {
      quality[j]!.push(resampledQuality(v.quality, idx));
      if (largeMs) speedup[j]!.push(large / sumAt(v.ms, idx));
    });
    variants.forEach((v, j) => {
      if (v.baseline !== undefined) delta[j]!.push(quality[j]!.at(-1)! - quality[v.baseline]!.at(-1)!);
    });
  }
  return variants.map((v, j) => ({
    quality: interval(quality[j]!, confidence),
    speedup: largeMs ? interval(speedup[j]!, confidence) : null,
    ...(v.baseline !== undefined && { qualityDelta: interval(delta[j]!, confidence) }),
  }));
}

/** The run's intervals: BOOTSTRAP's seeded resamples of its sentences, shared by every variant. */
export function pairedIntervals(variants: readonly VariantSeries[], largeMs: Float64Array | null, sentences: number): VariantIntervals[] {
  return intervalsAt(variants, largeMs, seededResamples(sentences, BOOTSTRAP.resamples, BOOTSTRAP.seed), BOOTSTRAP.confidence);
}
