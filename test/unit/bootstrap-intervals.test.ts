// The run's uncertainty: paired bootstrap intervals against an independent numpy computation on
// the same resamples (scripts/gen-bootstrap-fixture.py), the identical-decoding mark, the Pareto
// front's support rule and the CLI table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VariantOutput, VariantSummary } from '../../src-main/engine/api';
import { summaryTable } from '../../src-main/cli/commands/run';
import type { SentenceOutput } from '../../src-main/engine/decoding/generate';
import { bleuFromStats } from '../../src-main/engine/metrics';
import { intervalsAt, pairedIntervals, type VariantSeries } from '../../src-main/engine/runner/intervals';
import { distinguishable } from '../../src-main/engine/runner/pareto';
import { repeated } from '../../src-main/engine/runner/repeats';
import { sameOutputsAs } from '../../src-main/engine/runner/same-outputs';
import { ROOT } from '../helpers/paths';

interface Reference {
  confidence: number;
  stats: number[][];
  scores: number[];
  ms: number[];
  largeMs: number[];
  indices: number[][];
  corpusBleu: number;
  bleuCI: [number, number];
  meanCI: [number, number];
  speedupCI: [number, number];
  zeroFourGramResamples: number;
}
const ref = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'bootstrap-reference.json'), 'utf8')) as Reference;
const ms = Float64Array.from(ref.ms);
const largeMs = Float64Array.from(ref.largeMs);
const bleu: VariantSeries = { quality: { kind: 'bleu', stats: Float64Array.from(ref.stats.flat()) }, ms };
const rouge: VariantSeries = { quality: { kind: 'mean', values: Float64Array.from(ref.scores) }, ms };

function close(actual: readonly number[] | null, expected: readonly number[]): void {
  expect(actual).not.toBeNull();
  actual!.forEach((x, i) => expect(Math.abs(x - expected[i]!)).toBeLessThan(1e-9));
}

describe('paired bootstrap intervals (test/fixtures/bootstrap-reference.json, numpy)', () => {
  it('corpus BLEU from resampled sufficient statistics, the mean and the speedup match on the same resamples', () => {
    expect(ref.zeroFourGramResamples).toBeGreaterThan(0); // exp smoothing is exercised
    expect(Math.abs(bleuFromStats(ref.stats, 1).score - ref.corpusBleu)).toBeLessThan(1e-9);
    const [b, r] = intervalsAt([bleu, rouge], largeMs, ref.indices, ref.confidence);
    close(b!.quality, ref.bleuCI);
    close(r!.quality, ref.meanCI);
    close(b!.speedup, ref.speedupCI);
    close(r!.speedup, ref.speedupCI); // paired: the same resamples for every variant
    expect(intervalsAt([bleu], null, ref.indices, ref.confidence)[0]!.speedup).toBeNull();
  });

  it('is seeded: the same intervals every time, around the point estimate', () => {
    const a = pairedIntervals([bleu], largeMs, ref.ms.length);
    expect(pairedIntervals([bleu], largeMs, ref.ms.length)).toEqual(a);
    const [lo, hi] = a[0]!.quality;
    expect(lo).toBeLessThan(ref.corpusBleu);
    expect(hi).toBeGreaterThan(ref.corpusBleu);
    expect(a[0]!.quality).not.toEqual(ref.bleuCI); // its own resamples, not the fixture's
  });
});

const out = (text: string, rollbacks = 0): VariantOutput => ({
  variant: '',
  method: 'bild',
  text,
  tokens: 3,
  smallTokens: 2,
  largeTokens: 1,
  smallCalls: 3,
  largeCalls: 1,
  fallbacks: 1,
  rollbacks,
  rolledBackTokens: rollbacks,
  acceptedLength: 3,
  encoderMs: 1,
  decodeMs: 5,
  totalMs: 7,
  metric: 0,
  identicalToLarge: null,
});

