// BiLD against the reference loop run in PyTorch (test/fixtures/bild-reference*.jsonl).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bildDecode } from '../../src-main/engine/decoding/bild';
import { greedyDecode } from '../../src-main/engine/decoding/greedy';
import { loadModel, type LoadedModel } from '../../src-main/engine/model';
import type { EncodedSource } from '../../src-main/engine/runtime/t5-runtime';
import { scratch } from '../helpers/export';
import { demoTestSentences } from '../helpers/demo';
import { FIXTURES, modelDir } from '../helpers/paths';

interface RefRow {
  small?: string;
  model?: string;
  fb?: number;
  rb?: number;
  index: number;
  tokens?: number[];
  greedy_ids?: number[];
  large_calls: number;
  small_calls: number;
  fallbacks: number;
  rollbacks: number;
  rolled_back_tokens: number;
  small_tokens: number;
  large_tokens: number;
}

const readRows = (file: string): RefRow[] =>
  readFileSync(join(FIXTURES, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RefRow);

const SUMMED = ['large_calls', 'small_calls', 'fallbacks', 'rollbacks', 'rolled_back_tokens', 'small_tokens', 'large_tokens'] as const;

describe.each([
  { file: 'bild-reference.jsonl', smalls: ['toy-t5-small', 'toy-t5-small-aligned'], n: 120 },
  { file: 'bild-reference-tiny.jsonl', smalls: ['toy-t5-tiny'], n: 60 },
])('BiLD parity with $file', ({ file, smalls, n }) => {
  const models = new Map<string, LoadedModel>();
  const encoded = new Map<string, EncodedSource[]>();
  const rows = readRows(file);

  beforeAll(async () => {
    scratch();
    const sources = demoTestSentences(n).map((s) => s.de);
    for (const name of ['toy-t5-large', ...smalls]) {
      const m = await loadModel(modelDir(name));
      models.set(name, m);
      const enc: EncodedSource[] = [];
      for (const s of sources) enc.push(await m.runtime.encode(m.tokenizer.encode(s)));
      encoded.set(name, enc);
    }
  });
  afterAll(async () => {
    for (const m of models.values()) await m.runtime.release();
  });

  it('each model alone reproduces the reference greedy outputs', async () => {
    for (const row of rows.filter((r) => r.greedy_ids && models.has(r.model!))) {
      const m = models.get(row.model!)!;
      const g = await greedyDecode(m.runtime, encoded.get(row.model!)![row.index]!, { maxLength: 128 });
      // the reference rows come from a padded batch: cut after the first EOS
      const eos = row.greedy_ids!.indexOf(m.runtime.cfg.eosId);
      const want = eos > 0 ? row.greedy_ids!.slice(0, eos + 1) : row.greedy_ids!;
      expect(g.ids, `${row.model} sentence ${row.index}`).toEqual(want);
    }
  });

  for (const small of smalls)
    it(`${small}: identical tokens on ≥ 98% of sentences, summed counts within 2%`, async () => {
      const configs = [...new Set(rows.filter((r) => r.small === small).map((r) => `${r.fb}/${r.rb}`))];
      expect(configs.length).toBe(3);
      for (const cfg of configs) {
        const [fb, rb] = cfg.split('/').map(Number) as [number, number];
        const refs = rows.filter((r) => r.small === small && r.fb === fb && r.rb === rb);
        expect(refs).toHaveLength(n);
        let identical = 0;
        const ours = Object.fromEntries(SUMMED.map((k) => [k, 0])) as Record<(typeof SUMMED)[number], number>;
        const theirs = { ...ours };
        const differing: string[] = [];
        for (const ref of refs) {
          const out = await bildDecode(
            {
              small: { model: models.get(small)!.runtime, src: encoded.get(small)![ref.index]! },
              large: { model: models.get('toy-t5-large')!.runtime, src: encoded.get('toy-t5-large')![ref.index]! },
            },
            { fallback: fb, rollback: rb, maxSmall: 10, maxLength: 128 },
          );
          if (JSON.stringify(out.ids) === JSON.stringify(ref.tokens)) identical++;
          else differing.push(`#${ref.index}`);
          const mine = {
            large_calls: out.largeCalls,
            small_calls: out.smallCalls,
            fallbacks: out.fallbacks,
            rollbacks: out.rollbacks,
            rolled_back_tokens: out.rolledBackTokens,
            small_tokens: out.smallTokens,
            large_tokens: out.largeTokens,
          };
          for (const k of SUMMED) {
            ours[k] += mine[k];
            theirs[k] += ref[k];
          }
        }
        // Float differences between the reference GPU and this CPU can flip a decision sitting on a
        // threshold; the tolerance allows that, and the message lists any sentence that differs.
        expect(identical / n, `${small} FB ${fb} RB ${rb}: differing ${differing.join(' ')}`).toBeGreaterThanOrEqual(0.98);
        for (const k of ['fallbacks', 'rollbacks', 'large_calls'] as const)
          expect(Math.abs(ours[k] - theirs[k]), `${small} FB ${fb} RB ${rb} ${k}: ours ${ours[k]} reference ${theirs[k]}`).toBeLessThanOrEqual(
            Math.max(0.02 * theirs[k], 0),
          );
        console.log(`${small} FB ${fb} RB ${rb}: identical ${identical}/${n}`, JSON.stringify({ ours, theirs }));
      }
    });
});
