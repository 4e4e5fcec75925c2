/**
 * Streaming safetensors writer: the header is fixed up front, then tensors are appended in
 * declaration order, chunk by chunk, so multi-GB checkpoints never sit in memory.
 */
import { open, rename, rm, mkdir, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DTYPE_BYTES, narrow } from './float';
import type { T5Config } from './config';
import type { DType } from './types';
import { seededRandom } from '../seeded-random';

export interface WriterEntry {
  name: string;
  dtype: DType;
  shape: number[];
}

/** Elements narrowed per write, bounding temporary memory. */
const WRITE_CHUNK = 1 << 20;

export class SafetensorsWriter {
  private current = 0;
  private written = 0;
  private position: number;
  private readonly numels: number[];

  private constructor(
    private readonly path: string,
    private readonly tmp: string,
    private readonly fh: FileHandle,
    private readonly entries: WriterEntry[],
    dataStart: number,
  ) {
    this.position = dataStart;
    this.numels = entries.map((e) => e.shape.reduce((a, b) => a * b, 1));
  }

  /** Starts `path` (written as path.tmp, renamed on close) with the tensors in this order. */
  static async create(path: string, entries: WriterEntry[], metadata: Record<string, string> = { format: 'pt' }): Promise<SafetensorsWriter> {
    const header: Record<string, unknown> = { __metadata__: metadata };
    let offset = 0;
    for (const e of entries) {
      if (e.name in header) throw new Error(`SafetensorsWriter: duplicate tensor '${e.name}'`);
      const bytes = e.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[e.dtype];
      header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
    }
    let json = JSON.stringify(header);
    // Pad with spaces so the data region starts 8-byte aligned (as the reference writer does).
    json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
    const headerBytes = Buffer.from(json, 'utf8');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(headerBytes.length));
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, 'w');
    await fh.write(Buffer.concat([prefix, headerBytes]), 0, 8 + headerBytes.length, 0);
    return new SafetensorsWriter(path, tmp, fh, entries, 8 + headerBytes.length);
  }

  /** Appends the next `data.length` elements of tensor `name`, which must be the one being written. */
  async append(name: string, data: Float32Array): Promise<void> {
    const e = this.entries[this.current];
    if (!e || e.name !== name) throw new Error(`SafetensorsWriter: expected tensor '${e?.name ?? '(none)'}', got '${name}'`);
    if (this.written + data.length > this.numels[this.current])
      throw new Error(`SafetensorsWriter: too many elements for '${name}' (${this.numels[this.current]})`);
    for (let i = 0; i < data.length; i += WRITE_CHUNK) {
      const bytes = narrow(e.dtype, data.subarray(i, Math.min(i + WRITE_CHUNK, data.length)));
      await this.fh.write(bytes, 0, bytes.length, this.position);
      this.position += bytes.length;
    }
    this.written += data.length;
    // Zero-size tensors are complete immediately; skip past every finished one.
    while (this.current < this.entries.length && this.written === this.numels[this.current]) {
      this.current++;
      this.written = 0;
    }
  }

  /** Convenience: writes a whole tensor. */
  write(name: string, data: Float32Array): Promise<void> {
    return this.append(name, data);
  }

  async close(): Promise<void> {
    await this.fh.close();
    if (this.current < this.entries.length) {
      await rm(this.tmp, { force: true });
      throw new Error(`SafetensorsWriter: closed before tensor '${this.entries[this.current].name}' was written`);
    }
    await rename(this.tmp, this.path);
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}


function nameSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0; // FNV-1a over the name, so each tensor's values are independent of write order
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** mT5-small's shape (~300M parameters, untied head, gated-gelu). */
export const MT5_SMALL: T5Config = {
  modelType: 'mt5',
  vocabSize: 250112,
  dModel: 512,
  dKv: 64,
  dFf: 1024,
  numLayers: 8,
  numDecoderLayers: 8,
  numHeads: 6,
  numBuckets: 32,
  maxDistance: 128,
  eps: 1e-6,
  ffProj: 'gated-gelu',
  scaleDecoderOutputs: false,
  tieWordEmbeddings: false,
  decoderStartId: 0,
  eosId: 1,
  padId: 0,
};

