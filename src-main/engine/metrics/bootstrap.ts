/**
 * Seeded bootstrap confidence intervals over segments. rouge_score's BootstrapAggregator draws from
 * numpy's global RNG, so its intervals are not reproducible; this uses the same procedure (resample
 * segments with replacement, statistic per resample, percentiles as numpy's linear method) with a
 * seeded generator, so a given seed always gives the same interval.
 */
import { seededRandom } from '../seeded-random';

/** numpy.percentile(values, q) with the default linear interpolation; q in [0, 100]. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  if (sorted.length === 0) return NaN;
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * `count` resamples of `n` segment indices drawn with replacement from a seeded generator. The
 * yielded array is reused: read it before asking for the next resample.
 */
export function* seededResamples(n: number, count: number, seed: number): Generator<Uint32Array> {
  const rand = seededRandom(seed);
  const idx = new Uint32Array(n);
  for (let s = 0; s < count; s++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rand() * n);
    yield idx;
  }
}

export interface BootstrapOptions {
  /** Number of resamples (rouge_score's default is 1000). */
  samples?: number;
  seed?: number;
  /** Two-sided confidence level (default 0.95). */
  confidence?: number;
}

export interface Interval {
  low: number;
  mid: number;
  high: number;
}

/**
 * Bootstrap intervals for several statistics at once. `statistic` maps a resample (segment indices)
 * to a vector of values; each entry of the result gives low, median and high over resamples.
 */
export function bootstrap(
  segments: number,
  statistic: (indices: readonly number[]) => readonly number[],
  opts: BootstrapOptions = {},
): Interval[] {
  const samples = opts.samples ?? 1000;
  const confidence = opts.confidence ?? 0.95;
  if (!Number.isInteger(samples) || samples <= 0) throw new RangeError(`bootstrap samples must be a positive integer, got ${samples}`);
  if (!(confidence >= 0 && confidence <= 1)) throw new RangeError(`confidence must be in [0, 1], got ${confidence}`);
  if (segments === 0) return [];
  const draws: number[][] = [];
  for (const idx of seededResamples(segments, samples, opts.seed ?? 12345)) {
    const v = statistic(Array.from(idx));
    v.forEach((x, k) => (draws[k] ??= []).push(x));
  }
  const delta = (1 - confidence) / 2;
  return draws.map((d) => ({ low: percentile(d, 100 * delta), mid: percentile(d, 50), high: percentile(d, 100 * (1 - delta)) }));
}
