// The cached path must equal the uncached one: chunks of any size, commits, discards and
// truncations give the same rows as feeding one token at a time, in both cache layouts (host:
// the CPU provider's default; device: what WebGPU/CUDA run, here on the CPU provider), which
// also agree with each other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bildDecode } from '../../src-main/engine/decoding/bild';
import type { KvCacheLayout } from '../../src-main/engine/onnx/t5-graphs';
import type { T5Runtime } from '../../src-main/engine/runtime/t5-runtime';
import { exportAndLoad } from '../helpers/export';
import { goldenSources } from '../helpers/goldens';
import { modelDir } from '../helpers/paths';

const LAYOUTS: KvCacheLayout[] = ['host', 'device'];

describe('decoder KV cache', () => {
  const rts = {} as Record<KvCacheLayout, T5Runtime>;
  beforeAll(async () => {
    for (const layout of LAYOUTS) rts[layout] = await exportAndLoad(modelDir('toy-t5-small'), { runtime: { kvCache: layout } });
  });
  afterAll(async () => {
    for (const rt of Object.values(rts)) await rt.release();
  });

  it.each(LAYOUTS)('chunks of 1, 3, 7 ... with truncation reproduce one-token-at-a-time rows (%s cache)', async (layout) => {
    const rt = rts[layout];
    expect(rt.kvCache).toBe(layout);
    const src = goldenSources('toy-t5-small')[1]!; // 24 decoder tokens
    const tokens = src.decoder_input_ids;
    const targets = [...tokens.slice(1), 0];
    const enc = await rt.encode(src.input_ids);
    const V = rt.cfg.vocabSize;

    // reference: one token per call, every row committed
    const ref = rt.newDecoder(enc);
    const refLogits: Float32Array[] = [];
    const refLogprob: number[] = [];
    const refNext: number[] = [];
    for (let p = 0; p < tokens.length; p++) {
      const r = await ref.extend([tokens[p]!], [targets[p]!], true);
      ref.commit();
      refLogits.push(r.logits!);
      refLogprob.push(r.targetLogprob[0]!);
      refNext.push(r.next[0]!);
    }

    for (const sizes of [[3], [7], [1, 3, 7], [5, 2, 11]]) {
      const dec = rt.newDecoder(enc);
      let p = 0;
      let s = 0;
      while (p < tokens.length) {
        const k = Math.min(sizes[s++ % sizes.length]!, tokens.length - p);
        // a tentative extension that is discarded must leave no trace
        await dec.extend(tokens.slice(p, p + k).map(() => 5));
        dec.discard();
        const r = await dec.extend(tokens.slice(p, p + k), targets.slice(p, p + k), true);
        for (let j = 0; j < k; j++) {
          const row = r.logits!.subarray(j * V, (j + 1) * V);
          let maxDiff = 0;
          for (let v = 0; v < V; v++) maxDiff = Math.max(maxDiff, Math.abs(row[v]! - refLogits[p + j]![v]!));
          expect(maxDiff, `sizes ${sizes} position ${p + j}`).toBeLessThan(1e-4);
          expect(r.next[j]).toBe(refNext[p + j]);
          expect(r.targetLogprob[j]).toBeCloseTo(refLogprob[p + j]!, 4);
        }
        dec.commit();
        // roll back two positions and feed them again, as BiLD's rollback does
        if (p + k >= 4 && s % 2 === 0) {
          dec.truncate(p + k - 2);
          p = p + k - 2;
          continue;
        }
        p += k;
      }
      expect(dec.fed).toBe(tokens.length);
    }
  });

  it('the host and device layouts give the same logits', async () => {
    const src = goldenSources('toy-t5-small')[1]!;
    const logits = {} as Record<KvCacheLayout, Float32Array[]>;
    for (const layout of LAYOUTS) {
      const rt = rts[layout];
      const dec = rt.newDecoder(await rt.encode(src.input_ids));
      logits[layout] = [];
      // one token, then chunks of 5 (a chunk meets a cache that grew past its first capacity)
      for (let p = 0; p < src.decoder_input_ids.length; ) {
        const chunk = src.decoder_input_ids.slice(p, p + (p === 0 ? 1 : 5));
        const r = await dec.extend(chunk, undefined, true);
        dec.commit();
        for (let j = 0; j < chunk.length; j++) logits[layout].push(r.logits!.subarray(j * rt.cfg.vocabSize, (j + 1) * rt.cfg.vocabSize));
        p += chunk.length;
      }
    }
    expect(logits.host).toHaveLength(24);
    for (let p = 0; p < 24; p++) {
      let maxDiff = 0;
      for (let v = 0; v < logits.host[p]!.length; v++) maxDiff = Math.max(maxDiff, Math.abs(logits.host[p]![v]! - logits.device[p]![v]!));
      expect(maxDiff, `position ${p}`).toBeLessThan(1e-4);
    }
  });

  it('BiLD over the demo pair decides and writes the same in both layouts (fallbacks, rollbacks)', async () => {
    const pairs = {} as Record<KvCacheLayout, { small: T5Runtime; large: T5Runtime }>;
    for (const layout of LAYOUTS)
      pairs[layout] = { small: rts[layout], large: await exportAndLoad(modelDir('toy-t5-large'), { runtime: { kvCache: layout } }) };
    try {
      let rollbacks = 0;
      for (const src of goldenSources('toy-t5-small').slice(0, 6)) {
        const out = {} as Record<KvCacheLayout, Awaited<ReturnType<typeof bildDecode>>>;
        for (const layout of LAYOUTS) {
          const { small, large } = pairs[layout];
          out[layout] = await bildDecode({ small: { model: small, src: await small.encode(src.input_ids) }, large: { model: large, src: await large.encode(src.input_ids) } }, { fallback: 0.5, rollback: 2 });
        }
        expect(out.device.ids).toEqual(out.host.ids);
        for (const k of ['smallTokens', 'largeTokens', 'smallCalls', 'largeCalls', 'fallbacks', 'rollbacks'] as const) expect(out.device[k], k).toBe(out.host[k]);
        rollbacks += out.host.rollbacks;
      }
      expect(rollbacks, 'the sentences exercise rollbacks (a truncated cache fed again)').toBeGreaterThan(0);
    } finally {
      for (const layout of LAYOUTS) await pairs[layout].large.release();
    }
  });

  it('a host cache capped at maxLength grows exactly past it, with the same rows', async () => {
    const src = goldenSources('toy-t5-small')[1]!; // 24 decoder tokens, past maxLength 10
    const capped = await exportAndLoad(modelDir('toy-t5-small'), { runtime: { kvCache: 'host', maxLength: 10 } });
    try {
      const rows = [];
      for (const rt of [rts.host, capped]) {
        const dec = rt.newDecoder(await rt.encode(src.input_ids));
        const out: number[] = [];
        for (let p = 0; p < src.decoder_input_ids.length; p += 3) {
          const r = await dec.extend(src.decoder_input_ids.slice(p, p + 3), src.decoder_input_ids.slice(p + 1, p + 4));
          dec.commit();
          out.push(...r.targetLogprob);
        }
        rows.push(out);
      }
      expect(rows[1]!.length).toBe(24);
      for (let i = 0; i < 24; i++) expect(rows[1]![i]).toBeCloseTo(rows[0]![i]!, 5);
    } finally {
      await capped.release();
    }
  });

  it('a source encoded for one layout is refused by the other', async () => {
    const src = goldenSources('toy-t5-small')[0]!;
    const enc = await rts.device.encode(src.input_ids);
    expect(() => rts.host.newDecoder(enc)).toThrow(/device cache layout/);
  });

  it('max_prob and target_logprob are the softmax over the first vocab_limit rows only', async () => {
    const limited = await exportAndLoad(modelDir('toy-t5-small'), { runtime: { vocabLimit: 600 } });
    const src = goldenSources('toy-t5-small')[0]!;
    const rows = await limited.newDecoder(await limited.encode(src.input_ids)).extend(src.decoder_input_ids, [...src.decoder_input_ids.slice(1), 0], true);
    const V = limited.cfg.vocabSize;
    for (let j = 0; j < src.decoder_input_ids.length; j++) {
      const row = Array.from(rows.logits!.subarray(j * V, j * V + 600));
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
      expect(rows.next[j]).toBe(row.indexOf(max));
      expect(rows.maxProb[j]).toBeCloseTo(Math.exp(max - lse), 5);
      const t = j + 1 < src.decoder_input_ids.length ? src.decoder_input_ids[j + 1]! : 0;
      expect(rows.targetLogprob[j]).toBeCloseTo(row[t]! - lse, 4);
    }
    await limited.release();
  });
});
