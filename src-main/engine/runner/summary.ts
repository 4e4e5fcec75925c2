/** Per-variant summary statistics of a run's finished sentences (docs/runs.md defines each one). */
import type { LatencyStats, QualityScores, SentenceResult, Task, Variant, VariantOutput, VariantSummary } from '../api/types';
import { corpusBleu, corpusRouge, percentile } from '../metrics';

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

export function corpusQuality(task: Task, hyps: readonly string[], refs: readonly string[]): QualityScores {
  if (task === 'translation') {
    const b = corpusBleu(hyps, [refs]);
    return { bleu: b.score, rougeL: null, rougeLsum: null, primary: b.score, primaryName: 'BLEU', signature: b.signature, implementation: b.implementation };
  }
  // Model outputs are not newline-split: ROUGE-Lsum splits sentences by rule (the paper used NLTK Punkt).
  const r = corpusRouge(hyps, [refs], { types: ['rougeL', 'rougeLsum'], splitSummaries: true });
  const rougeL = 100 * r.mean.rougeL!.fmeasure;
  const rougeLsum = 100 * r.mean.rougeLsum!.fmeasure;
  return { bleu: null, rougeL, rougeLsum, primary: rougeLsum, primaryName: 'ROUGE-Lsum', signature: r.signature, implementation: r.implementation };
}

/** Ratio of sums, guarded for empty corpora (100 × a / b). */
function pct(a: number, b: number): number {
  return b > 0 ? (100 * a) / b : 0;
}

function summarizeOne(task: Task, v: Variant, outs: readonly VariantOutput[], refs: readonly string[], largeMeanMs: number | null): VariantSummary {
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
    quality: corpusQuality(task, outs.map((o) => o.text), refs),
    latencyMs,
    meanDecodeMs: mean(outs.map((o) => o.decodeMs)),
    meanEncoderMs: mean(outs.map((o) => o.encoderMs)),
    tokensPerSecond: totals.tokens / (sum(totalMs) / 1000),
    meanTokens: totals.tokens / outs.length,
    speedup: largeMeanMs === null ? null : largeMeanMs / latencyMs.mean,
    fallbackPct: pct(totals.fallbacks, totals.tokens),
    rollbackPct: pct(totals.rollbacks, totals.tokens),
    smallTokenPct: pct(totals.smallTokens, totals.tokens),
    meanAcceptedLength: paired && totals.largeCalls > 0 ? totals.tokens / totals.largeCalls : null,
    identicalToLarge: identical.length ? identical.filter((o) => o.identicalToLarge).length / identical.length : null,
    totals,
  };
}

/** One summary per variant over the sentences every variant finished; empty when none did. */
export function summarizeVariants(task: Task, variants: readonly Variant[], sentences: readonly SentenceResult[]): VariantSummary[] {
  if (sentences.length === 0) return [];
  const refs = sentences.map((s) => s.reference);
  const outsOf = (id: string): VariantOutput[] => sentences.map((s) => s.outputs.find((o) => o.variant === id)!);
  const large = variants.find((v) => v.method === 'large');
  const largeMeanMs = large ? mean(outsOf(large.id).map((o) => o.totalMs)) : null;
  return variants.map((v) => summarizeOne(task, v, outsOf(v.id), refs, largeMeanMs));
}
