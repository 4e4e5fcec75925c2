import type { T5Config } from '../checkpoint/config';

const f = Math.fround;

/**
 * T5's relative position bucket for r = key − query, computed with float32 arithmetic the way
 * PyTorch does on a GPU (the fixtures' reference): log(r/exact) · (1/log(max/exact)) · (n − exact),
 * each step rounded to float32, then truncated. Values near bucket edges (r = 16, 32, 64 for the
 * bidirectional case) depend on this rounding.
 */
export function relativeBucket(r: number, bidirectional: boolean, numBuckets: number, maxDistance: number): number {
  let n = numBuckets;
  let base = 0;
  let rp: number;
  if (bidirectional) {
    n = Math.floor(n / 2);
    if (r > 0) base = n;
    rp = Math.abs(r);
  } else {
    rp = Math.max(-r, 0);
  }
  const exact = Math.floor(n / 2);
  if (rp < exact) return base + rp;
  const invLog = f(1 / f(Math.log(maxDistance / exact)));
  const scaled = f(f(f(Math.log(f(rp / exact))) * invLog) * (n - exact));
  return base + Math.min(exact + Math.trunc(scaled), n - 1);
}

/** Bucket tables indexed by relative position, computed once per model. */
export class PositionBuckets {
  private readonly bi: Int32Array;
  private readonly causal: Int32Array;

  constructor(
    private readonly cfg: T5Config,
    readonly maxLen: number,
  ) {
    this.bi = new Int32Array(2 * maxLen + 1);
    this.causal = new Int32Array(maxLen + 1);
    for (let r = -maxLen; r <= maxLen; r++) this.bi[r + maxLen] = relativeBucket(r, true, cfg.numBuckets, cfg.maxDistance);
    for (let d = 0; d <= maxLen; d++) this.causal[d] = relativeBucket(-d, false, cfg.numBuckets, cfg.maxDistance);
  }

  /** Encoder buckets [S, S] for key − query. */
  encoder(S: number): BigInt64Array<ArrayBuffer> {
    if (S > this.maxLen) return new PositionBuckets(this.cfg, S).encoder(S);
    const out = new BigInt64Array(S * S);
    for (let q = 0; q < S; q++) for (let k = 0; k < S; k++) out[q * S + k] = BigInt(this.bi[k - q + this.maxLen]!);
    return out;
  }

  /** Decoder buckets [k, P+k] for queries P..P+k-1; keys after the query get `masked`. */
  decoder(P: number, k: number, masked: number): BigInt64Array<ArrayBuffer> {
    const T = P + k;
    if (T > this.maxLen) return new PositionBuckets(this.cfg, T).decoder(P, k, masked);
    const out = new BigInt64Array(k * T);
    const m = BigInt(masked);
    for (let i = 0; i < k; i++) {
      const q = P + i;
      for (let j = 0; j < T; j++) out[i * T + j] = j > q ? m : BigInt(this.causal[q - j]!);
    }
    return out;
  }
}
