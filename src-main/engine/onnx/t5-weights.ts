import type { CheckpointReader } from '../checkpoint/types';
import type { T5Config } from '../checkpoint/config';
import { CancelledError, UserError } from '../errors';
import { DT } from './graph-builder';
import type { ExternalDataWriter, ExternalRef } from './external-data';
import { narrow } from '../checkpoint/float';
import { quantizeBlocks, type QuantBits } from './quantize-blocks';
import { BLOCK_SIZES, DEFAULT_ACCURACY_LEVEL, DEFAULT_BLOCK_SIZE, MAX_ACCURACY_LEVEL, WEIGHT_DTYPES, type WeightDType } from '../weight-options';

/** A weight written to the external data file, under the exporter's own (fused) name. */
export interface StoredWeight {
  ref: ExternalRef;
  dims: number[];
  dataType: number;
  /** Set for a MatMulNBits weight: `ref` holds packed codes [N, blocks, blob], `scales` one float32 per block. */
  quant?: QuantSpec & { n: number; k: number; scales: ExternalRef };
}
export type WeightTable = Map<string, StoredWeight>;
export { BLOCK_SIZES, DEFAULT_ACCURACY_LEVEL, DEFAULT_BLOCK_SIZE, MAX_ACCURACY_LEVEL, WEIGHT_DTYPES, type WeightDType } from '../weight-options';

/** `value` as a dtype; refused naming `option` (a CLI flag, an API field, a method ref). The one dtype check. */
export function parseWeightDType(option: string, value: unknown): WeightDType {
  if (!(WEIGHT_DTYPES as readonly unknown[]).includes(value)) throw new UserError(`${option}: '${String(value)}' is not one of ${WEIGHT_DTYPES.join(', ')}`);
  return value as WeightDType;
}

/** How quantized linears are stored and multiplied (onnxruntime's MatMulNBits attributes). */
export interface QuantSpec {
  bits: QuantBits;
  blockSize: number;
  /** 0 = the input's type, 1 fp32, 2 fp16, 3 bf16, 4 int8: activations quantized per block for integer dot products (CPU). */
  accuracyLevel: number;
  /** Bits of the decoding head (HEAD_BITS); absent in exports written before the head was quantized: their head is float32. */
  headBits?: QuantBits;
}
// int8 is MatMulNBits with bits 8: onnxruntime-node 1.30 runs it on CPU and WebGPU. On CPU it is
// fast only at accuracy level 4 (integer dot products); at level 0 it dequantizes on the fly and
// was 3-11x slower than fp32 (docs/performance.md "Quantized weights").
const QUANT_BITS: Partial<Record<WeightDType, QuantBits>> = { int8: 8, q4: 4 };
/**
 * The decoding head of a quantized export is quantized to 8 bits whatever the dtype: it is a large
 * share of the bytes read per token (T5's 32k-row vocabulary, mT5's 250k). On the demo pair 8 bits
 * kept every greedy output an fp32 head gave and moved the largest log-probability deviation by at
 * most 0.1, where 4 bits doubled toy-t5-large q4's (0.43 -> 0.91) and changed two more outputs of
 * 100 on toy-t5-small (docs/performance.md "Quantized weights").
 */
export const HEAD_BITS: QuantBits = 8;

/** What is written: the dtype, and for int8/q4 the quantization. */
export interface WeightFormat {
  dtype: WeightDType;
  quant?: QuantSpec & { headBits: QuantBits };
}

/**
 * The format for a dtype and its options, refusing options that do not apply or are out of range
 * (`names` maps each option to what the caller calls it: a CLI flag or an API field).
 */
