/** What one decoding of one sentence did, whichever method produced it. */
export interface DecodeCounts extends DecodeTotals {
  /** Decoder tokens: the start token, the generated tokens, EOS when reached. */
  ids: number[];
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

export type Origin = 'S' | 'L';

/** Counts of the output tokens by origin (the start token excluded). */
export function countOrigins(origins: readonly Origin[]): { smallTokens: number; largeTokens: number } {
  let smallTokens = 0;
  for (const o of origins) if (o === 'S') smallTokens++;
  return { smallTokens, largeTokens: origins.length - smallTokens };
}
