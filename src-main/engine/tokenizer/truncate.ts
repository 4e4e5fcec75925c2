/**
 * Source truncation as HF's tokenizers do it with truncation=True, max_length=N: the first
 * N − (special tokens) tokens of the text, then the template's special tokens (T5: </s>).
 *
 * A long source is cut before tokenizing: transformers.js spends ~10 µs per character and
 * overflows its stack on a few hundred thousand words. The cut falls on a space, where the
 * Metaspace pre-tokenizer of T5/mT5 splits anyway, so every word before it is tokenized exactly
 * as in the whole text; the window is 16 characters per kept token (T5 averages about 4) and
 * doubles when the cut text still has too few tokens. Only a first word longer than the window
 * (no space in it) is cut inside that word, far past the tokens kept.
 */

/** Whether a tokenizer.json pre-tokenizer splits at spaces (Metaspace with split, WhitespaceSplit, or a Sequence with one). */
export function preTokenizerSplitsAtSpaces(node: unknown): boolean {
  if (!node || typeof node !== 'object') return false;
  const n = node as { type?: unknown; split?: unknown; pretokenizers?: unknown };
  if (n.type === 'Metaspace') return n.split !== false;
  if (n.type === 'WhitespaceSplit' || n.type === 'Whitespace') return true;
  return n.type === 'Sequence' && Array.isArray(n.pretokenizers) && n.pretokenizers.some(preTokenizerSplitsAtSpaces);
}

export interface TruncatedIds {
  ids: number[];
  /** The source had more than `maxTokens` tokens. */
  truncated: boolean;
}

const CHARS_PER_TOKEN = 16;

export interface TruncationTokenizer {
  /** Token ids with the template's special tokens (T5: a final </s>). */
  encode(text: string): number[];
  /** What the template adds to any text, at its end: encode('') for T5. */
  readonly suffix: readonly number[];
  /** The pre-tokenizer splits at spaces (T5/mT5's Metaspace): cutting at a space changes no earlier token. */
  readonly splitsAtSpaces: boolean;
}

/** The text up to the last space at or before `end`, or to `end` when the window holds no space. */
function cutAtSpace(text: string, end: number): string {
  const space = text.lastIndexOf(' ', end);
  return text.slice(0, space > 0 ? space : end);
}

export function encodeTruncated(tok: TruncationTokenizer, text: string, maxTokens: number): TruncatedIds {
  const keep = Math.max(0, maxTokens - tok.suffix.length);
  for (let window = Math.max(1, maxTokens) * CHARS_PER_TOKEN; ; window *= 2) {
    const whole = !tok.splitsAtSpaces || text.length <= window;
    const ids = tok.encode(whole ? text : cutAtSpace(text, window));
    const content = ids.length - tok.suffix.length;
    if (content <= keep && whole) return { ids, truncated: false };
    if (content > keep) return { ids: [...ids.slice(0, keep), ...tok.suffix], truncated: true };
    // the cut text had too few tokens (long pieces, or characters the normalizer drops): widen
  }
}
