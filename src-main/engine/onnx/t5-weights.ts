import type { CheckpointReader } from '../checkpoint/types';
import type { T5Config } from '../checkpoint/config';
import { CancelledError, UserError } from '../errors';
import { DT } from './graph-builder';
import type { ExternalDataWriter, ExternalRef } from './external-data';
import { toF16 } from './float16';

/** A weight written to the external data file, under the exporter's own (fused) name. */
export interface StoredWeight {
  ref: ExternalRef;
  dims: number[];
  dataType: number;
}
export type WeightTable = Map<string, StoredWeight>;
export type WeightDType = 'fp32' | 'fp16';

/**
 * Reads the checkpoint one tensor at a time, fuses what the graphs compute together (Q|K|V, the
 * cross-attention K|V, the two gated-gelu input projections) and appends each result to the
 * weights file. Linear weights keep PyTorch's [out, in] layout: the graphs use Gemm(transB=1).
 */
export async function writeT5Weights(
  reader: CheckpointReader,
  cfg: T5Config,
  out: ExternalDataWriter,
  dtype: WeightDType,
  onTensor?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<WeightTable> {
  const table: WeightTable = new Map();
  const inner = cfg.numHeads * cfg.dKv;

  const read = async (name: string, dims: number[]): Promise<Float32Array> => {
    if (!reader.has(name)) throw new UserError(`checkpoint is missing tensor '${name}'`);
    const info = reader.tensors().find((t) => t.name === name)!;
    const got = info.shape.reduce((a, b) => a * b, 1);
    const want = dims.reduce((a, b) => a * b, 1);
    if (got !== want || info.shape.length !== dims.length || info.shape.some((d, i) => d !== dims[i]))
      throw new UserError(`tensor '${name}' has shape [${info.shape}] but the config implies [${dims}]`);
    return reader.readF32(name);
  };
  const concatRows = (parts: Float32Array[]): Float32Array => {
    const outArr = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      outArr.set(p, off);
      off += p.length;
    }
    return outArr;
  };

  type Job = [key: string, dims: number[], load: () => Promise<Float32Array>];
  const jobs: Job[] = [];
  const direct = (key: string, name: string, dims: number[]) => jobs.push([key, dims, () => read(name, dims)]);
  const fused = (key: string, names: string[], partDims: number[]) =>
    jobs.push([
      key,
      [partDims[0]! * names.length, ...partDims.slice(1)],
      async () => concatRows(await Promise.all(names.map((n) => read(n, partDims)))),
    ]);

  const { dModel: d, dFf: ff, numBuckets: B, numHeads: H } = cfg;
  direct('embed', 'shared.weight', [cfg.vocabSize, d]);
  // The head is lm_head.weight when the checkpoint has it (it may be a tied copy), else the embedding.
  if (reader.has('lm_head.weight')) direct('head', 'lm_head.weight', [cfg.vocabSize, d]);
  const ffWeights = (key: string, prefix: string) => {
    if (cfg.ffProj === 'relu') direct(`${key}.wi`, `${prefix}.DenseReluDense.wi.weight`, [ff, d]);
    else fused(`${key}.wi`, [`${prefix}.DenseReluDense.wi_0.weight`, `${prefix}.DenseReluDense.wi_1.weight`], [ff, d]);
    direct(`${key}.wo`, `${prefix}.DenseReluDense.wo.weight`, [d, ff]);
  };
  for (const stack of ['encoder', 'decoder'] as const) {
    const s = stack === 'encoder' ? 'enc' : 'dec';
    const n = stack === 'encoder' ? cfg.numLayers : cfg.numDecoderLayers;
    direct(`${s}.rel_bias`, `${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`, [B, H]);
    for (let i = 0; i < n; i++) {
      const p = `${stack}.block.${i}.layer`;
      direct(`${s}.${i}.ln1`, `${p}.0.layer_norm.weight`, [d]);
      fused(`${s}.${i}.qkv`, ['q', 'k', 'v'].map((m) => `${p}.0.SelfAttention.${m}.weight`), [inner, d]);
      direct(`${s}.${i}.o`, `${p}.0.SelfAttention.o.weight`, [d, inner]);
      if (stack === 'decoder') {
        direct(`dec.${i}.ln2`, `${p}.1.layer_norm.weight`, [d]);
        direct(`dec.${i}.cross_q`, `${p}.1.EncDecAttention.q.weight`, [inner, d]);
        fused(`dec.${i}.cross_kv`, ['k', 'v'].map((m) => `${p}.1.EncDecAttention.${m}.weight`), [inner, d]);
        direct(`dec.${i}.cross_o`, `${p}.1.EncDecAttention.o.weight`, [d, inner]);
      }
      const ffLayer = stack === 'encoder' ? 1 : 2;
      direct(`${s}.${i}.ln_ff`, `${p}.${ffLayer}.layer_norm.weight`, [d]);
      ffWeights(`${s}.${i}`, `${p}.${ffLayer}`);
    }
    direct(`${s}.final_ln`, `${stack}.final_layer_norm.weight`, [d]);
  }

  for (let j = 0; j < jobs.length; j++) {
    if (signal?.aborted) throw new CancelledError();
    const [key, dims, load] = jobs[j]!;
    const data = await load();
    const bytes = dtype === 'fp16' ? new Uint8Array(toF16(data).buffer) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    table.set(key, { ref: out.append(bytes), dims, dataType: dtype === 'fp16' ? DT.FLOAT16 : DT.FLOAT });
    onTensor?.(j + 1, jobs.length);
  }
  if (!table.has('head')) table.set('head', table.get('embed')!);
  return table;
}
