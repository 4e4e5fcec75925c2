import { pySplit } from './pytext';

// mteval-v14's international rules, with Unicode categories (sacreBLEU uses the `regex` module).
const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // Punctuation preceded by a non-digit.
  [/(\P{N})(\p{P})/gu, '$1 $2 '],
  // Punctuation followed by a non-digit.
  [/(\p{P})(\P{N})/gu, ' $1 $2'],
  // Every symbol.
  [/(\p{S})/gu, ' $1 '],
];

/**
 * sacreBLEU's `intl` tokenizer (TokenizerV14International). Like the original, a number followed
 * by a final period keeps the period attached, since the line is not padded.
 */
export function tokenizeIntl(line: string): string {
  let s = line;
  for (const [re, repl] of RULES) s = s.replace(re, repl);
  return pySplit(s).join(' ');
}
