/**
 * A rule-based sentence splitter for ROUGE-Lsum on text that is not already one sentence per line.
 * The paper's pipeline used NLTK's Punkt (nltk.sent_tokenize), a trained model that is not ported;
 * these rules agree with it on ordinary prose: a sentence ends at . ! or ? (plus closing quotes or
 * brackets) followed by whitespace and then an uppercase letter, digit or opening quote/bracket,
 * except after common abbreviations and single-letter initials. Existing line breaks also split.
 */

// Lowercased, without the final period; a period after these does not end a sentence.
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'ft', 'gen', 'col', 'lt', 'sgt', 'capt', 'gov',
  'sen', 'rep', 'rev', 'hon', 'pres', 'vs', 'etc', 'e.g', 'i.e', 'cf', 'al', 'approx', 'no', 'nos', 'vol',
  'fig', 'figs', 'p', 'pp', 'ed', 'eds', 'inc', 'ltd', 'co', 'corp', 'dept', 'univ', 'jan', 'feb', 'mar',
  'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'u.s', 'u.k', 'u.n', 'a.m', 'p.m',
]);

// A terminator run, optional closers, whitespace, then what may start a sentence.
const BOUNDARY = /([.!?]+)(["'”’)\]]*)(\s+)(?=["'“‘(\[]?[\p{Lu}\p{N}])/gu;

function endsWithAbbreviation(before: string): boolean {
  const word = /(\S+)$/u.exec(before)?.[1];
  if (word === undefined) return false;
  const bare = word.replace(/^["'“‘(\[]+/u, '').toLowerCase();
  // Single letters are initials ("J. Smith").
  return ABBREVIATIONS.has(bare) || /^\p{L}$/u.test(bare);
}

/** Splits text into trimmed, non-empty sentences. */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    let start = 0;
    for (const m of line.matchAll(BOUNDARY)) {
      const end = m.index + m[1]!.length + m[2]!.length;
      if (m[1] === '.' && endsWithAbbreviation(line.slice(start, m.index))) continue;
      out.push(line.slice(start, end));
      start = end + m[3]!.length;
    }
    out.push(line.slice(start));
  }
  return out.map((s) => s.trim()).filter((s) => s !== '');
}
