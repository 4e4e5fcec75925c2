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

/**
 * The selected rows of a file read by `open()`, which streams them in order. Reading stops after
 * the first N; a seeded sample reads the file twice (to count, then to keep the chosen rows), so
 * a large file is never held whole.
 */
export async function selectStreamed<T>(open: () => AsyncIterable<T>, sel: Selection): Promise<T[]> {
  let keep: Set<number> | undefined;
  if (sel.kind === 'sample') {
    let total = 0;
    for await (const _ of open()) total++;
    keep = new Set(sampleIndices(total, sel.n, sel.seed));
  }
  const limit = sel.kind === 'first' ? sel.n : (keep?.size ?? Infinity);
  const out: T[] = [];
  let i = 0;
  for await (const item of open()) {
    if (!keep || keep.has(i)) out.push(item);
    i++;
    if (out.length >= limit) break;
  }
  return out;
}
