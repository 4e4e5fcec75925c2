/**
 * Makes a loaded @huggingface/transformers tokenizer follow SentencePiece exactly where its
 * JavaScript port approximates:
 * - its `Precompiled` normalizer ignores the charsmap (NFKC plus a fixed list of character
 *   rewrites, e.g. it turns U+200D into a space where nmt_nfkc keeps it); we install the real map;
 * - its Unigram lattice sums scores in float64; spm sums in float32 (optional, see SpmUnigram).
 * transformers.js does not expose these objects in its types, so this reaches into its runtime
 * shape (`_tokenizer.normalizer`, `_tokenizer.model.tokenize`) and reports what it could patch.
 */
import type { PrecompiledCharsmap } from './spm-charsmap';
import type { SpmUnigram } from './spm-unigram';

interface NormalizerLike {
  config?: { type?: string };
  normalizers?: unknown[];
  normalize?: (text: string) => string;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null || typeof x === 'function';
}

function patchNormalizer(node: unknown, charsmap: PrecompiledCharsmap): boolean {
  if (!isObject(node)) return false;
  const n = node as NormalizerLike;
  if (n.config?.type === 'Precompiled' && typeof n.normalize === 'function') {
    n.normalize = (text: string) => charsmap.apply(text);
    return true;
  }
  if (n.config?.type === 'Sequence' && Array.isArray(n.normalizers)) {
    let any = false;
    for (const child of n.normalizers) any = patchNormalizer(child, charsmap) || any;
    return any;
  }
  return false;
}

export interface SpmPatchResult {
  charsmap: boolean;
  unigram: boolean;
}

/** `hf` is a PreTrainedTokenizer; typed loosely because the patched fields are internal. */
export function patchForSpm(
  hf: object,
  charsmap: PrecompiledCharsmap | undefined,
  unigram: SpmUnigram | undefined,
): SpmPatchResult {
  const inner = (hf as { _tokenizer?: unknown })._tokenizer;
  const result: SpmPatchResult = { charsmap: false, unigram: false };
  if (!isObject(inner)) return result;
  if (charsmap) result.charsmap = patchNormalizer(inner.normalizer, charsmap);
  const model = inner.model;
  if (unigram && isObject(model) && typeof model.tokenize === 'function') {
    model.tokenize = (text: string): string[] => unigram.tokenize(text);
    result.unigram = true;
  }
  return result;
}
