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

/**
 * Bucket tables indexed by relative position, computed once per model (and grown when a longer
 * sequence comes), stored as int64 so that each row of a step's [k, T] input is one copy.
 */
export class PositionBuckets {
  private maxLen = 0;
  /** bi[r + maxLen]: bidirectional bucket of r = key − query, r in [−maxLen, maxLen]. */
  private bi = new BigInt64Array(0);
  /** causalRev[maxLen − d]: causal bucket of a key d positions before the query, d in [0, maxLen]. */
  private causalRev = new BigInt64Array(0);

  constructor(
    private readonly cfg: T5Config,
    maxLen: number,
  ) {
    this.grow(maxLen);
  }

  private grow(maxLen: number): void {
    if (maxLen <= this.maxLen) return;
    const { numBuckets, maxDistance } = this.cfg;
    this.maxLen = maxLen;
    this.bi = new BigInt64Array(2 * maxLen + 1);
    this.causalRev = new BigInt64Array(maxLen + 1);
    for (let r = -maxLen; r <= maxLen; r++) this.bi[r + maxLen] = BigInt(relativeBucket(r, true, numBuckets, maxDistance));
    for (let d = 0; d <= maxLen; d++) this.causalRev[maxLen - d] = BigInt(relativeBucket(-d, false, numBuckets, maxDistance));
  }

  /** Encoder buckets [S, S] for key − query. */
  encoder(S: number): BigInt64Array<ArrayBuffer> {
    this.grow(S);
    const out = new BigInt64Array(S * S);
    // row q: r = k − q for k = 0..S-1
    for (let q = 0; q < S; q++) out.set(this.bi.subarray(this.maxLen - q, this.maxLen - q + S), q * S);
    return out;
  }

  /** Decoder buckets [k, P+k] for queries P..P+k-1; keys after the query get `masked`. */
  decoder(P: number, k: number, masked: number): BigInt64Array<ArrayBuffer> {
    const T = P + k;
    this.grow(T);
    const out = new BigInt64Array(k * T).fill(BigInt(masked));
    // row of query q: keys 0..q are q..0 positions back; later keys stay masked
    for (let i = 0; i < k; i++) {
      const q = P + i;
      out.set(this.causalRev.subarray(this.maxLen - q, this.maxLen + 1), i * T);
    }
    return out;
  }
}
