import type { ConfidenceInterval, ParetoPoint, SweepResult, VariantSummary } from '../api/types';

interface Point {
  quality: number;
  speedup: number;
}

/** Whether a is at least as good as b on both axes and strictly better on one. */
function dominates(a: Point, b: Point): boolean {
  return a.quality >= b.quality && a.speedup >= b.speedup && (a.quality > b.quality || a.speedup > b.speedup);
}

/** Marks the non-dominated points (quality and speedup both maximized); O(n²), n is a grid. */
export function paretoFront<T extends Point>(points: readonly T[]): boolean[] {
  return points.map((p) => !points.some((q) => dominates(q, p)));
}

type WithIntervals = Point & { qualityCI?: ConfidenceInterval; speedupCI?: ConfidenceInterval | null };

/** Interval a lies wholly above interval b; false when either is unknown. */
function above(a: ConfidenceInterval | null | undefined, b: ConfidenceInterval | null | undefined): boolean {
  return Boolean(a && b) && a![0] > b![1];
}

/**
 * A front point is distinguishable when, against every other point that beats it on one axis,
 * its interval on the other axis lies wholly above that point's: what puts it on the front is
 * then a difference the intervals support. Non-overlap of per-point intervals is conservative.
 */
export function distinguishable(p: WithIntervals, points: readonly WithIntervals[]): boolean {
  return points.every((q) => {
    if (q === p) return true;
    if (q.speedup > p.speedup && !above(p.qualityCI, q.qualityCI)) return false;
    if (q.quality > p.quality && !above(p.speedupCI, q.speedupCI)) return false;
    return true;
  });
}

/** Quality-vs-speedup points of every variant (baselines included), their Pareto front and its support. */
export function sweepResult(summaries: readonly VariantSummary[]): SweepResult | null {
  const withSpeed = summaries.filter((s) => s.speedup !== null);
  if (withSpeed.length === 0) return null;
  const base = withSpeed.map((s) => ({
    variant: s.variant,
    method: s.method,
    bild: s.bild,
    quality: s.quality.primary,
    speedup: s.speedup!,
    qualityCI: s.qualityCI,
    speedupCI: s.speedupCI,
    sameOutputsAs: s.sameOutputsAs,
  }));
  const on = paretoFront(base);
  const points: ParetoPoint[] = base.map((p, i) => ({ ...p, onFront: on[i]!, distinguishable: on[i]! && distinguishable(p, base) }));
  return {
    qualityName: summaries[0]!.quality.primaryName,
    points,
    front: points.filter((p) => p.onFront).sort((a, b) => a.speedup - b.speedup),
  };
}
