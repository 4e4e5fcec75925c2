// The runner's pure parts: plans, grids, Pareto front, CSV, statistics.
import { describe, expect, it } from 'vitest';
import { parseNumberList } from '../../src-main/cli/commands/sweep';
import { csvField, parseCsv } from '../../src-main/engine/runner/csv';
import { paretoFront } from '../../src-main/engine/runner/pareto';
import { planRun, planSweep } from '../../src-main/engine/runner/plan';
import { latencyStats } from '../../src-main/engine/runner/summary';

const pair = { small: 'demo/small', large: 'demo/large' };

describe('plans', () => {
  it('a pair runs all four methods by default, one model runs alone', () => {
    expect(planRun({ models: pair, dataset: { name: 'demo' } }).variants.map((v) => v.id)).toEqual(['large', 'small', 'bild', 'speculative']);
    const one = planRun({ models: { large: 'x' }, dataset: { name: 'demo' } });
    expect(one.variants).toEqual([{ id: 'large', method: 'large', dtypes: { large: 'fp32' } }]);
    expect(planRun({ models: pair, dataset: { name: 'demo' }, bild: { fallback: 0.4 } }).variants[2]!.bild).toEqual({ fallback: 0.4, rollback: 5 });
  });

  it('sweeps default to the paper grids per task', () => {
    const tr = planSweep({ models: pair, dataset: { name: 'demo' } });
    expect(tr.variants).toHaveLength(2 + 5 * 10);
    expect(tr.variants[2]).toEqual({ id: 'bild@0.5/1', method: 'bild', bild: { fallback: 0.5, rollback: 1 }, dtypes: { small: 'fp32', large: 'fp32' } });
    const sum = planSweep({ models: pair, dataset: { name: 'xsum' }, includeSmall: false });
    expect(sum.task).toBe('summarization');
    expect(sum.variants.map((v) => v.id).slice(0, 3)).toEqual(['large', 'bild@0.2/2', 'bild@0.2/3']);
    expect(sum.variants).toHaveLength(1 + 25);
  });

  it('refuses bad values with messages naming them', () => {
    expect(() => planRun({ models: pair, dataset: { name: 'demo' }, methods: [] })).toThrow(/at least one/);
    expect(() => planRun({ models: pair, dataset: { name: 'demo' }, bild: { rollback: -1 } })).toThrow(/bild_rollback/);
    expect(() => planRun({ models: pair, dataset: { name: 'demo', limit: 1.5 } })).toThrow(/limit/);
    expect(() => planSweep({ models: pair, dataset: { name: 'demo' }, rollbacks: [2, 2] })).toThrow(/twice/);
    expect(() => planRun({ models: pair, dataset: { name: '/no/such/file.jsonl', files: ['/no/such/file.jsonl'] } })).toThrow(/does not exist/);
  });
});

describe('sweep helpers', () => {
  it('parses lists and inclusive ranges', () => {
    expect(parseNumberList('f', '0.5:0.9:0.1')).toEqual([0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(parseNumberList('r', '1,3.5')).toEqual([1, 3.5]);
    expect(() => parseNumberList('r', '1,x')).toThrow(/--r: 'x' is not a number/);
  });

  it('finds the non-dominated points', () => {
    const pts = [
      { quality: 30, speedup: 1 },
      { quality: 29, speedup: 1.5 },
      { quality: 28, speedup: 1.4 }, // dominated by the previous one
      { quality: 30, speedup: 0.9 }, // dominated by the first
      { quality: 20, speedup: 3 },
    ];
    expect(paretoFront(pts)).toEqual([true, true, false, false, true]);
  });
});

describe('CSV and statistics', () => {
  it('quotes what needs quoting and parses it back', () => {
    const row = ['a,b', 'say "hi"', 'two\nlines', 'plain'].map(csvField).join(',');
    expect(parseCsv(row + '\n')).toEqual([['a,b', 'say "hi"', 'two\nlines', 'plain']]);
    expect(csvField(null)).toBe('');
    expect(csvField(1.23456789)).toBe('1.2346');
  });

  it('latency percentiles interpolate as numpy', () => {
    const s = latencyStats([1, 2, 3, 4, 10]);
    expect([s.mean, s.median]).toEqual([4, 3]);
    expect(s.p90).toBeCloseTo(7.6, 12);
    expect(s.p99).toBeCloseTo(9.76, 12);
  });
});
