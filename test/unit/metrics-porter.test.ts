import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { porterStem } from '../../src-main/engine/metrics';

// test/fixtures/porter-table.tsv is NLTK 3.8's PorterStemmer() output, written by
// scripts/gen-porter-table.py with Debian's python3-nltk.
const rows = readFileSync(new URL('../fixtures/porter-table.tsv', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => l.split('\t') as [string, string]);

describe('Porter stemmer = NLTK PorterStemmer (NLTK_EXTENSIONS)', () => {
  it('the table is large and varied', () => {
    expect(rows.length).toBeGreaterThanOrEqual(2000);
    expect(rows.filter(([w, s]) => w !== s).length).toBeGreaterThan(1000);
  });

  it('matches every word of the committed NLTK table', () => {
    const wrong = rows.filter(([w, s]) => porterStem(w) !== s).map(([w, s]) => `${w}: nltk ${s}, ours ${porterStem(w)}`);
    expect(wrong).toEqual([]);
  });

  it('NLTK extensions and the paper examples', () => {
    const cases: Record<string, string> = {
      caresses: 'caress', ponies: 'poni', dies: 'die', flies: 'fli', died: 'die', spied: 'spi',
      skies: 'sky', dying: 'die', news: 'news', happy: 'happi', enjoy: 'enjoy', generalizations: 'gener',
      radically: 'radic', archaeology: 'archaeolog', geology: 'geolog', controll: 'control', is: 'is',
    };
    for (const [w, s] of Object.entries(cases)) expect(porterStem(w), w).toBe(s);
  });
});
