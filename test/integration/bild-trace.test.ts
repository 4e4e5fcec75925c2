// The per-token trace (decoding/trace.ts) of sequential and pipelined BiLD and of speculative
// decoding, on the configurations of the reference parity (test/fixtures/bild-reference-tiny.jsonl):
// it replays to the output and the counts, its probabilities and cross-entropies sit on the right
// side of FB and RB, and the two BiLD loops record the same trace.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type SentenceOutput } from '../../src-main/engine/decoding/generate';
import type { DecodeTrace } from '../../src-main/engine/decoding/trace';
import { loadModel, type LoadedModel } from '../../src-main/engine/model';
import { demoTestSentences } from '../helpers/demo';
import { scratch } from '../helpers/export';
import { FIXTURES, modelDir } from '../helpers/paths';

const N = 60; // the fixture's sentences
const CONFIGS = [
  ...new Set(
    readFileSync(join(FIXTURES, 'bild-reference-tiny.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { fb?: number; rb?: number })
      .filter((r) => r.fb !== undefined)
      .map((r) => `${r.fb}/${r.rb}`),
  ),
].map((c) => c.split('/').map(Number) as [number, number]);

const count = (s: string, letters: string): number => [...s].filter((c) => letters.includes(c)).length;

/** Checks that `o.trace` replays to the output ids and to every count. */
function replay(o: SentenceOutput, startId: number): DecodeTrace {
  const t = o.trace!;
  expect(t, `${o.method}: no trace`).toBeDefined();
  const n = t.tokens.length;
  expect([t.origin.length, t.smallProb.length, t.largeCE.length]).toEqual([n, n, n]);
  expect([startId, ...t.tokens]).toEqual(o.ids);
  // each rollback's replacement stands where its span began; a later rollback lies further on
  let after = -1;
  for (const r of t.rollbacks) {
    expect(r.position).toBeGreaterThan(after);
    expect([t.tokens[r.position], t.origin[r.position]]).toEqual([r.replacement, 'R']);
    after = r.position;
  }
  expect({
    smallTokens: count(t.origin, 'S'),
    largeTokens: n - count(t.origin, 'S'),
    fallbacks: count(t.origin, 'F') + t.rollbacks.filter((r) => r.trigger === 'F').length,
    rollbacks: t.rollbacks.length,
    rolledBackTokens: t.rollbacks.reduce((a, r) => a + r.removed.length, 0),
  }).toEqual({ smallTokens: o.smallTokens, largeTokens: o.largeTokens, fallbacks: o.fallbacks, rollbacks: o.rollbacks, rolledBackTokens: o.rolledBackTokens });
  return t;
}

/** The thresholds, compared as the engine compares them: its float32 values. */
function checkThresholds(t: DecodeTrace, fb: number, rb: number): void {
  for (const [i, o] of [...t.origin].entries()) {
    const p = t.smallProb[i]!;
    if (o === 'S') expect(Math.fround(p), `token ${i}`).toBeGreaterThanOrEqual(fb);
    else if (o === 'F') expect(Math.fround(p), `token ${i}`).toBeLessThan(fb);
    else expect(p, `token ${i}`).toBeNull();
    if (o === 'R') expect(Math.fround(t.largeCE[i]!), `token ${i}`).toBeGreaterThan(rb);
    else if (o !== 'S') expect(t.largeCE[i]).toBeNull();
  }
  for (const r of t.rollbacks) {
    expect(r.removed.length).toBeGreaterThan(0);
    if (r.trigger === 'F') expect(Math.fround(r.triggerProb!)).toBeLessThan(fb);
    else expect(r.triggerProb).toBeNull();
  }
}

/**
 * The same decisions, with the same numbers up to float32 rounding: the two loops run the models
 * over different chunks of tokens, which moves the last bits of a row's values.
 */
function expectSameTrace(pipe: DecodeTrace, seq: DecodeTrace, what: string): void {
  const decisions = (t: DecodeTrace) => ({
    ...t,
    smallProb: t.smallProb.map((v) => v === null),
    largeCE: t.largeCE.map((v) => v === null),
    rollbacks: t.rollbacks.map((r) => ({ ...r, triggerProb: r.triggerProb === null })),
  });
  expect(decisions(pipe), what).toEqual(decisions(seq));
  const numbers = (t: DecodeTrace) => [...t.smallProb, ...t.largeCE, ...t.rollbacks.map((r) => r.triggerProb)].filter((v) => v !== null);
  const theirs = numbers(seq);
  for (const [i, v] of numbers(pipe).entries()) expect(Math.abs(v - theirs[i]!), what).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v)));
}

describe('per-token trace on toy-t5-tiny / toy-t5-large', () => {
  const models: Record<string, LoadedModel> = {};
  const sources = demoTestSentences(N).map((s) => s.de);
  const pair = () => ({ small: models['toy-t5-tiny']!, large: models['toy-t5-large']! });
  const startId = () => models['toy-t5-large']!.runtime.cfg.decoderStartId;

  beforeAll(async () => {
    scratch();
    for (const name of ['toy-t5-large', 'toy-t5-tiny']) models[name] = await loadModel(modelDir(name));
  });
  afterAll(async () => {
    for (const m of Object.values(models)) await m.runtime.release();
  });

  it('covers the fixture\'s three configurations', () => expect(CONFIGS).toHaveLength(3));

  it.each(CONFIGS)('BiLD FB %s RB %s: sequential and pipelined traces replay, respect the thresholds and agree', async (fb, rb) => {
    const seen = { S: 0, F: 0, M: 0, R: 0, L: 0, verified: 0 };
    for (const [i, s] of sources.entries()) {
      const seq = await generate('bild', pair(), s, { bild: { fallback: fb, rollback: rb } });
      const pipe = await generate('bild', pair(), s, { bild: { fallback: fb, rollback: rb }, pipeline: true });
      const t = replay(seq, startId());
      checkThresholds(t, fb, rb);
      checkThresholds(replay(pipe, startId()), fb, rb);
      expectSameTrace(pipe.trace!, t, `sentence ${i}`);
      for (const o of t.origin) seen[o as keyof typeof seen]++;
      seen.verified += t.largeCE.filter((ce, j) => ce !== null && t.origin[j] === 'S').length;
    }
    // every kind of decision occurs on these sentences, so every check above was exercised
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0);
  });

  it('speculative decoding: accepted drafts and the large model\'s tokens', async () => {
    let bonus = 0;
    for (const s of sources) {
      const o = await generate('speculative', pair(), s, { draft: 4 });
      const t = replay(o, startId());
      expect(t.origin).toMatch(/^[SB]*$/);
      expect(t.rollbacks).toEqual([]);
      for (const [i, c] of [...t.origin].entries()) {
        // every accepted draft was verified: the large model's greedy token, so its cross-entropy is small
        if (c === 'S') expect([t.smallProb[i], t.largeCE[i]].every((v) => typeof v === 'number' && v >= 0)).toBe(true);
        else expect([t.smallProb[i], t.largeCE[i]]).toEqual([null, null]);
      }
      bonus += count(t.origin, 'B');
    }
    expect(bonus).toBeGreaterThan(0);
  });
});
