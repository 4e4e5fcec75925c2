// The int64 bucket tables fed to the graphs equal T5's bucket function entry by entry, also past
// the length the tables were first built for (they grow).
import { describe, expect, it } from 'vitest';
import { readT5Config } from '../../src-main/engine/checkpoint/config';
import { PositionBuckets, relativeBucket } from '../../src-main/engine/runtime/position-buckets';
import { modelDir } from '../helpers/paths';

const cfg = readT5Config(modelDir('toy-t5-small'));
const { numBuckets, maxDistance } = cfg;

describe('PositionBuckets', () => {
  const buckets = new PositionBuckets(cfg, 16);

  it('encoder [S, S] holds the bidirectional bucket of key − query', () => {
    for (const S of [1, 7, 16, 40]) {
      const out = buckets.encoder(S);
      expect(out).toHaveLength(S * S);
      for (let q = 0; q < S; q++)
        for (let k = 0; k < S; k++) expect(out[q * S + k]).toBe(BigInt(relativeBucket(k - q, true, numBuckets, maxDistance)));
    }
  });

  it('decoder [k, P+k] holds causal buckets up to each query and the masked bucket after it', () => {
    for (const [P, k] of [[0, 1], [5, 3], [15, 2], [60, 11]] as const) {
      const T = P + k;
      const out = buckets.decoder(P, k, 99);
      expect(out).toHaveLength(k * T);
      for (let i = 0; i < k; i++)
        for (let j = 0; j < T; j++) {
          const want = j > P + i ? 99 : relativeBucket(j - (P + i), false, numBuckets, maxDistance);
          expect(out[i * T + j]).toBe(BigInt(want));
        }
    }
  });
});