export function weightFormat(
  opts: { dtype?: WeightDType; blockSize?: number; accuracyLevel?: number },
  names: { dtype: string; blockSize: string; accuracyLevel: string } = { dtype: 'dtype', blockSize: 'blockSize', accuracyLevel: 'accuracyLevel' },
): WeightFormat {
  const dtype = opts.dtype === undefined ? 'fp32' : parseWeightDType(names.dtype, opts.dtype);
  const bits = QUANT_BITS[dtype];
  if (bits === undefined) {
    for (const k of ['blockSize', 'accuracyLevel'] as const)
      if (opts[k] !== undefined) throw new UserError(`${names[k]} applies only to the quantized dtypes int8 and q4 (${names.dtype} is ${dtype})`);
    return { dtype };
  }
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!BLOCK_SIZES.includes(blockSize)) throw new UserError(`${names.blockSize}: ${String(blockSize)} is not one of ${BLOCK_SIZES.join(', ')}`);
  const accuracyLevel = opts.accuracyLevel ?? DEFAULT_ACCURACY_LEVEL;
  if (!Number.isInteger(accuracyLevel) || accuracyLevel < 0 || accuracyLevel > MAX_ACCURACY_LEVEL)
    throw new UserError(`${names.accuracyLevel}: ${String(accuracyLevel)} is not an integer from 0 to ${MAX_ACCURACY_LEVEL}`);
  return { dtype, quant: { bits, blockSize, accuracyLevel, headBits: HEAD_BITS } };
}

/**
 * Listed with a run's deviations for a quantized model: what is quantized and how, so nobody reads
 * its outputs as the checkpoint's own.
 */
export function quantDeviation(q: QuantSpec): string {
  return (
    `weights of the projections and feed-forward layers are quantized to ${q.bits} bits in blocks of ${q.blockSize} ` +
    `(symmetric, one float32 scale per block; onnxruntime MatMulNBits, accuracy level ${q.accuracyLevel}` +
    `${q.accuracyLevel === 4 ? ': activations quantized to int8 per block on CPU' : ''})` +
    (q.headBits === undefined ? '; the decoding head, embeddings' : `, the decoding head to ${q.headBits} bits; embeddings`) +
    ', norms and position biases stay float32; outputs differ from the fp32 model; docs/engine.md'
  );
}

/**
 * Values writeT5Weights stores for a config (the head always stored, tied or not; the decoder's
 * position bias with its mask column): what a checkpoint weighs at fp32 whatever its export's dtype.
 */
export function t5Parameters(cfg: T5Config): number {
  const { dModel: d, dFf: ff, numHeads: H, numBuckets: B } = cfg;
  const inner = H * cfg.dKv;
  const ffn = (cfg.ffProj === 'relu' ? 2 : 3) * ff * d;
  const attention = 4 * inner * d; // q, k, v, o
  const encoderLayer = 2 * d + attention + ffn;
  const decoderLayer = 3 * d + 2 * attention + ffn;
  return 2 * cfg.vocabSize * d + H * (2 * B + 1) + 2 * d + cfg.numLayers * encoderLayer + cfg.numDecoderLayers * decoderLayer;
}

/** Score added for keys after the query (the decoder's causal mask); exp() of it is exactly 0. */
export const MASKED_SCORE = -1e9;
/** The same in fp16 tables: -1e9 would become -inf there (and -inf − -inf is NaN in some kernels). */
export const MASKED_SCORE_F16 = -30000;

/** Rows [c0, c1) of the transpose of src [rows, cols]: src's columns c0..c1 as rows. */
function transposedRows(src: Float32Array, rows: number, cols: number, c0: number, c1: number): Float32Array {
  const out = new Float32Array((c1 - c0) * rows);
  const B = 32; // blocks that stay in cache
  for (let r0 = 0; r0 < rows; r0 += B)
    for (let c = c0; c < c1; c++)
      for (let r = r0; r < Math.min(r0 + B, rows); r++) out[(c - c0) * rows + r] = src[r * cols + c]!;
  return out;
}

/** A tensor's float32 values in the order they are written, in chunks of about 16 MB. */
type Values = Iterable<Float32Array>;
const CHUNK_FLOATS = 1 << 22;

