import type { ParetoPoint, SweepResult, VariantSummary } from '../api/types';

/** Whether a is at least as good as b on both axes and strictly better on one. */
function dominates(a: { quality: number; speedup: number }, b: { quality: number; speedup: number }): boolean {
  return a.quality >= b.quality && a.speedup >= b.speedup && (a.quality > b.quality || a.speedup > b.speedup);
}

/** Marks the non-dominated points (quality and speedup both maximized); O(n²), n is a grid. */
export function paretoFront<T extends { quality: number; speedup: number }>(points: readonly T[]): boolean[] {
  return points.map((p) => !points.some((q) => dominates(q, p)));
}

/** Quality-vs-speedup points of every variant (baselines included) and their Pareto front. */
export function sweepResult(summaries: readonly VariantSummary[]): SweepResult | null {
  const withSpeed = summaries.filter((s) => s.speedup !== null);
  if (withSpeed.length === 0) return null;
  const base = withSpeed.map((s) => ({ variant: s.variant, method: s.method, bild: s.bild, quality: s.quality.primary, speedup: s.speedup! }));
  const on = paretoFront(base);
  const points: ParetoPoint[] = base.map((p, i) => ({ ...p, onFront: on[i]! }));
  return {
    qualityName: summaries[0]!.quality.primaryName,
    points,
    front: points.filter((p) => p.onFront).sort((a, b) => a.speedup - b.speedup),
  };
}
