import { UserError } from '../errors';
import { codePoints } from './pytext';
import { tokenize13a } from './tokenizer-13a';
import { tokenizeIntl } from './tokenizer-intl';

/** BLEU tokenizers ported from sacreBLEU (`char` is there for its published test vectors). */
export const BLEU_TOKENIZERS = ['13a', 'intl', 'none', 'char'] as const;
export type BleuTokenizerName = (typeof BLEU_TOKENIZERS)[number];

export type Tokenizer = (line: string) => string;

const TOKENIZERS: Record<BleuTokenizerName, Tokenizer> = {
  '13a': tokenize13a,
  intl: tokenizeIntl,
  none: (line) => line,
  char: (line) => codePoints(line).join(' '),
};

export function isBleuTokenizer(name: string): name is BleuTokenizerName {
  return (BLEU_TOKENIZERS as readonly string[]).includes(name);
}

export function getTokenizer(name: string): Tokenizer {
  if (!isBleuTokenizer(name)) {
    throw new UserError(`unknown tokenizer '${name}' (expected one of ${BLEU_TOKENIZERS.join(', ')})`);
  }
  return TOKENIZERS[name];
}
