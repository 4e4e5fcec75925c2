// Source truncation equals HF's truncation=True (tokenize the whole text, keep max_length − 1
// tokens and the final </s>), although long texts are cut before tokenizing.
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src-main/engine/tokenizer/load-tokenizer';
import { encodeTruncated } from '../../src-main/engine/tokenizer/truncate';
import { modelDir } from '../helpers/paths';

const words = 'Das kleine Buch sieht die jungen Vögel und eine Tür, während 48 Straßen verkauft wurden.'.split(' ');
const text = (n: number, sep = ' '): string => Array.from({ length: n }, (_, i) => words[i % words.length]).join(sep);

describe('source truncation', () => {
  it('keeps the first max − 1 tokens and </s>, exactly as tokenizing the whole text', async () => {
    const tok = await loadTokenizer(modelDir('toy-t5-small'));
    const cases = [
      text(3000), // cut at a space, one pass
      text(300, '  \t '), // whitespace runs the normalizer collapses
      text(4000, ' \u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b'), // zero-width characters between words
      'Vögel'.repeat(3000), // no space at all
    ];
    for (const max of [1, 7, 64]) {
      for (const source of cases) {
        const whole = tok.encode(source);
        expect(whole.length).toBeGreaterThan(max);
        expect(tok.encodeSource(source, max), `${max} tokens of ${JSON.stringify(source.slice(0, 30))}`).toEqual({
          ids: [...whole.slice(0, max - 1), tok.eosId],
          truncated: true,
        });
      }
    }
    const short = 'Ihr Buch zeichnet die Vögel.';
    expect(tok.encodeSource(short, 64)).toEqual({ ids: tok.encode(short), truncated: false });
    expect(tok.encodeSource(short, tok.encode(short).length)).toEqual({ ids: tok.encode(short), truncated: false });
  });

  it('widens the cut while it holds too few tokens, and tokenizes whole texts a pre-tokenizer does not split at spaces', () => {
    // one token per word, '-' words dropped (as a normalizer drops control characters), </s> = 1
    const calls: number[] = [];
    const encode = (t: string): number[] => {
      calls.push(t.length);
      return [...t.split(' ').filter((w) => w && w !== '-').map((w) => w.length + 1), 1];
    };
    const source = '- '.repeat(5000) + text(100);
    const expected = { ids: [...encode(source).slice(0, 9), 1], truncated: true };
    calls.length = 0;
    expect(encodeTruncated({ encode, suffix: [1], splitsAtSpaces: true }, source, 10)).toEqual(expected);
    expect(calls.length).toBeGreaterThan(1); // widened from 160 characters
    expect(Math.max(...calls)).toBeLessThan(source.length);
    calls.length = 0;
    expect(encodeTruncated({ encode, suffix: [1], splitsAtSpaces: false }, source, 10)).toEqual(expected);
    expect(calls).toEqual([source.length]);
  });
});
