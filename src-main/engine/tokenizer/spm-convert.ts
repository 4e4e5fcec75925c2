/**
 * SentencePiece Unigram model (`spiece.model`) → HuggingFace `tokenizer.json`, following the
 * design of transformers' SpmConverter/T5Converter (not its code): the Unigram pieces and scores,
 * the precompiled charsmap as a `Precompiled` normalizer, spm's whitespace rules as Strip/Replace,
 * a Metaspace pre-tokenizer and decoder, `</s>` appended by a TemplateProcessing post-processor,
 * and T5's `<extra_id_N>` sentinels after the spm pieces.
 */
import { UserError } from '../errors';
import { PieceType, type SpmModel } from './spm-proto';

const SPACE_SYMBOL = '\u2581';

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The part of the tokenizer.json schema this converter writes. Other fields are opaque objects. */
export interface TokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: Record<string, unknown> | null;
  pre_tokenizer: Record<string, unknown> | null;
  post_processor: Record<string, unknown> | null;
  decoder: Record<string, unknown> | null;
  model: { type: 'Unigram'; unk_id: number; vocab: [string, number][]; byte_fallback: boolean };
}

export interface SpmConvertOptions {
  /** Number of T5 sentinel tokens `<extra_id_0..N-1>` appended after the pieces (T5/mT5: 100). */
  extraIds?: number;
  /** Name used in error messages. */
  source?: string;
}

export interface ConvertedSpm {
  tokenizer: TokenizerJson;
  /** Special token strings for tokenizer_config.json. */
  special: { eos?: string; pad?: string; unk: string };
}

function added(id: number, content: string, special: boolean): AddedTokenJson {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special };
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function convertSpmModel(model: SpmModel, opts: SpmConvertOptions = {}): ConvertedSpm {
  const src = opts.source ?? 'spiece.model';
  const { trainer, normalizer: ns, pieces } = model;
  if (trainer.modelType !== 1) {
    const kind = ['', 'Unigram', 'BPE', 'word', 'char'][trainer.modelType] ?? `type ${trainer.modelType}`;
    throw new UserError(`${src}: a ${kind} SentencePiece model; only Unigram models can be converted`);
  }
  if (!ns.escapeWhitespaces || trainer.treatWhitespaceAsSuffix) {
    throw new UserError(`${src}: escape_whitespaces=false or treat_whitespace_as_suffix=true is not supported`);
  }
  if (pieces.length === 0) throw new UserError(`${src}: the model has no pieces`);
  const pieceAt = (id: number, what: string): string | undefined => {
    if (id < 0) return undefined;
    const p = pieces[id];
    if (!p) throw new UserError(`${src}: ${what} id ${id} is outside the vocabulary (${pieces.length} pieces)`);
    return p.piece;
  };
  const unk = pieceAt(trainer.unkId, 'unk');
  if (unk === undefined) throw new UserError(`${src}: the model has no unk piece`);
  const eos = pieceAt(trainer.eosId, 'eos');
  const pad = pieceAt(trainer.padId, 'pad');

  const vocab: [string, number][] = pieces.map((p) => [p.piece, p.score]);
  // Control and unknown pieces are special (never produced from text); user-defined ones are
  // matched verbatim before normalization, as spm does.
  const addedTokens: AddedTokenJson[] = [];
  pieces.forEach((p, id) => {
    if (p.type === PieceType.Control || p.type === PieceType.Unknown) addedTokens.push(added(id, p.piece, true));
    else if (p.type === PieceType.UserDefined) addedTokens.push(added(id, p.piece, false));
  });
  // T5 numbers sentinels backwards: <extra_id_{N-1}> first, <extra_id_0> last.
  const extra = opts.extraIds ?? 0;
  for (let i = extra - 1; i >= 0; i--) {
    const content = `<extra_id_${i}>`;
    addedTokens.push(added(vocab.length, content, true));
    vocab.push([content, 0]);
  }

  const normalizers: Record<string, unknown>[] = [];
  if (ns.precompiledCharsmap.length > 0) {
    normalizers.push({ type: 'Precompiled', precompiled_charsmap: toBase64(ns.precompiledCharsmap) });
  }
  if (ns.removeExtraWhitespaces) {
    // spm drops leading/trailing spaces and collapses runs; Metaspace then escapes and prefixes.
    normalizers.push({ type: 'Strip', strip_left: true, strip_right: true });
    normalizers.push({ type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' });
  }
  const metaspace = {
    type: 'Metaspace',
    replacement: SPACE_SYMBOL,
    prepend_scheme: ns.addDummyPrefix ? 'always' : 'never',
    split: trainer.splitByWhitespace,
  };
  const decoder = trainer.byteFallback
    ? { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }, metaspace] }
    : metaspace;
  const postProcessor =
    eos === undefined
      ? null
      : {
          type: 'TemplateProcessing',
          single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: eos, type_id: 0 } }],
          pair: [
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: eos, type_id: 0 } },
            { Sequence: { id: 'B', type_id: 0 } },
            { SpecialToken: { id: eos, type_id: 0 } },
          ],
          special_tokens: { [eos]: { id: eos, ids: [trainer.eosId], tokens: [eos] } },
        };

  return {
    tokenizer: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: addedTokens,
      normalizer: normalizers.length ? { type: 'Sequence', normalizers } : null,
      pre_tokenizer: metaspace,
      post_processor: postProcessor,
      decoder,
      model: { type: 'Unigram', unk_id: trainer.unkId, vocab, byte_fallback: trainer.byteFallback },
    },
    special: { eos, pad, unk },
  };
}
