import type { CheckpointReader } from '../checkpoint/types';
import type { T5Config } from '../checkpoint/config';
import { CancelledError, UserError } from '../errors';
import { DT } from './graph-builder';
import type { ExternalDataWriter, ExternalRef } from './external-data';
import { narrow } from '../checkpoint/float';

/** A weight written to the external data file, under the exporter's own (fused) name. */
export interface StoredWeight {
  ref: ExternalRef;
  dims: number[];
  dataType: number;
}
export type WeightTable = Map<string, StoredWeight>;
export type WeightDType = 'fp32' | 'fp16';

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
function* asBytes(values: Values, dtype: WeightDType): Iterable<Uint8Array> {
  for (const v of values)
    for (let i = 0; i < v.length; i += CHUNK_FLOATS) {
      const part = v.subarray(i, i + CHUNK_FLOATS);
      yield narrow(dtype === 'fp16' ? 'F16' : 'F32', part);
    }
}

/**
 * Reads the checkpoint one tensor at a time, fuses what the graphs compute together (Q|K|V, the
 * cross-attention K|V, the two gated-gelu input projections), lays each weight out the way its
 * graph consumes it and appends it to the weights file:
 *   linear weights  [in, out]   (PyTorch's [out, in] transposed, for MatMul)
 *   position bias   [1, H, B]   (+ a -1e9 column in the decoder: the causal mask bucket)
 *   embedding       [V, d]      (Gather), head [d, V] (MatMul; a transposed copy when tied)
 */
export async function writeT5Weights(
  reader: CheckpointReader,
  cfg: T5Config,
  out: ExternalDataWriter,
  dtype: WeightDType,
  onTensor?: (done: number, total: number) => void,
  signal?: AbortSignal,
  /** Writes only the weights whose exporter key passes (a file per graph, as transformers.js expects). */
  only: (key: string) => boolean = () => true,
): Promise<WeightTable> {
  const table: WeightTable = new Map();
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

  type Job = [key: string, dims: number[], load: () => Promise<Values>];
  const jobs: Job[] = [];
  const direct = (key: string, name: string, dims: number[]) => jobs.push([key, dims, async () => whole(await read(name, dims))]);
  /** One or more PyTorch [out, in] linears, stacked along `out` and stored as [in, Σout]. */
  const linear = (key: string, names: string[], out: number, inn: number) =>
    jobs.push([key, [inn, out * names.length], async () => transposed(concatRows(await Promise.all(names.map((n) => read(n, [out, inn])))), out * names.length, inn)]);
  const relBias = (key: string, name: string, maskColumn: boolean) =>
    jobs.push([
      key,
      [1, H, B + (maskColumn ? 1 : 0)],
      async () => {
        const t = transposedRows(await read(name, [B, H]), B, H, 0, H); // [H, B]
        if (!maskColumn) return whole(t);
        const withMask = new Float32Array(H * (B + 1)).fill(dtype === 'fp16' ? MASKED_SCORE_F16 : MASKED_SCORE);
        for (let h = 0; h < H; h++) withMask.set(t.subarray(h * B, (h + 1) * B), h * (B + 1));
        return whole(withMask);
      },
    ]);

  const { dModel: d, dFf: ff, numBuckets: B, numHeads: H } = cfg;
  direct('embed', 'shared.weight', [cfg.vocabSize, d]);
  // The head is lm_head.weight when the checkpoint has it (it may be a tied copy), else the embedding.
  linear('head', [reader.has('lm_head.weight') ? 'lm_head.weight' : 'shared.weight'], cfg.vocabSize, d);
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
    const [key, dims, load] = wanted[j]!;
    table.set(key, { ref: out.append(asBytes(await load(), dtype)), dims, dataType: dtype === 'fp16' ? DT.FLOAT16 : DT.FLOAT });
    onTensor?.(j + 1, wanted.length);
  }
  return table;
}
