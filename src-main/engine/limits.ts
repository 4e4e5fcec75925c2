/**
 * Upper bounds on the counts a request controls, checked before any model loads: an unbounded
 * value (max_length 1e9, threads 10000) would exhaust the machine's memory or wedge the engine
 * in one synchronous loop where not even a cancel is answered.
 */
import { availableParallelism } from 'node:os';

export const LIMITS = {
  /**
   * Decoder positions. T5's relative positions have no table to outgrow, so the bound is a fixed
   * one: the self-attention cache and the bucket tables of a sentence grow with it.
   */
  maxLength: 4096,
  /** Source tokens: the encoder's position buckets and attention scores grow with its square. */
  maxSourceLength: 4096,
  /** Consecutive small-model tokens (BiLD) and speculative draft length: at most a generation's length. */
  maxSmall: 4096,
  draft: 4096,
  /** Untimed warm-up sentences per method (also at most the run's examples). */
  warmup: 1000,
  /** Examples of a run: more rows than any benchmark split holds. */
  limit: 10_000_000,
  /** Characters of one line of a text data file (JSONL, parallel text): an example, not a document. */
  lineChars: 4_000_000,
  /** BiLD points of a sweep (fallbacks × rollbacks). */
  gridPoints: 1000,
} as const;

/** The default source truncation, as the official evaluation script (`max_source_length`). */
export const DEFAULT_MAX_SOURCE_LENGTH = 1024;

/** Intra-op threads: a few per core; more only adds contention (and each costs a native thread). */
export function maxThreads(): number {
  return 4 * availableParallelism();
}
