import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';

/** The T5/mT5 hyper-parameters the exporter needs, resolved per ../shared/T5.md. */
export interface T5Config {
  modelType: 't5' | 'mt5';
  vocabSize: number;
  dModel: number;
  dKv: number;
  dFf: number;
  numLayers: number;
  numDecoderLayers: number;
  numHeads: number;
  numBuckets: number;
  maxDistance: number;
  eps: number;
  ffProj: 'relu' | 'gated-gelu';
  /** Multiply the decoder output by dModel^-0.5 before the head. */
  scaleDecoderOutputs: boolean;
  tieWordEmbeddings: boolean;
  decoderStartId: number;
  eosId: number;
  padId: number;
}

function num(raw: Record<string, unknown>, key: string, file: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`${file}: field '${key}' must be a number`);
  return v;
}

/** Parses a Hugging Face config.json; refuses anything that is not T5/mT5. */
export function parseT5Config(raw: Record<string, unknown>, file = 'config.json'): T5Config {
  const modelType = raw.model_type;
  if (modelType !== 't5' && modelType !== 'mt5')
    throw new UserError(`${file}: unsupported architecture (model_type '${String(modelType)}'); only T5 and mT5 are supported`);
  const archs = raw.architectures;
  if (Array.isArray(archs) && archs.some((a) => typeof a === 'string' && !/ForConditionalGeneration$|^T5BiLD/.test(a)))
    throw new UserError(`${file}: unsupported architecture ${JSON.stringify(archs)}; a T5/mT5 ForConditionalGeneration model is needed`);
  const proj = String(raw.feed_forward_proj ?? 'relu');
  let ffProj: T5Config['ffProj'];
  if (proj === 'relu') ffProj = 'relu';
  else if (proj === 'gated-gelu') ffProj = 'gated-gelu';
  else throw new UserError(`${file}: feed_forward_proj '${proj}' is not supported (relu or gated-gelu)`);
  const tie = raw.tie_word_embeddings === undefined ? true : Boolean(raw.tie_word_embeddings);
  // transformers 5 writes scale_decoder_outputs; older configs scale exactly when the head is tied.
  const scale = typeof raw.scale_decoder_outputs === 'boolean' ? raw.scale_decoder_outputs : tie;
  const numLayers = num(raw, 'num_layers', file);
  const numDecoderLayers =
    raw.num_decoder_layers === undefined || raw.num_decoder_layers === null ? numLayers : num(raw, 'num_decoder_layers', file);
  return {
    modelType,
    vocabSize: num(raw, 'vocab_size', file),
    dModel: num(raw, 'd_model', file),
    dKv: num(raw, 'd_kv', file),
    dFf: num(raw, 'd_ff', file),
    numLayers,
    numDecoderLayers,
    numHeads: num(raw, 'num_heads', file),
    numBuckets: num(raw, 'relative_attention_num_buckets', file, 32),
    maxDistance: num(raw, 'relative_attention_max_distance', file, 128),
    eps: num(raw, 'layer_norm_epsilon', file, 1e-6),
    ffProj,
    scaleDecoderOutputs: scale,
    tieWordEmbeddings: tie,
    decoderStartId: num(raw, 'decoder_start_token_id', file, 0),
    eosId: num(raw, 'eos_token_id', file, 1),
    padId: num(raw, 'pad_token_id', file, 0),
  };
}

export function readT5Config(dir: string): T5Config {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new UserError(`${file}: not found (is '${dir}' a Hugging Face checkpoint folder?)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file}: invalid JSON (${(err as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`${file}: expected a JSON object`);
  return parseT5Config(raw as Record<string, unknown>, file);
}
