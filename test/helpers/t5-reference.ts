// A plain float64 T5 forward pass written only for tests: no cache, no fusion, no ONNX; it reads
// the checkpoint's tensors by their Hugging Face names and follows modeling_t5.py step by step.
import type { T5Config } from '../../src-main/engine/checkpoint/config';
import type { CheckpointReader } from '../../src-main/engine/checkpoint/types';

type Mat = Float64Array[]; // rows

export class ReferenceT5 {
  private constructor(
    private readonly cfg: T5Config,
    private readonly w: Map<string, { data: Float64Array; shape: number[] }>,
  ) {}

  static async load(reader: CheckpointReader, cfg: T5Config): Promise<ReferenceT5> {
    const w = new Map<string, { data: Float64Array; shape: number[] }>();
    for (const t of reader.tensors()) w.set(t.name, { data: Float64Array.from(await reader.readF32(t.name)), shape: t.shape });
    return new ReferenceT5(cfg, w);
  }

  private get(name: string): { data: Float64Array; shape: number[] } {
    const t = this.w.get(name);
    if (!t) throw new Error(`reference: missing ${name}`);
    return t;
  }

  private linear(x: Mat, name: string): Mat {
    const { data, shape } = this.get(name);
    const [out, inn] = shape as [number, number];
    return x.map((row) => {
      const y = new Float64Array(out);
      for (let o = 0; o < out; o++) {
        let s = 0;
        for (let i = 0; i < inn; i++) s += row[i]! * data[o * inn + i]!;
        y[o] = s;
      }
      return y;
    });
  }

  private norm(x: Mat, name: string): Mat {
    const w = this.get(name).data;
    return x.map((row) => {
      const ms = row.reduce((a, v) => a + v * v, 0) / row.length;
      const r = 1 / Math.sqrt(ms + this.cfg.eps);
      return row.map((v, i) => v * r * w[i]!);
    });
  }

  private bucket(rel: number, bidirectional: boolean): number {
    let n = this.cfg.numBuckets;
    let ret = 0;
    let r: number;
    if (bidirectional) {
      n = n / 2;
      if (rel > 0) ret += n;
      r = Math.abs(rel);
    } else r = Math.max(-rel, 0);
    const exact = n / 2;
    if (r < exact) return ret + r;
    const large = exact + Math.trunc((Math.log(r / exact) / Math.log(this.cfg.maxDistance / exact)) * (n - exact));
    return ret + Math.min(large, n - 1);
  }

  /** Multi-head attention; bias(h, i, j) or none; causal masks keys after the query. */
  private attention(xq: Mat, xkv: Mat, prefix: string, bias: ((h: number, i: number, j: number) => number) | null, causal: boolean): Mat {
    const { numHeads: H, dKv: D } = this.cfg;
    const q = this.linear(xq, `${prefix}.q.weight`);
    const k = this.linear(xkv, `${prefix}.k.weight`);
    const v = this.linear(xkv, `${prefix}.v.weight`);
    const ctx: Mat = xq.map(() => new Float64Array(H * D));
    for (let h = 0; h < H; h++)
      for (let i = 0; i < xq.length; i++) {
        const scores: number[] = [];
        for (let j = 0; j < xkv.length; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += q[i]![h * D + d]! * k[j]![h * D + d]!;
          if (bias) s += bias(h, i, j);
          scores.push(causal && j > i ? -Infinity : s);
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < xkv.length; j++) for (let d = 0; d < D; d++) ctx[i]![h * D + d]! += (e[j]! / z) * v[j]![h * D + d]!;
      }
    return this.linear(ctx, `${prefix}.o.weight`);
  }

  private ff(x: Mat, prefix: string): Mat {
    if (this.cfg.ffProj === 'relu') return this.linear(this.linear(x, `${prefix}.wi.weight`).map((r) => r.map((v) => Math.max(v, 0))), `${prefix}.wo.weight`);
    const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    const a = this.linear(x, `${prefix}.wi_0.weight`);
    const b = this.linear(x, `${prefix}.wi_1.weight`);
    return this.linear(a.map((r, i) => r.map((v, j) => gelu(v) * b[i]![j]!)), `${prefix}.wo.weight`);
  }

  private embed(ids: number[]): Mat {
    const { data } = this.get('shared.weight');
    const d = this.cfg.dModel;
    return ids.map((id) => data.slice(id * d, (id + 1) * d));
  }

  private relBias(stack: string, bidirectional: boolean): (h: number, i: number, j: number) => number {
    const table = this.get(`${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`).data;
    const H = this.cfg.numHeads;
    return (h, i, j) => table[this.bucket(j - i, bidirectional) * H + h]!;
  }

  encode(ids: number[]): Mat {
    let x = this.embed(ids);
    const bias = this.relBias('encoder', true);
    const add = (a: Mat, b: Mat) => a.map((r, i) => r.map((v, j) => v + b[i]![j]!));
    for (let l = 0; l < this.cfg.numLayers; l++) {
      const p = `encoder.block.${l}.layer`;
      x = add(x, this.attention(this.norm(x, `${p}.0.layer_norm.weight`), this.norm(x, `${p}.0.layer_norm.weight`), `${p}.0.SelfAttention`, bias, false));
      x = add(x, this.ff(this.norm(x, `${p}.1.layer_norm.weight`), `${p}.1.DenseReluDense`));
    }
    return this.norm(x, 'encoder.final_layer_norm.weight');
  }

  /** Logits [len(decoderIds), vocab] for a full decoder input, recomputed from scratch. */
  logits(enc: Mat, decoderIds: number[]): Mat {
    let x = this.embed(decoderIds);
    const bias = this.relBias('decoder', false);
    const add = (a: Mat, b: Mat) => a.map((r, i) => r.map((v, j) => v + b[i]![j]!));
    for (let l = 0; l < this.cfg.numDecoderLayers; l++) {
      const p = `decoder.block.${l}.layer`;
      const h = this.norm(x, `${p}.0.layer_norm.weight`);
      x = add(x, this.attention(h, h, `${p}.0.SelfAttention`, bias, true));
      x = add(x, this.attention(this.norm(x, `${p}.1.layer_norm.weight`), enc, `${p}.1.EncDecAttention`, null, false));
      x = add(x, this.ff(this.norm(x, `${p}.2.layer_norm.weight`), `${p}.2.DenseReluDense`));
    }
    let h = this.norm(x, 'decoder.final_layer_norm.weight');
    if (this.cfg.scaleDecoderOutputs) h = h.map((r) => r.map((v) => v * this.cfg.dModel ** -0.5));
    return this.linear(h, this.w.has('lm_head.weight') ? 'lm_head.weight' : 'shared.weight');
  }
}