/** src [rows, cols] transposed to [cols, rows], produced a few rows at a time. */
function* transposed(src: Float32Array, rows: number, cols: number): Values {
  const step = Math.max(1, Math.floor(CHUNK_FLOATS / rows));
  for (let c = 0; c < cols; c += step) yield transposedRows(src, rows, cols, c, Math.min(cols, c + step));
}

function* whole(src: Float32Array): Values {
  yield src;
}

/** Encodes chunks as fp32 or fp16 bytes (fp16 converted a chunk at a time). */
function* asBytes(values: Values, fp16: boolean): Iterable<Uint8Array> {
  for (const v of values)
    for (let i = 0; i < v.length; i += CHUNK_FLOATS) {
      const part = v.subarray(i, i + CHUNK_FLOATS);
      yield narrow(fp16 ? 'F16' : 'F32', part);
    }
}

/**
 * Reads the checkpoint one tensor at a time, fuses what the graphs compute together (Q|K|V, the
 * cross-attention K|V, the two gated-gelu input projections), lays each weight out the way its
 * graph consumes it and appends it to the weights file:
 *   linear weights  [in, out]   (PyTorch's [out, in] transposed, for MatMul)
 *   position bias   [1, H, B]   (+ a -1e9 column in the decoder: the causal mask bucket)
 *   embedding       [V, d]      (Gather), head [d, V] (MatMul; a transposed copy when tied)
 * With a quantized format the linears are stored for MatMulNBits instead (the head at the format's headBits):
 * PyTorch's [out, in] quantized block-wise along `in` (quantize-blocks.ts), codes then scales;
 * other tensors stay float32.
 */
