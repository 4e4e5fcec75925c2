import { describe, expect, it } from 'vitest';
import { bootstrap, percentile, scoreRouge, seededRandom, splitSentences } from '../../src-main/engine/metrics';

describe('sentence splitter for ROUGE-Lsum', () => {
  it('splits at terminal punctuation before a capital, digit or quote', () => {
    expect(splitSentences('The cat sat. The dog ran! Did it? "Yes," he said. 42 came.')).toEqual([
      'The cat sat.',
      'The dog ran!',
      'Did it?',
      '"Yes," he said.',
      '42 came.',
    ]);
  });

  it('keeps abbreviations, initials, decimals and lowercase continuations together', () => {
    expect(splitSentences('Mr. Smith met Dr. Jones at 3.5 p.m. today. J. R. R. Tolkien wrote e.g. books. next')).toEqual([
      'Mr. Smith met Dr. Jones at 3.5 p.m. today.',
      'J. R. R. Tolkien wrote e.g. books. next',
    ]);
  });

  it('splits at line breaks and closing quotes, dropping empty pieces', () => {
    expect(splitSentences('He left." Then\n\n  she came.  ')).toEqual(['He left."', 'Then', 'she came.']);
    expect(splitSentences('')).toEqual([]);
  });

  it('splitSummaries changes rougeLsum only', () => {
    const t = 'alpha beta gamma delta';
    const p = 'Gamma delta. Alpha beta.';
    const plain = scoreRouge(t, p, { types: ['rougeL', 'rougeLsum'] });
    const split = scoreRouge(t, p, { types: ['rougeL', 'rougeLsum'], splitSummaries: true });
    expect(split.rougeL).toEqual(plain.rougeL);
    // One sentence: the LCS is 'gamma delta' (or 'alpha beta'); two sentences: the union covers all four.
    expect(plain.rougeLsum!.recall).toBe(0.5);
    expect(split.rougeLsum!.recall).toBe(1);
  });
});

describe('bootstrap helpers', () => {
  it('seeded generator is deterministic and in [0, 1)', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it('percentile interpolates linearly like numpy', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 25)).toBe(1.75);
    expect(percentile([5], 97.5)).toBe(5);
  });

  it('a constant statistic has a zero-width interval', () => {
    expect(bootstrap(5, () => [3], { samples: 50, seed: 1 })).toEqual([{ low: 3, mid: 3, high: 3 }]);
  });
});
