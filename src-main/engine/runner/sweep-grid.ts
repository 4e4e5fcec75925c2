import type { Task } from '../api/types';

/** The BiLD paper's threshold ranges per task (its Pareto figures sweep these). */
export const PAPER_GRIDS: Record<Task, { fallbacks: number[]; rollbacks: number[] }> = {
  translation: { fallbacks: [0.5, 0.6, 0.7, 0.8, 0.9], rollbacks: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  summarization: { fallbacks: [0.2, 0.3, 0.4, 0.5, 0.6], rollbacks: [2, 3, 4, 5, 6] },
};

/** Variant id of one BiLD grid point, e.g. `bild@0.5/3`. */
export function bildVariantId(fallback: number, rollback: number): string {
  return `bild@${fallback}/${rollback}`;
}