export async function writeT5Weights(
  reader: CheckpointReader,
  cfg: T5Config,
  out: ExternalDataWriter,
  format: WeightFormat,
  onTensor?: (done: number, total: number) => void,
  signal?: AbortSignal,
  /** Writes only the weights whose exporter key passes (a file per graph, as transformers.js expects). */
  only: (key: string) => boolean = () => true,
): Promise<WeightTable> {
  const table: WeightTable = new Map();
  const fp16 = format.dtype === 'fp16';
  const floatType = fp16 ? DT.FLOAT16 : DT.FLOAT;
  const { quant } = format;
  const inner = cfg.numHeads * cfg.dKv;

  const shapes = new Map(reader.tensors().map((t) => [t.name, t.shape]));
  const read = async (name: string, dims: number[]): Promise<Float32Array> => {
    const shape = shapes.get(name);
    if (!shape) throw new UserError(`checkpoint is missing tensor '${name}'`);
    if (shape.length !== dims.length || shape.some((d, i) => d !== dims[i]))
      throw new UserError(`tensor '${name}' has shape [${shape}] but the config implies [${dims}]`);
    return reader.readF32(name);
  };
  const concatRows = (parts: Float32Array[]): Float32Array => {
    if (parts.length === 1) return parts[0]!;
    const outArr = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      outArr.set(p, off);
      off += p.length;
    }
    return outArr;
  };

  /** Each job reads its checkpoint tensors, appends the result to `out` and describes it. */
  type Job = [key: string, write: () => Promise<StoredWeight>];
  const jobs: Job[] = [];
  const store = (dims: number[], values: Values): StoredWeight => ({ ref: out.append(asBytes(values, fp16)), dims, dataType: floatType });
  const direct = (key: string, name: string, dims: number[]) => jobs.push([key, async () => store(dims, whole(await read(name, dims)))]);
  /**
   * One or more PyTorch [out, in] linears, stacked along `out` ([N, K]) and stored as [K, N], or
   * quantized when the format says so, to `bits` (default: the format's; null: float).
   */
  const linear = (key: string, names: string[], rows: number, inn: number, bits: QuantBits | null = quant?.bits ?? null) =>
    jobs.push([
      key,
      async () => {
        const n = rows * names.length;
        const w = concatRows(await Promise.all(names.map((name) => read(name, [rows, inn]))));
        if (!quant || bits === null) return store([inn, n], transposed(w, n, inn));
        const spec = { ...quant, bits };
        const q = quantizeBlocks(w, n, inn, bits, quant.blockSize);
        const ref = out.append([q.data]);
        const scales = out.append([narrow('F32', q.scales)]);
        return { ref, dims: [n, q.blocks, (quant.blockSize * bits) / 8], dataType: DT.UINT8, quant: { ...spec, n, k: inn, scales } };
      },
    ]);
  const relBias = (key: string, name: string, maskColumn: boolean) =>
    jobs.push([
      key,
      async () => {
        const dims = [1, H, B + (maskColumn ? 1 : 0)];
        const t = transposedRows(await read(name, [B, H]), B, H, 0, H); // [H, B]
        if (!maskColumn) return store(dims, whole(t));
        const withMask = new Float32Array(H * (B + 1)).fill(fp16 ? MASKED_SCORE_F16 : MASKED_SCORE);
        for (let h = 0; h < H; h++) withMask.set(t.subarray(h * B, (h + 1) * B), h * (B + 1));
        return store(dims, whole(withMask));
      },
    ]);

  const { dModel: d, dFf: ff, numBuckets: B, numHeads: H } = cfg;
  direct('embed', 'shared.weight', [cfg.vocabSize, d]);
  // The head is lm_head.weight when the checkpoint has it (it may be a tied copy), else the embedding.
  linear('head', [reader.has('lm_head.weight') ? 'lm_head.weight' : 'shared.weight'], cfg.vocabSize, d, quant?.headBits ?? null);
  const ffWeights = (key: string, prefix: string) => {
    const wi = cfg.ffProj === 'relu' ? ['wi'] : ['wi_0', 'wi_1'];
    linear(`${key}.wi`, wi.map((w) => `${prefix}.DenseReluDense.${w}.weight`), ff, d);
    linear(`${key}.wo`, [`${prefix}.DenseReluDense.wo.weight`], d, ff);
  };
  for (const stack of ['encoder', 'decoder'] as const) {
    const s = stack === 'encoder' ? 'enc' : 'dec';
    const n = stack === 'encoder' ? cfg.numLayers : cfg.numDecoderLayers;
    relBias(`${s}.rel_bias`, `${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`, stack === 'decoder');
    for (let i = 0; i < n; i++) {
      const p = `${stack}.block.${i}.layer`;
      direct(`${s}.${i}.ln1`, `${p}.0.layer_norm.weight`, [d]);
      linear(`${s}.${i}.qkv`, ['q', 'k', 'v'].map((m) => `${p}.0.SelfAttention.${m}.weight`), inner, d);
      linear(`${s}.${i}.o`, [`${p}.0.SelfAttention.o.weight`], d, inner);
      if (stack === 'decoder') {
        direct(`dec.${i}.ln2`, `${p}.1.layer_norm.weight`, [d]);
        linear(`dec.${i}.cross_q`, [`${p}.1.EncDecAttention.q.weight`], inner, d);
        linear(`dec.${i}.cross_kv`, ['k', 'v'].map((m) => `${p}.1.EncDecAttention.${m}.weight`), inner, d);
        linear(`dec.${i}.cross_o`, [`${p}.1.EncDecAttention.o.weight`], d, inner);
      }
      const ffLayer = stack === 'encoder' ? 1 : 2;
      direct(`${s}.${i}.ln_ff`, `${p}.${ffLayer}.layer_norm.weight`, [d]);
      ffWeights(`${s}.${i}`, `${p}.${ffLayer}`);
    }
    direct(`${s}.final_ln`, `${stack}.final_layer_norm.weight`, [d]);
  }

  const wanted = jobs.filter(([key]) => only(key));
  for (let j = 0; j < wanted.length; j++) {
    if (signal?.aborted) throw new CancelledError();
    const [key, write] = wanted[j]!;
    table.set(key, await write());
    onTensor?.(j + 1, wanted.length);
  }
  return table;
}
