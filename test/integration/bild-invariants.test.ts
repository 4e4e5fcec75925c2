// Invariants of BiLD and speculative decoding on the demo pairs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bildDecode, type PairSources } from '../../src-main/engine/decoding/bild';
import { greedyDecode } from '../../src-main/engine/decoding/greedy';
import { speculativeDecode } from '../../src-main/engine/decoding/speculative';
import { loadModel, type LoadedModel } from '../../src-main/engine/model';
import type { EncodedSource } from '../../src-main/engine/runtime/t5-runtime';
import { demoTestSentences } from '../helpers/demo';
import { scratch } from '../helpers/export';
import { modelDir } from '../helpers/paths';

describe('BiLD and speculative invariants on the demo pairs', () => {
  const models: Record<string, LoadedModel> = {};
  const sources = demoTestSentences().map((s) => s.de);
  const enc: Record<string, EncodedSource[]> = {};

  beforeAll(async () => {
    scratch();
    for (const name of ['toy-t5-large', 'toy-t5-small', 'toy-t5-tiny']) {
      models[name] = await loadModel(modelDir(name));
      enc[name] = [];
      for (const s of sources) enc[name]!.push(await models[name]!.runtime.encode(models[name]!.tokenizer.encode(s)));
    }
  });
  afterAll(async () => {
    for (const m of Object.values(models)) await m.runtime.release();
  });

  const pair = (small: string, i: number): PairSources => ({
    small: { model: models[small]!.runtime, src: enc[small]![i]! },
    large: { model: models['toy-t5-large']!.runtime, src: enc['toy-t5-large']![i]! },
  });
  const largeGreedy: number[][] = [];
  const largeGreedyIds = async (i: number): Promise<number[]> =>
    (largeGreedy[i] ??= (await greedyDecode(models['toy-t5-large']!.runtime, enc['toy-t5-large']![i]!)).ids);

  it('speculative decoding equals large-only greedy on all 500 demo test sentences', async () => {
    expect(sources).toHaveLength(500);
    for (let i = 0; i < sources.length; i++) {
      const greedy = await largeGreedyIds(i);
      const draft = [1, 4, 7][i % 3]!;
      const s = await speculativeDecode(pair(i % 2 ? 'toy-t5-tiny' : 'toy-t5-small', i), { draft });
      expect(s.ids, `sentence ${i}, draft ${draft}`).toEqual(greedy);
    }
  });

  it('FB = 1 reproduces large-only greedy exactly', async () => {
    for (const small of ['toy-t5-small', 'toy-t5-tiny'])
      for (let i = 0; i < 60; i++) {
        const b = await bildDecode(pair(small, i), { fallback: 1, rollback: 3 });
        // (a small token whose float32 max probability rounds to exactly 1 is still kept: p < FB is strict)
        expect(b.ids, `${small} sentence ${i}`).toEqual(await largeGreedyIds(i));
      }
  });

  it("FB = 0 with a huge RB is the small model's greedy output after the large model's first token", async () => {
    for (const small of ['toy-t5-small', 'toy-t5-tiny'])
      for (let i = 0; i < 60; i++) {
        // maxSmall beyond maxLength: the large model only writes the first token
        const b = await bildDecode(pair(small, i), { fallback: 0, rollback: 1e9, maxSmall: 1000 });
        const first = (await largeGreedyIds(i))[1]!;
        // the small model's greedy continuation of [start, first]
        const dec = models[small]!.runtime.newDecoder(enc[small]![i]!);
        const ids = [0, first];
        while (ids[ids.length - 1] !== 1 && ids.length < 128) {
          const r = await dec.extend(ids.slice(dec.fed));
          dec.commit();
          ids.push(r.next[r.next.length - 1]!);
        }
        expect(b.ids, `${small} sentence ${i}`).toEqual(ids);
        expect(b.largeCalls).toBe(1);
        expect(b.rollbacks + b.fallbacks).toBe(0);
      }
  });
});
