import { seededRandom } from '../seeded-random';

/** Which rows to keep: all, the first N, or a seeded uniform sample of N (in row order). */

export type Selection = { kind: 'all' } | { kind: 'first'; n: number } | { kind: 'sample'; n: number; seed: number };

export function selectionOf(limit: number | undefined, seed: number | undefined): Selection {
  if (limit === undefined) return { kind: 'all' };
  return seed === undefined ? { kind: 'first', n: limit } : { kind: 'sample', n: limit, seed };
}


/** `n` distinct indices of [0, total) chosen by a partial Fisher–Yates shuffle, sorted ascending. */
export function sampleIndices(total: number, n: number, seed: number): number[] {
  if (n >= total) return Array.from({ length: total }, (_, i) => i);
  const rand = seededRandom(seed);
  // Sparse swap map keeps memory O(n) for huge splits.
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (total - i));
    const vi = swapped.get(i) ?? i;
    const vj = swapped.get(j) ?? j;
    swapped.set(j, vi);
    out.push(vj);
  }
  return out.sort((a, b) => a - b);
}

/** Applies a selection to records already in memory. */
export function applySelection<T>(items: T[], sel: Selection): T[] {
  if (sel.kind === 'all') return items;
  if (sel.kind === 'first') return items.slice(0, sel.n);
  return sampleIndices(items.length, sel.n, sel.seed).map((i) => items[i]!);
}
