/**
 * `--repeats N`: decode a sentence N times and keep the median timings, which one slow decoding
 * (a page fault, another process) moves far less than a single timing. Greedy decoding is
 * deterministic, so every repeat must give the first one's tokens; one that does not is a bug
 * (or a nondeterministic provider) that the run reports instead of averaging over.
 */
import type { SentenceOutput } from '../decoding/generate';
import { percentile } from '../metrics';

export async function repeated(times: number, what: string, decode: () => Promise<SentenceOutput>): Promise<SentenceOutput> {
  const first = await decode();
  if (times <= 1) return first;
  const runs = [first];
  for (let r = 1; r < times; r++) {
    const again = await decode();
    if (String(again.ids) !== String(first.ids))
      throw new Error(`repeat ${r + 1} of ${what} decoded other tokens than the first: the decoding is not deterministic, its timings cannot be repeated`);
    runs.push(again);
  }
  const median = (k: 'encoderMs' | 'decodeMs' | 'totalMs'): number => percentile(runs.map((o) => o[k]), 50);
  return { ...first, encoderMs: median('encoderMs'), decodeMs: median('decodeMs'), totalMs: median('totalMs') };
}
