import { porterStem } from './porter';

/**
 * rouge_score's default tokenizer (rouge/tokenize.py): lowercase, keep runs of [a-z0-9] (all
 * other characters, non-ASCII letters included, separate tokens), and with stemming apply
 * NLTK's Porter stemmer to tokens longer than 3 characters.
 */
export function rougeTokenize(text: string, useStemmer = false): string[] {
  const tokens = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return useStemmer ? tokens.map((t) => (t.length > 3 ? porterStem(t) : t)) : tokens;
}
