// The per-token trace of BiLD and speculative decoding (docs/runs.md, "Trace"): who wrote each
// output token and the numbers its decision compared with FB and RB. It only keeps values the
// decoding loop computed anyway, so recording it costs no model run.

/**
 * Why an output token is there. S: the small model's. The large model's: F after a fallback, M
 * after maxSmall small tokens, R replacing a rolled-back small token, L BiLD's first token and its
 * step after a rollback, B speculative decoding's token after each verification.
 */
export type TraceOrigin = 'S' | 'F' | 'M' | 'R' | 'L' | 'B';

/** One rollback: small tokens removed from the output and the large model's token in their place. */
export interface TraceRollback {
  /** Output index (start token excluded) of the first removed token, where `replacement` now stands. */
  position: number;
  /** The small model's tokens removed, the rejected one first. */
  removed: number[];
  /** The tokenizer's pieces of `removed` (see DecodeTrace.pieces). */
  removedPieces?: string[];
  replacement: number;
  /** The origin the large call's own token would have had (dropped with the rollback): F, M or L. */
  trigger: TraceOrigin;
  /** trigger F: the small model's max probability that fell below FB; null otherwise. */
  triggerProb: number | null;
}

/** Parallel arrays, one entry per output token (start token excluded, EOS included). */
export interface DecodeTrace {
  tokens: number[];
  /** The tokenizer's piece of each token, SentencePiece's `▁` as a space (absent in runs recorded before it). */
  pieces?: string[];
  /** One TraceOrigin letter per token. */
  origin: string;
  /** The small model's max probability where it decided: S tokens (≥ FB) and F tokens (< FB); null elsewhere. */
  smallProb: (number | null)[];
  /** The large model's cross-entropy on the small token verified here: S tokens a large call checked, R tokens (the rejected token's, > RB); null elsewhere. */
  largeCE: (number | null)[];
  rollbacks: TraceRollback[];
}

/** The float32 value with the fewest digits that read back as it (Math.fround of the result is exact). */
function float32(v: number | null): number | null {
  if (v === null) return null;
  for (let d = 4; d <= 9; d++) {
    const n = Number(v.toPrecision(d));
    if (Math.fround(n) === v) return n;
  }
  return v;
}

/** The trace with the tokenizer's pieces of its output and removed tokens. */
export function withPieces(t: DecodeTrace, piece: (id: number) => string): DecodeTrace {
  const text = (id: number): string => piece(id).replaceAll('\u2581', ' ');
  return {
    ...t,
    pieces: t.tokens.map(text),
    rollbacks: t.rollbacks.map((r) => ({ ...r, removedPieces: r.removed.map(text) })),
  };
}

/** Builds a DecodeTrace as the loop appends, replaces and verifies output tokens. */
export class TraceRecorder {
  private readonly origins: TraceOrigin[] = [];
  private readonly smallProb: (number | null)[] = [];
  private readonly largeCE: (number | null)[] = [];
  private readonly rollbacks: TraceRollback[] = [];

  /** Appends output token `length`. */
  push(origin: TraceOrigin, smallProb: number | null = null): void {
    this.origins.push(origin);
    this.smallProb.push(smallProb);
    this.largeCE.push(null);
  }

  /** Re-labels output token i (a drafted token that turned out to be the large model's). */
  set(i: number, origin: TraceOrigin, smallProb: number | null): void {
    this.origins[i] = origin;
    this.smallProb[i] = smallProb;
  }

  /** Keeps the first n output tokens. */
  truncate(n: number): void {
    this.origins.length = this.smallProb.length = this.largeCE.length = n;
  }

  /** A large call checked output token i: kept for the small model's tokens. */
  verified(i: number, crossEntropy: number): void {
    if (this.origins[i] === 'S') this.largeCE[i] = crossEntropy;
  }

  /** Replaces output tokens from `position` on (`removed`, the small model's) by the large model's `replacement`. */
  rollback(r: TraceRollback, crossEntropy: number): void {
    this.rollbacks.push(r);
    this.truncate(r.position);
    this.push('R');
    this.largeCE[r.position] = crossEntropy;
  }

  counts(): { smallTokens: number; largeTokens: number } {
    let smallTokens = 0;
    for (const o of this.origins) if (o === 'S') smallTokens++;
    return { smallTokens, largeTokens: this.origins.length - smallTokens };
  }

  /** The trace of the output `ids` (start token first). */
  finish(ids: readonly number[]): DecodeTrace {
    return {
      tokens: ids.slice(1),
      origin: this.origins.join(''),
      smallProb: this.smallProb.map(float32),
      largeCE: this.largeCE.map(float32),
      rollbacks: this.rollbacks.map((r) => ({ ...r, triggerProb: float32(r.triggerProb) })),
    };
  }
}
