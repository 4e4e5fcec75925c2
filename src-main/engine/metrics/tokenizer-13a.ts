import { pySplit } from './pytext';

// mteval-v13a's language-dependent rules, as sacreBLEU's TokenizerRegexp applies them in order.
const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // ASCII symbols and most punctuation become separate tokens (period, comma and dash excepted).
  [/([{-~\[-` -&(-+:-@\/])/gu, ' $1 '],
  // Period and comma split off unless they sit between digits (3.5, 1,000).
  [/([^0-9])([.,])/gu, '$1 $2 '],
  [/([.,])([^0-9])/gu, ' $1 $2'],
  // A dash after a digit is split off (ranges such as 1990-2000).
  [/([0-9])(-)/gu, '$1 $2 '],
];

/** The regexp stage shared by 13a (and sacreBLEU's zh): rules, then single spaces, no edges. */
export function tokenizeRegexp(line: string): string {
  let s = line;
  for (const [re, repl] of RULES) s = s.replace(re, repl);
  return pySplit(s).join(' ');
}

/** sacreBLEU's `13a` tokenizer (mteval-v13a.pl): unescapes a few XML entities, then tokenizeRegexp. */
export function tokenize13a(line: string): string {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) {
    s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  // The padding lets the period/comma rules see a boundary at both ends of the line.
  return tokenizeRegexp(` ${s} `);
}
