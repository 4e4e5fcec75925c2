/** Per-variant summary statistics of a run's finished sentences (docs/runs.md defines each one). */
import type { DtypeComparison, LatencyStats, QualityScores, SentenceResult, Task, Variant, VariantOutput, VariantSummary } from '../api/types';
import { bleuFromStats, bleuSegmentStats, corpusRouge, percentile } from '../metrics';
import { dtypeComparison, fp32Counterparts } from './dtype-compare';
import { BOOTSTRAP, pairedIntervals, type QualitySeries, type VariantIntervals } from './intervals';
import { sameOutputsAs } from './same-outputs';

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

function mean(xs: readonly number[]): number {
  return xs.length ? sum(xs) / xs.length : NaN;
}

export function latencyStats(ms: readonly number[]): LatencyStats {
  return { mean: mean(ms), median: percentile(ms, 50), p90: percentile(ms, 90), p99: percentile(ms, 99) };
}

/** Corpus quality and what its bootstrap resamples: BLEU statistics or ROUGE-Lsum per sentence, computed once. */
function corpusQuality(task: Task, hyps: readonly string[], refs: readonly string[]): { scores: QualityScores; series: QualitySeries } {
  if (task === 'translation') {
    const segments = bleuSegmentStats(hyps, [refs]);
    const b = bleuFromStats(segments, 1);
    const scores: QualityScores = { bleu: b.score, rougeL: null, rougeLsum: null, primary: b.score, primaryName: 'BLEU', signature: b.signature, implementation: b.implementation };
    return { scores, series: { kind: 'bleu', stats: Float64Array.from(segments.flat()) } };
  }
  // Model outputs are not newline-split: ROUGE-Lsum splits sentences by rule (the paper used NLTK Punkt).
  const r = corpusRouge(hyps, [refs], { types: ['rougeL', 'rougeLsum'], splitSummaries: true });
  const rougeL = 100 * r.mean.rougeL!.fmeasure;
  const rougeLsum = 100 * r.mean.rougeLsum!.fmeasure;
  const scores: QualityScores = { bleu: null, rougeL, rougeLsum, primary: rougeLsum, primaryName: 'ROUGE-Lsum', signature: r.signature, implementation: r.implementation };
  return { scores, series: { kind: 'mean', values: Float64Array.from(r.sentences, (x) => 100 * x.rougeLsum!.fmeasure) } };
}

/**
 * The large-only variant speedups and identicalToLarge refer to: the one at fp32, else the one at
 * the run's dtype (an id without @dtype; runs recorded without dtypes too), else the first; -1 without one.
 */
export function baselineIndex(variants: readonly Variant[]): number {
  const large = variants.flatMap((v, i) => (v.method === 'large' ? [i] : []));
  return large.find((i) => variants[i]!.dtypes?.large === 'fp32') ?? large.find((i) => variants[i]!.id === 'large') ?? large[0] ?? -1;
}

/** Ratio of sums, guarded for empty corpora (100 × a / b). */
function pct(a: number, b: number): number {
  return b > 0 ? (100 * a) / b : 0;
}

interface Measured {
  quality: QualityScores;
  intervals: VariantIntervals;
  sameOutputsAs: string | null;
  vsFp32: DtypeComparison | null;
}

function summarizeOne(v: Variant, outs: readonly VariantOutput[], large: { id: string; meanMs: number } | null, m: Measured): VariantSummary {
  const totals = {
    tokens: sum(outs.map((o) => o.tokens)),
    smallTokens: sum(outs.map((o) => o.smallTokens)),
    largeTokens: sum(outs.map((o) => o.largeTokens)),
    smallCalls: sum(outs.map((o) => o.smallCalls)),
    largeCalls: sum(outs.map((o) => o.largeCalls)),
    fallbacks: sum(outs.map((o) => o.fallbacks)),
    rollbacks: sum(outs.map((o) => o.rollbacks)),
    rolledBackTokens: sum(outs.map((o) => o.rolledBackTokens)),
  };
  const totalMs = outs.map((o) => o.totalMs);
  const latencyMs = latencyStats(totalMs);
  const identical = outs.filter((o) => o.identicalToLarge !== null);
  const paired = v.method === 'bild' || v.method === 'speculative';
  return {
    variant: v.id,
    method: v.method,
    bild: v.bild ?? null,
    sentences: outs.length,
    quality: m.quality,
    latencyMs,
    meanDecodeMs: mean(outs.map((o) => o.decodeMs)),
    meanEncoderMs: mean(outs.map((o) => o.encoderMs)),
    tokensPerSecond: totals.tokens / (sum(totalMs) / 1000),
    meanTokens: totals.tokens / outs.length,
    speedup: large === null ? null : large.meanMs / latencyMs.mean,
    fallbackPct: pct(totals.fallbacks, totals.tokens),
    rollbackPct: pct(totals.rollbacks, totals.tokens),
    smallTokenPct: pct(totals.smallTokens, totals.tokens),
    meanAcceptedLength: paired && totals.largeCalls > 0 ? totals.tokens / totals.largeCalls : null,
    identicalToLarge: identical.length ? identical.filter((o) => o.identicalToLarge).length / identical.length : null,
    baseline: large?.id ?? null,
    totals,
    qualityCI: m.intervals.quality,
    speedupCI: m.intervals.speedup,
    bootstrap: BOOTSTRAP,
    sameOutputsAs: m.sameOutputsAs,
    ...(v.dtypes && { dtypes: v.dtypes, vsFp32: m.vsFp32 }),
  };
}

/** One summary per variant over the sentences every variant finished; empty when none did. */
export function summarizeVariants(task: Task, variants: readonly Variant[], sentences: readonly SentenceResult[]): VariantSummary[] {
  if (sentences.length === 0) return [];
  const refs = sentences.map((s) => s.reference);
  const outs = variants.map((v) => sentences.map((s) => s.outputs.find((o) => o.variant === v.id)!));
  const msOf = (o: readonly VariantOutput[]): Float64Array => Float64Array.from(o, (x) => x.totalMs);
  const quality = outs.map((o) => corpusQuality(task, o.map((x) => x.text), refs));
  const largeAt = baselineIndex(variants);
  const largeMs = largeAt < 0 ? null : msOf(outs[largeAt]!);
  const fp32 = fp32Counterparts(variants);
  const intervals = pairedIntervals(
    quality.map((q, j) => ({ quality: q.series, ms: msOf(outs[j]!), baseline: fp32[j] })),
    largeMs,
    sentences.length,
  );
  const same = sameOutputsAs(variants, outs);
  const large = largeMs ? { id: variants[largeAt]!.id, meanMs: mean(Array.from(largeMs)) } : null;
  const vsFp32 = (j: number, c: number | undefined): DtypeComparison | null =>
    c === undefined
      ? null
      : dtypeComparison({ id: variants[c]!.id, outputs: outs[c]!, quality: quality[c]!.scores.primary }, { outputs: outs[j]!, quality: quality[j]!.scores.primary }, intervals[j]!.qualityDelta!);
  return variants.map((v, j) =>
    summarizeOne(v, outs[j]!, large, { quality: quality[j]!.scores, intervals: intervals[j]!, sameOutputsAs: same[j]!, vsFp32: vsFp32(j, fp32[j]) }),
  );
}
