/**
 * Loads a model folder's tokenizer through @huggingface/transformers (offline, from the folder).
 * Folders with only `spiece.model` (the mT5 checkpoints) are converted once into a tokenizer.json
 * under the app's cache, never into the user's folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { writeFileAtomicSync } from '../atomic-write';
import { UserError } from '../errors';
import { appHome } from '../paths';
import { PrecompiledCharsmap } from './spm-charsmap';
import { convertSpmModel } from './spm-convert';
import { patchForSpm } from './spm-exact';
import { parseSpmModel } from './spm-proto';
import { SpmUnigram } from './spm-unigram';
import { encodeTruncated, preTokenizerSplitsAtSpaces, type TruncatedIds } from './truncate';

export interface Tokenizer {
  /** Token ids of `text` with `</s>` appended, as T5 does. */
  encode(text: string): number[];
  /** encode() truncated to `maxTokens` as HF's truncation=True does (the first tokens, then </s>). */
  encodeSource(text: string, maxTokens: number): TruncatedIds;
  decode(ids: readonly number[], skipSpecial?: boolean): string;
  /** The vocabulary's token for `id` (SentencePiece's `▁` kept); '' for an id outside it. */
  piece(id: number): string;
  /** len(tokenizer): the vocabulary including added tokens (the logits the decoder may use). */
  readonly length: number;
  readonly eosId: number;
  readonly padId: number;
  /** sha256 of the tokens in id order: equal fingerprints mean interchangeable token ids. */
  readonly fingerprint: string;
}

export interface LoadTokenizerOptions {
  /** Where converted tokenizers are written (default: <appHome>/tokenizers). */
  cacheDir?: string;
  /** T5 sentinel count when converting spiece.model (default: tokenizer_config.json's extra_ids, else 100). */
  extraIds?: number;
  /**
   * Segment with SentencePiece's float32 Viterbi instead of transformers.js's float64 one (they
   * differ only on exact ties). Default: on for folders converted from spiece.model (reference:
   * spm_encode), off for shipped tokenizer.json files (reference: HF's Rust tokenizers, float64).
   */
  spmExact?: boolean;
}

type Json = Record<string, unknown>;

function readJson(path: string): Json {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Json;
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Writes atomically so a concurrent reader never sees a half-written file. */
/** Converts `<dir>/spiece.model` into `<cacheDir>/spm-<hash>/` (reused when already there). */
export function convertSpmFolder(dir: string, opts: LoadTokenizerOptions = {}): string {
  const spmPath = join(dir, 'spiece.model');
  const bytes = readFileSync(spmPath);
  const cfgPath = join(dir, 'tokenizer_config.json');
  const userCfg = existsSync(cfgPath) ? readJson(cfgPath) : {};
  const extraIds =
    opts.extraIds ?? (typeof userCfg.extra_ids === 'number' ? userCfg.extra_ids : 100);
  const hash = createHash('sha256').update(bytes).update(`extra_ids=${extraIds}`).update(JSON.stringify(userCfg));
  const out = join(opts.cacheDir ?? join(appHome(), 'tokenizers'), `spm-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(out, 'tokenizer.json')) && existsSync(join(out, 'tokenizer_config.json'))) return out;

  let model;
  try {
    model = parseSpmModel(bytes);
  } catch (e) {
    throw new UserError(`${spmPath}: not a SentencePiece model (${(e as Error).message})`);
  }
  const { tokenizer, special } = convertSpmModel(model, { extraIds, source: spmPath });
  const config: Json = {
    ...userCfg,
    tokenizer_class: userCfg.tokenizer_class ?? 'T5Tokenizer',
    unk_token: special.unk,
    ...(special.eos !== undefined && { eos_token: special.eos }),
    ...(special.pad !== undefined && { pad_token: special.pad }),
    extra_ids: extraIds,
  };
  mkdirSync(out, { recursive: true });
  writeFileAtomicSync(join(out, 'tokenizer_config.json'), JSON.stringify(config, null, 1));
  writeFileAtomicSync(join(out, 'tokenizer.json'), JSON.stringify(tokenizer));
  return out;
}

/** The exact charsmap of a `Precompiled` normalizer, if the tokenizer.json has one. */
function findCharsmap(node: unknown): PrecompiledCharsmap | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const n = node as Json;
  if (n.type === 'Precompiled' && typeof n.precompiled_charsmap === 'string' && n.precompiled_charsmap) {
    return new PrecompiledCharsmap(new Uint8Array(Buffer.from(n.precompiled_charsmap, 'base64')));
  }
  if (n.type === 'Sequence' && Array.isArray(n.normalizers)) {
    for (const child of n.normalizers) {
      const found = findCharsmap(child);
      if (found) return found;
    }
  }
  return undefined;
}

export async function loadTokenizer(dir: string, opts: LoadTokenizerOptions = {}): Promise<Tokenizer> {
  const abs = resolve(dir);
  let folder: string;
  let converted = false;
  if (existsSync(join(abs, 'tokenizer.json'))) folder = abs;
  else if (existsSync(join(abs, 'spiece.model'))) {
    folder = convertSpmFolder(abs, opts);
    converted = true;
  } else throw new UserError(`${abs}: no tokenizer.json or spiece.model`);

  const json = readJson(join(folder, 'tokenizer.json'));
  let hf: PreTrainedTokenizer;
  try {
    hf = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
  } catch (e) {
    throw new UserError(`${folder}: cannot load tokenizer (${(e as Error).message})`);
  }
  const charsmap = findCharsmap(json.normalizer);
  const unigram = (opts.spmExact ?? converted) ? unigramOf(json) : undefined;
  const patched = patchForSpm(hf, charsmap, unigram);
  // If transformers.js changed shape, the real map applied up front still fixes most of it.
  return wrap(hf, patched.charsmap ? undefined : charsmap, preTokenizerSplitsAtSpaces(json.pre_tokenizer));
}

function unigramOf(json: Json): SpmUnigram | undefined {
  const model = json.model as { type?: string; vocab?: [string, number][] } | undefined;
  if (model?.type !== 'Unigram' || !Array.isArray(model.vocab)) return undefined;
  const added = Array.isArray(json.added_tokens) ? (json.added_tokens as { id: number }[]) : [];
  return new SpmUnigram(model.vocab, new Set(added.map((t) => t.id)));
}

function wrap(hf: PreTrainedTokenizer, preNormalize: PrecompiledCharsmap | undefined, splitsAtSpaces: boolean): Tokenizer {
  const vocab = hf.get_vocab();
  const byId: string[] = [];
  for (const [token, id] of vocab) byId[id] = token;
  const fingerprint = createHash('sha256').update(JSON.stringify(byId)).digest('hex');
  const eosId = hf.eos_token_id;
  const padId = hf.pad_token_id;
  const encode = (text: string): number[] => hf.encode(preNormalize ? preNormalize.apply(text) : text);
  const truncation = { encode, suffix: encode(''), splitsAtSpaces };
  return {
    encode,
    encodeSource: (text, maxTokens) => encodeTruncated(truncation, text, maxTokens),
    decode(ids: readonly number[], skipSpecial = true): string {
      if (ids.length === 0) return '';
      return hf.decode([...ids], { skip_special_tokens: skipSpecial });
    },
    piece: (id) => byId[id] ?? '',
    length: vocab.size,
    eosId,
    padId,
    fingerprint,
  };
}
