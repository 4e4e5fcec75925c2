// Shared memory between pipelined BiLD's two threads (decoding/bild-pipelined.ts): the drafter
// (the small model, in a worker) writes tokens ahead of the large model; the verifier (the large
// model, on the engine's thread) reads them and posts corrections. Plain 4-byte words: array entries
// are written before the Atomics store that publishes their count, so a reader that sees a count
// also sees what it counts; drafter.ts's publish() orders the control words the same way.

/** Control words. */
export const W = {
  /** Drafter: bumped after every publish (the verifier waits on it). */
  SEQ: 0,
  /** Verifier: bumped for every correction and for STOP (the drafter waits on it when idle). */
  EPOCH: 1,
  /** Drafter: the epoch whose correction it has applied; LEN/NB/END belong to it. */
  ACK: 2,
  /** Drafter: tokens written (the start token included). */
  LEN: 3,
  /** Drafter: large-model positions marked in `bounds`. */
  NB: 4,
  /** Drafter: the token count where its draft ended (EOS or maxLength), 0 while drafting. */
  END: 5,
  /** Verifier's correction: tokens kept (its token included), that token, bounds kept, 1 when the next position is the large model's. */
  CORR_LEN: 6,
  CORR_TOKEN: 7,
  CORR_NB: 8,
  CORR_LARGE: 9,
  /** Drafter: small-model calls so far. */
  STEPS: 10,
  /** Verifier: 1 when the sentence is finished (the drafter stops). */
  STOP: 11,
  /** Drafter: 1 when it failed (the message follows on the worker's port). */
  ERROR: 12,
  /** Drafter: 1 + the index of the large-model position whose guess it was unsure of and waits at; 0 while drafting. */
  WAITING: 13,
} as const;
const WORDS = 16;
/** Arrays after the control words, 4-byte entries each: tokens, bounds, kinds, probs. */
const ARRAYS = 4;

/** Why a position is the large model's: the first token, a fallback, maxSmall small tokens before it, or the extra step after a rollback. */
export const BOUND_FIRST = 0;
export const BOUND_FALLBACK = 1;
export const BOUND_BUDGET = 2;
export const BOUND_EXTRA = 3;

export interface DraftSettings {
  fallback: number;
  maxSmall: number;
  maxLength: number;
  startId: number;
  eosId: number;
}

/** One sentence for the drafter: its source ids, the settings and the shared memory. */
export interface DraftJob extends DraftSettings {
  /** Numbers the drafter's sentences, so that a late error is not taken for the next sentence's. */
  id: number;
  ids: number[];
  buffer: SharedArrayBuffer;
}

export interface DraftViews {
  ctl: Int32Array;
  /** Drafted tokens, tokens[0] the start token. */
  tokens: Int32Array;
  /** Positions (indices into tokens) that the large model predicts, in order. */
  bounds: Int32Array;
  /** BOUND_* for each of `bounds`. */
  kinds: Int32Array;
  /** The small model's max probability for each drafted token (the verifier's trace compares it with FB). */
  probs: Float32Array;
}

export function draftBuffer(maxLength: number): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * (WORDS + ARRAYS * (maxLength + 1)));
}

export function draftViews(buffer: SharedArrayBuffer): DraftViews {
  const n = (buffer.byteLength / 4 - WORDS) / ARRAYS;
  return {
    ctl: new Int32Array(buffer, 0, WORDS),
    tokens: new Int32Array(buffer, 4 * WORDS, n),
    bounds: new Int32Array(buffer, 4 * (WORDS + n), n),
    kinds: new Int32Array(buffer, 4 * (WORDS + 2 * n), n),
    probs: new Float32Array(buffer, 4 * (WORDS + 3 * n), n),
  };
}

/** Ends a sentence's drafting (idempotent): the drafter stops at its next check. */
export function stopDraft(buffer: SharedArrayBuffer): void {
  const { ctl } = draftViews(buffer);
  Atomics.store(ctl, W.STOP, 1);
  Atomics.add(ctl, W.EPOCH, 1);
  Atomics.notify(ctl, W.EPOCH);
}