describe('cells with the same decoding', () => {
  it('points each to the first variant that decoded every sentence the same way', () => {
    const ids = ['a', 'b', 'c', 'd'].map((id) => ({ id, method: 'bild' as const }));
    const outputs = [
      [out('x'), out('y')],
      [out('x'), out('y', 1)], // same text, one more rollback: other work
      [out('x'), out('y')],
      [out('x'), out('z')],
    ];
    expect(sameOutputsAs(ids, outputs)).toEqual([null, null, 'a', null]);
  });
});

describe('Pareto front support', () => {
  const pt = (quality: number, speedup: number, q: [number, number], s: [number, number]) => ({ quality, speedup, qualityCI: q, speedupCI: s });
  it('needs non-overlapping intervals on the axis each front point wins on', () => {
    const slow = pt(30, 1, [29, 31], [0.95, 1.05]);
    const fast = pt(25, 2, [24, 26], [1.9, 2.1]);
    const near = pt(29.5, 1.1, [28.5, 30.5], [1.0, 1.2]); // better speed than slow, within its intervals
    expect(distinguishable(slow, [slow, fast])).toBe(true);
    expect(distinguishable(fast, [slow, fast])).toBe(true);
    expect(distinguishable(slow, [slow, fast, near])).toBe(false); // near is faster, slow's quality not above
    expect(distinguishable(near, [slow, fast, near])).toBe(false); // slow is better, near's speed not above
    expect(distinguishable({ quality: 30, speedup: 1 }, [{ quality: 30, speedup: 1 }, { quality: 20, speedup: 2 }])).toBe(false); // no intervals
  });
});

describe('CLI table', () => {
  it('shows each quality and speedup with its interval and says what they are', () => {
    const row = {
      variant: 'bild',
      quality: { primary: 27.3, primaryName: 'BLEU' },
      latencyMs: { mean: 10, median: 9, p90: 12, p99: 13 },
      tokensPerSecond: 100,
      speedup: 1.5,
      fallbackPct: 5,
      rollbackPct: 1,
      meanAcceptedLength: 3,
      identicalToLarge: 0.5,
      qualityCI: [26.1, 28.4],
      speedupCI: [1.4, 1.62],
      bootstrap: { method: 'paired-percentile', resamples: 1000, seed: 12345, confidence: 0.95 },
    } as unknown as VariantSummary;
    const table = summaryTable([row]);
    expect(table).toMatch(/^VARIANT\s+BLEU\s+MS MEAN/);
    expect(table).toContain('27.30 [26.10, 28.40]');
    expect(table).toContain('1.50x [1.40, 1.62]');
    expect(table.split('\n').at(-1)).toBe('[low, high]: 95% bootstrap intervals, paired over sentences (1000 resamples, seed 12345)');
    const old = summaryTable([{ ...row, qualityCI: undefined, speedupCI: undefined, bootstrap: undefined }]); // recorded before intervals
    expect(old.split('\n')).toHaveLength(2);
    expect(old).toContain(' 27.30 ');
  });
});

describe('--repeats', () => {
  const decoding = (ids: number[], totalMs: number): SentenceOutput =>
    ({ ...out('x'), ids, sourceTruncated: false, encoderMs: totalMs / 10, decodeMs: totalMs / 2, totalMs }) as unknown as SentenceOutput;
  const sequence = (...runs: SentenceOutput[]) => {
    let i = 0;
    return () => Promise.resolve(runs[i++]!);
  };

  it('keeps the first decoding with the median timings', async () => {
    const r = await repeated(3, 'bild on sentence 0', sequence(decoding([0, 5, 1], 30), decoding([0, 5, 1], 10), decoding([0, 5, 1], 90)));
    expect([r.totalMs, r.decodeMs, r.encoderMs]).toEqual([30, 15, 3]);
    expect(r.ids).toEqual([0, 5, 1]);
    expect((await repeated(1, 'x', sequence(decoding([0], 7)))).totalMs).toBe(7);
  });

  it('refuses repeats that decode other tokens', async () => {
    await expect(repeated(2, 'bild on sentence 4', sequence(decoding([0, 5, 1], 30), decoding([0, 6, 1], 30)))).rejects.toThrow(
      /repeat 2 of bild on sentence 4 decoded other tokens than the first/,
    );
  });
});
