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

/**
 * An integer field within [min, max]. The bounds are far above any released T5/mT5 (t5-11b: 24
 * layers, 128 heads, d_ff 65536; mT5: 250,112 tokens) and keep a crafted config from making the
 * exporter allocate without end or build a graph with no layers.
 */
function int(raw: Record<string, unknown>, key: string, file: string, min: number, max: number, fallback?: number): number {
  const v = num(raw, key, file, fallback);
  if (!Number.isInteger(v) || v < min || v > max) throw new UserError(`${file}: field '${key}' is ${v}; it must be an integer within ${min}..${max}`);
  return v;
}

const MAX_LAYERS = 128;
const MAX_VOCAB = 1_000_000;

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
  const numLayers = int(raw, 'num_layers', file, 1, MAX_LAYERS);
  const numDecoderLayers =
    raw.num_decoder_layers === undefined || raw.num_decoder_layers === null ? numLayers : int(raw, 'num_decoder_layers', file, 1, MAX_LAYERS);
  const vocabSize = int(raw, 'vocab_size', file, 2, MAX_VOCAB);
  const numBuckets = int(raw, 'relative_attention_num_buckets', file, 4, 1024, 32);
  // the bucket formula takes log(max_distance / (num_buckets / 2)): a smaller distance gives
  // negative or NaN buckets (HF's own model fails on it too)
  const maxDistance = int(raw, 'relative_attention_max_distance', file, Math.floor(numBuckets / 2) + 1, 1_000_000, 128);
  const eps = num(raw, 'layer_norm_epsilon', file, 1e-6);
  if (!(eps > 0 && eps < 1)) throw new UserError(`${file}: field 'layer_norm_epsilon' is ${eps}; it must be within 0..1 (exclusive)`);
  const tokenId = (key: string, fallback: number): number => int(raw, key, file, 0, vocabSize - 1, fallback);
  return {
    modelType,
    vocabSize,
    dModel: int(raw, 'd_model', file, 1, 65_536),
    dKv: int(raw, 'd_kv', file, 1, 4096),
    dFf: int(raw, 'd_ff', file, 1, 262_144),
    numLayers,
    numDecoderLayers,
    numHeads: int(raw, 'num_heads', file, 1, 1024),
    numBuckets,
    maxDistance,
    eps,
    ffProj,
    scaleDecoderOutputs: scale,
    tieWordEmbeddings: tie,
    decoderStartId: tokenId('decoder_start_token_id', 0),
    eosId: tokenId('eos_token_id', 1),
    padId: tokenId('pad_token_id', 0),
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
