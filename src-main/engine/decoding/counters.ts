import type { DecodeTrace } from './trace';

/** What one decoding of one sentence did, whichever method produced it. */
export interface DecodeCounts extends DecodeTotals {
  /** Decoder tokens: the start token, the generated tokens, EOS when reached. */
  ids: number[];
  /** BiLD and speculative decoding: the per-token trace. */
  trace?: DecodeTrace;
}

/** Counters that add up over sentences. */
export interface DecodeTotals {
  smallTokens: number;
  largeTokens: number;
  smallCalls: number;
  largeCalls: number;
  fallbacks: number;
  rollbacks: number;
  /** Small-model tokens removed from the output by rollbacks. */
  rolledBackTokens: number;
}