/** Hugging Face tensor names and shapes of a T5/mT5 checkpoint. */
export function t5TensorShapes(c: T5Config): { name: string; shape: number[] }[] {
  const inner = c.numHeads * c.dKv;
  const out: { name: string; shape: number[] }[] = [{ name: 'shared.weight', shape: [c.vocabSize, c.dModel] }];
  const attn = (p: string, withBias: boolean): void => {
    for (const m of ['q', 'k', 'v']) out.push({ name: `${p}.${m}.weight`, shape: [inner, c.dModel] });
    out.push({ name: `${p}.o.weight`, shape: [c.dModel, inner] });
    if (withBias) out.push({ name: `${p}.relative_attention_bias.weight`, shape: [c.numBuckets, c.numHeads] });
  };
  const ff = (p: string): void => {
    const wi = c.ffProj === 'gated-gelu' ? ['wi_0', 'wi_1'] : ['wi'];
    for (const w of wi) out.push({ name: `${p}.DenseReluDense.${w}.weight`, shape: [c.dFf, c.dModel] });
    out.push({ name: `${p}.DenseReluDense.wo.weight`, shape: [c.dModel, c.dFf] });
    out.push({ name: `${p}.layer_norm.weight`, shape: [c.dModel] });
  };
  for (let i = 0; i < c.numLayers; i++) {
    const b = `encoder.block.${i}.layer`;
    attn(`${b}.0.SelfAttention`, i === 0);
    out.push({ name: `${b}.0.layer_norm.weight`, shape: [c.dModel] });
    ff(`${b}.1`);
  }
  out.push({ name: 'encoder.final_layer_norm.weight', shape: [c.dModel] });
  for (let i = 0; i < c.numDecoderLayers; i++) {
    const b = `decoder.block.${i}.layer`;
    attn(`${b}.0.SelfAttention`, i === 0);
    out.push({ name: `${b}.0.layer_norm.weight`, shape: [c.dModel] });
    attn(`${b}.1.EncDecAttention`, false);
    out.push({ name: `${b}.1.layer_norm.weight`, shape: [c.dModel] });
    ff(`${b}.2`);
  }
  out.push({ name: 'decoder.final_layer_norm.weight', shape: [c.dModel] });
  if (!c.tieWordEmbeddings) out.push({ name: 'lm_head.weight', shape: [c.vocabSize, c.dModel] });
  // transformers writes tensors sorted by name.
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Fields transformers (>= 5) validates as float: an integer-looking value there is refused. */
const FLOAT_FIELDS = ['layer_norm_epsilon', 'dropout_rate', 'initializer_factor'];

/** The config.json text transformers would write for `c` (float fields keep their decimal point). */
export function hfConfigText(c: T5Config): string {
  const json = hfConfigJson(c);
  let text = JSON.stringify(json, null, 2);
  for (const k of FLOAT_FIELDS) if (Number.isInteger(json[k])) text = text.replace(`"${k}": ${String(json[k])}`, `"${k}": ${String(json[k])}.0`);
  return `${text}\n`;
}

/** The config.json fields transformers would write for `c`. */
export function hfConfigJson(c: T5Config): Record<string, unknown> {
  return {
    architectures: [c.modelType === 'mt5' ? 'MT5ForConditionalGeneration' : 'T5ForConditionalGeneration'],
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    d_model: c.dModel,
    d_kv: c.dKv,
    d_ff: c.dFf,
    num_layers: c.numLayers,
    num_decoder_layers: c.numDecoderLayers,
    num_heads: c.numHeads,
    relative_attention_num_buckets: c.numBuckets,
    relative_attention_max_distance: c.maxDistance,
    layer_norm_epsilon: c.eps,
    feed_forward_proj: c.ffProj,
    dense_act_fn: c.ffProj === 'gated-gelu' ? 'gelu_new' : 'relu',
    is_gated_act: c.ffProj === 'gated-gelu',
    tie_word_embeddings: c.tieWordEmbeddings,
    scale_decoder_outputs: c.scaleDecoderOutputs,
    decoder_start_token_id: c.decoderStartId,
    eos_token_id: c.eosId,
    pad_token_id: c.padId,
    dropout_rate: 0.0,
    initializer_factor: 1.0,
    is_encoder_decoder: true,
    use_cache: true,
  };
}

/**
 * Writes config.json + model.safetensors of a T5/mT5 with deterministic pseudo-random weights
 * (uniform, std 0.05; layer norms 1 +- 0.05). Defaults to mT5-small's shape; `config` overrides.
 */
export async function writeRandomT5Checkpoint(
  dir: string,
  config: Partial<T5Config> = {},
  seed = 0,
  dtype: DType = 'F32',
): Promise<{ config: T5Config; parameters: number; file: string }> {
  const c: T5Config = { ...MT5_SMALL, ...config };
  // As in pre-5 transformers configs: output scaling follows tying unless stated.
  if (config.tieWordEmbeddings !== undefined && config.scaleDecoderOutputs === undefined) c.scaleDecoderOutputs = c.tieWordEmbeddings;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), hfConfigText(c));
  const shapes = t5TensorShapes(c);
  const file = join(dir, 'model.safetensors');
  const writer = await SafetensorsWriter.create(file, shapes.map((s) => ({ ...s, dtype })));
  const halfWidth = 0.05 * Math.sqrt(3); // uniform on [-a, a] has std a/sqrt(3)
  const buf = new Float32Array(WRITE_CHUNK);
  let parameters = 0;
  try {
    for (const { name, shape } of shapes) {
      const rand = seededRandom(nameSeed(seed, name));
      const isNorm = name.endsWith('layer_norm.weight');
      const numel = shape.reduce((a, b) => a * b, 1);
      parameters += numel;
      for (let done = 0; done < numel; done += buf.length) {
        const chunk = buf.subarray(0, Math.min(buf.length, numel - done));
        for (let i = 0; i < chunk.length; i++) chunk[i] = isNorm ? 1 + (rand() - 0.5) * 0.1 : (rand() * 2 - 1) * halfWidth;
        await writer.append(name, chunk);
      }
    }
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return { config: c, parameters, file };
}
