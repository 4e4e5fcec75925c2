// The T5/mT5 forward pass as ONNX graphs (batch 1; activations are [1, rows, features]):
//   encoder:  input_ids [1, S]  -> hidden [1, S, d] and cross_kv [2L, H, S, dkv], every decoder
//             layer's cross-attention K (at 2i) and V (at 2i+1), computed once per source
//   decoder:  k new tokens at positions P..P+k-1 -> next [k] (argmax) and rows [k, 2] (max
//             log-probability, log-probability of a given token), over the self-attention cache of
//             positions 0..P-1 in one of two layouts (`KvCacheLayout`):
//     host:   the cache lives in JS memory (the CPU provider). Inputs past_j [1, P, H·dkv] and cross_j [1, H, S, dkv], one per cache
//             entry j (K of layer i at 2i, V at 2i+1), are views into the caller's buffers: no copy
//             on the way in. Output new_kv [2L, k, H·dkv], only this chunk's K/V, which the caller
//             appends. onnxruntime-node copies every output into a fresh JS buffer: a whole cache
//             coming back each step (12.6 MB at T5-large's 64th position) cost ~5 ms here.
//     device: the cache stays in device memory (WebGPU, CUDA; DirectML and CoreML run it too). Inputs past_kv [2L, H, C ≥ P, dkv]
//             of which the first P positions count, and the stacked cross_kv; output present_kv
//             [2L, H, P+k, dkv], fed back as the next step's past_kv without leaving the device.
//             Committing is keeping present_kv, rolling back is a smaller P.
// Few tensors per run where the cache is not involved: each input costs onnxruntime-node about
// 1.5 µs per call (measured once here), a visible share of a small model's step.
// One function per block, in the order of HF's modeling_t5.py. Attention is onnxruntime's
// com.microsoft MultiHeadAttention (scale 1: T5 does not divide scores by sqrt(dkv)); RMS norm and
// gelu_new are onnxruntime's fused kernels (SimplifiedLayerNormalization, FastGelu), written as such:
// the CPU provider fuses the primitive form into the same kernels, the WebGPU provider does not
// (there it ran every primitive as its own dispatch). A residual add runs inside the next norm's
// kernel (SkipSimplifiedLayerNormalization), which no provider fuses by itself.
//
// Compute type (fp16 on GPU providers, see docs/gpu.md): the residual stream, RMS norms,
// the feed-forward output projection `wo` and the decoding heads stay float32; attention, the other
// projections and the caches are float16. T5 activations overflow fp16 in the residual stream and
// in `wo` (HF clamps hidden states in fp16 and keeps `wo` in fp32: `_keep_in_fp32_modules`); keeping
// those in float32 avoids both the overflow and the clamp.
import type { T5Config } from '../checkpoint/config';
import { DT, GraphBuilder } from './graph-builder';
import { blockCount } from './quantize-blocks';
import type { WeightTable } from './t5-weights';

/** Bucket id the decoder uses for "key after query": its bias column is -1e9 (causal mask). */
export const maskedBucket = (cfg: T5Config): number => cfg.numBuckets;

export type ComputeType = 'fp32' | 'fp16';

/** Listed with a run's deviations when a model computes in fp16 (where this export's fp16 differs from HF's). */
export const FP16_COMPUTE_DEVIATION =
  'fp16 compute keeps the residual stream in float32 (HF fp16 keeps it in fp16 and clamps it) and applies RMS-norm weights in float32 before casting to fp16 (HF multiplies them in fp16); docs/gpu.md';

interface Ctx {
  g: GraphBuilder;
  cfg: T5Config;
  weights: WeightTable;
  /** Element type of attention and projections: DT.FLOAT or DT.FLOAT16. */
  ct: number;
}

const ctx = (g: GraphBuilder, cfg: T5Config, weights: WeightTable, compute: ComputeType): Ctx => ({
  g,
  cfg,
  weights,
  ct: compute === 'fp16' ? DT.FLOAT16 : DT.FLOAT,
});

/** What W and linear need: the weights, the compute type and a graph to add nodes to (an If branch's, over the outer graph's initializers, in transformersjs-export.ts). */
export interface LinearCtx {
  g: Pick<GraphBuilder, 'external' | 'op' | 'opN'>;
  weights: WeightTable;
  ct: number;
}

/** A stored weight as `type` (default: the compute type); onnxruntime folds a weight's Cast at load. */
function W(c: LinearCtx, key: string, type = c.ct): string {
  const w = c.weights.get(key);
  if (!w) throw new Error(`exporter bug: weight '${key}' was not written`);
  const name = c.g.external(key, w.dataType, w.dims, w.ref);
  return w.dataType === type ? name : c.g.op('Cast', [name], { to: type });
}

/** x as element type `type` (no node when it already is). */
const cast = (c: Ctx, x: string, from: number, to: number): string => (from === to ? x : c.g.op('Cast', [x], { to }));

/** Embedding rows for token ids [1, n] -> [1, n, d]; fp16 tables are gathered before the cast. */
function embed(c: Ctx, ids: string): string {
  const w = c.weights.get('embed')!;
  const rows = c.g.op('Gather', [c.g.external('embed', w.dataType, w.dims, w.ref), ids], { axis: 0 });
  return w.dataType === DT.FLOAT ? rows : c.g.op('Cast', [rows], { to: DT.FLOAT });
}

/**
 * x @ W in element type `type` (default: the compute type; x must already be of it). W is stored
 * [in, out] for MatMul, or quantized (t5-weights.ts) for onnxruntime's MatMulNBits, which takes
 * float32 x here (quantized exports compute in float32) and dequantizes block by block.
 */
function linear(c: LinearCtx, x: string, key: string, type = c.ct): string {
  const w = c.weights.get(key);
  const q = w?.quant;
  if (!q) return c.g.op('MatMul', [x, W(c, key, type)]);
  if (type !== DT.FLOAT) throw new Error(`exporter bug: quantized weight '${key}' needs float32 compute`);
  const codes = c.g.external(key, w.dataType, w.dims, w.ref);
  const scales = c.g.external(`${key}.scales`, DT.FLOAT, [q.n * blockCount(q.k, q.blockSize)], q.scales);
  const attrs = { K: q.k, N: q.n, bits: q.bits, block_size: q.blockSize, accuracy_level: q.accuracyLevel };
  return c.g.opN('MatMulNBits', [x, codes, scales], 1, attrs, 'com.microsoft')[0]!;
}

/**
 * The float32 residual stream x [1, n, d]. `add(y)` is x = x + y, held back until the next `norm`,
 * which sums and normalizes in one kernel: a dispatch fewer per sub-layer.
 */
class Residual {
  private pending?: string;

  constructor(
    private readonly c: Ctx,
    private x: string,
  ) {}

  /** x = x + y, for a sub-layer output y of element type `from` (default: the compute type). */
  add(y: string, from = this.c.ct): void {
    if (this.pending) this.x = this.c.g.op('Add', [this.x, this.pending]);
    this.pending = cast(this.c, y, from, DT.FLOAT);
  }

  /**
   * RMS norm of x: x · w / sqrt(mean(x²) + eps), no mean subtraction, no bias, in float32, then cast
   * to the compute type (HF fp16 casts before multiplying by w: one rounding apart, docs/gpu.md).
   */
  norm(key: string): string {
    const { c } = this;
    const w = W(c, key, DT.FLOAT);
    const epsilon = { f: c.cfg.eps };
    let y: string;
    if (this.pending) {
      // outputs: normalized, mean and 1/std (omitted), x + y
      const [normed, , , sum] = c.g.opN('SkipSimplifiedLayerNormalization', [this.x, this.pending, w], 4, { epsilon }, 'com.microsoft', [1, 2]);
      [y, this.x, this.pending] = [normed!, sum!, undefined];
    } else y = c.g.op('SimplifiedLayerNormalization', [this.x, w], { axis: -1, epsilon, stash_type: 1 });
    return cast(c, y, DT.FLOAT, c.ct);
  }
}

/** Splits a fused [1, n, parts·w] projection into `parts` tensors of [1, n, w]. */
function splitLast(c: Ctx, x: string, parts: number, width: number): string[] {
  return c.g.opN('Split', [x, c.g.i64(Array(parts).fill(width))], parts, { axis: -1 });
}

/** gelu_new: 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))), onnxruntime's FastGelu. */
const geluNew = (c: Ctx, x: string): string => c.g.opN('FastGelu', [x], 1, {}, 'com.microsoft')[0]!;

/** relu: wo(relu(wi x));  gated-gelu: wo(gelu_new(wi_0 x) ⊙ wi_1 x). `wo` runs in float32 -> float32 (the result's type). */
function feedForward(c: Ctx, x: string, prefix: string): string {
  const h = linear(c, x, `${prefix}.wi`);
  let act: string;
  if (c.cfg.ffProj === 'relu') act = c.g.op('Relu', [h]);
  else {
    const [gate, up] = splitLast(c, h, 2, c.cfg.dFf);
    act = c.g.op('Mul', [geluNew(c, gate!), up!]);
  }
  return linear(c, cast(c, act, c.ct, DT.FLOAT), `${prefix}.wo`, DT.FLOAT);
}

/**
 * softmax(q·kᵀ + bias)·v over heads. q [1, n, H·dkv]; k/v either [1, T, H·dkv] (with an optional
 * past [1, H, P, dkv] prepended) or, for cross-attention, [1, H, S, dkv].
 * -> [output [1, n, H·dkv]] or, with a past, [output, present K, present V ([1, H, P+n, dkv])]
 */
function attention(c: Ctx, q: string, k: string, v: string, bias = '', past?: [string, string]): string[] {
  const inputs = [q, k, v, '', '', bias, ...(past ?? [])];
  while (inputs[inputs.length - 1] === '') inputs.pop();
  return c.g.opN('MultiHeadAttention', inputs, past ? 3 : 1, { num_heads: c.cfg.numHeads, scale: { f: 1 } }, 'com.microsoft');
}

/** Relative position bias [1, H, n, T] from bucket ids [n, T]; layer 0's table serves every layer. */
const positionBias = (c: Ctx, key: string, buckets: string): string => c.g.op('Gather', [W(c, key), buckets], { axis: 2 });

function encoderBlock(c: Ctx, x: Residual, i: number, bias: string): void {
  const inner = c.cfg.numHeads * c.cfg.dKv;
  const [q, k, v] = splitLast(c, linear(c, x.norm(`enc.${i}.ln1`), `enc.${i}.qkv`), 3, inner);
  x.add(linear(c, attention(c, q!, k!, v!, bias)[0]!, `enc.${i}.o`));
  x.add(feedForward(c, x.norm(`enc.${i}.ln_ff`), `enc.${i}`), DT.FLOAT);
}

/** [B, n, H·dkv] -> [B, H, n, dkv] (batch kept by Reshape's 0), built in `g` (default: the context's graph). */
function toHeads(c: Ctx, x: string, g = c.g): string {
  const r = g.op('Reshape', [x, g.i64([0, -1, c.cfg.numHeads, c.cfg.dKv])]);
  return g.op('Transpose', [r], { perm: [0, 2, 1, 3] });
}

/** hidden [1, S, d] (compute type) -> every decoder layer's cross-attention K and V, stacked [2L, H, S, dkv]. */
function crossKv(c: Ctx, hidden: string): string {
  const { g } = c;
  const inner = c.cfg.numHeads * c.cfg.dKv;
  const parts: string[] = [];
  for (let i = 0; i < c.cfg.numDecoderLayers; i++)
    parts.push(...splitLast(c, linear(c, hidden, `dec.${i}.cross_kv`), 2, inner).map((t) => toHeads(c, t)));
  return parts.length === 1 ? parts[0]! : g.op('Concat', parts, { axis: 0 });
}

/**
 * The encoder and the decoder's cross-attention K/V in one graph: on a GPU the encoder output never
 * leaves the device (`hidden` is fetched only by debug runs).
 */
export function buildEncoder(cfg: T5Config, weights: WeightTable, compute: ComputeType = 'fp32'): GraphBuilder {
  const g = new GraphBuilder('t5_encoder');
  const c = ctx(g, cfg, weights, compute);
  const ids = g.input('input_ids', DT.INT64, [1, 'S']);
  const buckets = g.input('position_bucket', DT.INT64, ['S', 'S']); // bidirectional buckets of (key − query)
  const bias = positionBias(c, 'enc.rel_bias', buckets);
  const x = new Residual(c, embed(c, ids)); // [1, S, d]
  for (let i = 0; i < cfg.numLayers; i++) encoderBlock(c, x, i, bias);
  const hidden = x.norm('enc.final_ln'); // compute type
  g.output('cross_kv', crossKv(c, hidden), c.ct, [2 * cfg.numDecoderLayers, cfg.numHeads, 'S', cfg.dKv]);
  g.output('hidden', cast(c, hidden, c.ct, DT.FLOAT), DT.FLOAT, [1, 'S', cfg.dModel]);
  return g;
}

/**
 * The 2L entries of a stacked [2L, H, n, dkv] cache as [1, H, n, dkv] tensors (K of layer i at 2i,
 * V at 2i+1), keeping the first `len` positions when given: one Slice and a few Splits, where a
 * Slice per entry (with its bounds computed per entry) cost 4L kernels a step. A Split has at most
 * SPLIT_WAYS outputs: onnxruntime's WebGPU Split binds every output in one shader, and adapters
 * allow as few as 16 storage buffers per shader (lavapipe refused 24 layers' 48 outputs).
 */
const SPLIT_WAYS = 8;
function unstack(c: Ctx, stacked: string, len?: string): string[] {
  const { g } = c;
  const n = 2 * c.cfg.numDecoderLayers;
  const kept = len ? g.op('Slice', [stacked, g.i64([0]), len, g.i64([2])]) : stacked;
  const split = (x: string, sizes: number[]): string[] => (sizes.length === 1 ? [x] : g.opN('Split', [x, g.i64(sizes)], sizes.length, { axis: 0 }));
  const groups: number[] = [];
  for (let done = 0; done < n; done += SPLIT_WAYS) groups.push(Math.min(SPLIT_WAYS, n - done));
  return split(kept, groups).flatMap((part, i) => split(part, Array(groups[i]!).fill(1)));
}

/** Self-attention of decoder layer i over the cache and this chunk (q, k, v [1, k, H·dkv]) -> [1, k, H·dkv]. */
type SelfAttention = (q: string, k: string, v: string, i: number) => string;

/** The decoder's cache inputs and outputs in one layout: self-attention over it, cross-attention K/V per entry, its outputs. */
interface CacheIo {
  self: SelfAttention;
  /** [1, H, S, dkv] per entry: K of layer i at 2i, V at 2i+1. */
  cross: string[];
  output(): void;
}

/** One decoder layer over the stream x; cross is this layer's [K, V], each [1, H, S, dkv]. */
function decoderBlock(c: Ctx, x: Residual, i: number, self: SelfAttention, cross: [string, string]): void {
  const inner = c.cfg.numHeads * c.cfg.dKv;
  const [q, k, v] = splitLast(c, linear(c, x.norm(`dec.${i}.ln1`), `dec.${i}.qkv`), 3, inner);
  x.add(linear(c, self(q!, k!, v!, i), `dec.${i}.o`));
  // cross-attention over the encoder output (K/V precomputed once per source; batch 1: no padding mask)
  const cq = linear(c, x.norm(`dec.${i}.ln2`), `dec.${i}.cross_q`);
  x.add(linear(c, attention(c, cq, cross[0], cross[1])[0]!, `dec.${i}.cross_o`));
  x.add(feedForward(c, x.norm(`dec.${i}.ln_ff`), `dec.${i}`), DT.FLOAT);
}

/**
 * What decoding needs from logits [1, k, V], over the first `vocab_limit` columns only (the
 * tokenizer's length): next [k], the argmax, and rows [k, 2], the max log-probability and the
 * log-probability of a given token (targets [k, 1]). Few kernels, all of which WebGPU runs (its
 * provider has no LogSoftmax: the CPU one would copy [k, N] to the host mid-step).
 */
function decodingHeads(c: Ctx, logits: string, vocabLimit: string, targets: string): { next: string; rows: string } {
  const { g } = c;
  const live = g.op('Slice', [g.op('Reshape', [logits, g.i64([-1, c.cfg.vocabSize])]), g.i64([0]), vocabLimit, g.i64([1])]); // [k, N]
  const max = g.op('ReduceMax', [live], { axes: [1], keepdims: 1 }); // [k, 1]
  const sumExp = g.op('ReduceSum', [g.op('Exp', [g.op('Sub', [live, max])]), g.i64([1])], { keepdims: 1 });
  const lse = g.op('Add', [max, g.op('Log', [sumExp])]); // [k, 1]: log Σ exp(logits)
  const picked = g.op('GatherElements', [live, targets], { axis: 1 }); // [k, 1]
  // `next` (ArgMax, int64) is an output of its own: casting it into a float row ran on the CPU
  // provider under WebGPU, which then waited for the GPU in the middle of every step
  return {
    next: g.op('ArgMax', [live], { axis: 1, keepdims: 0 }),
    rows: g.op('Sub', [g.op('Concat', [max, picked], { axis: 1 }), lse]), // log-softmax of the max and of the target
  };
}

/** Where a decoder's self-attention cache lives between steps (see the top of this file). */
export type KvCacheLayout = 'host' | 'device';

/**
 * Host cache: per-entry inputs past_j [1, P, H·dkv] (P may be 0) and cross_j [1, H, S, dkv];
 * attention reads Concat(past, this chunk) with no past of its own, and only this chunk's K/V
 * leave the graph (new_kv [2L, k, H·dkv], stacked by a Concat of k rows per entry).
 */
function hostCache(c: Ctx, bias: string): CacheIo {
  const { g } = c;
  const { numHeads: H, dKv, numDecoderLayers: L } = c.cfg;
  const entries = Array.from({ length: 2 * L }, (_, j) => j);
  const past = entries.map((j) => g.input(`past_${j}`, c.ct, [1, 'P', H * dKv]));
  const cross = entries.map((j) => g.input(`cross_${j}`, c.ct, [1, H, 'S', dKv]));
  const added: string[] = [];
  const self: SelfAttention = (q, k, v, i) => {
    const key = g.op('Concat', [past[2 * i]!, k], { axis: 1 }); // [1, P+k, H·dkv]
    const value = g.op('Concat', [past[2 * i + 1]!, v], { axis: 1 });
    added.push(k, v);
    return attention(c, q, key, value, bias)[0]!;
  };
  const output = (): void => g.output('new_kv', g.op('Concat', added, { axis: 0 }), c.ct, [2 * L, 'k', H * dKv]);
  return { self, cross, output };
}

/** Device cache: stacked past_kv (first P positions count) and cross_kv in, stacked present_kv out. */
function deviceCache(c: Ctx, bias: string, pastLen: string): CacheIo {
  const { g } = c;
  const { numHeads: H, dKv, numDecoderLayers: L } = c.cfg;
  // capacity C ≥ P; rows ≥ P are ignored, so truncating a cache is a change of P
  const pastKv = unstack(c, g.input('past_kv', c.ct, [2 * L, H, 'C', dKv]), pastLen);
  const cross = unstack(c, g.input('cross_kv', c.ct, [2 * L, H, 'S', dKv]));
  const present: string[] = [];
  const self: SelfAttention = (q, k, v, i) => {
    const [out, presentK, presentV] = attention(c, q, k, v, bias, [pastKv[2 * i]!, pastKv[2 * i + 1]!]);
    present.push(presentK!, presentV!);
    return out!;
  };
  const output = (): void => g.output('present_kv', g.op('Concat', present, { axis: 0 }), c.ct, [2 * L, H, 'T', dKv]);
  return { self, cross, output };
}

export function buildDecoder(cfg: T5Config, weights: WeightTable, compute: ComputeType = 'fp32', layout: KvCacheLayout = 'host'): GraphBuilder {
  const g = new GraphBuilder('t5_decoder');
  const c = ctx(g, cfg, weights, compute);
  // tokens: row 0 the chunk's ids, row 1 the token whose log-probability each row reports
  const tokens = g.input('tokens', DT.INT64, [2, 'k']);
  // causal buckets of (key − query) for queries P..P+k-1 and keys 0..P+k-1; masked keys use maskedBucket
  const buckets = g.input('position_bucket', DT.INT64, ['k', 'T']);
  const lengths = g.input('lengths', DT.INT64, [2]); // [past_len P, vocab_limit N]

  const [ids, targets] = g.opN('Split', [tokens, g.i64([1, 1])], 2, { axis: 0 }); // [1, k] each
  const [pastLen, vocabLimit] = g.opN('Split', [lengths, g.i64([1, 1])], 2, { axis: 0 });
  const bias = positionBias(c, 'dec.rel_bias', buckets); // [1, H, k, T]
  const cache = layout === 'host' ? hostCache(c, bias) : deviceCache(c, bias, pastLen!);
  const x = new Residual(c, embed(c, ids!)); // [1, k, d]
  for (let i = 0; i < cfg.numDecoderLayers; i++) decoderBlock(c, x, i, cache.self, [cache.cross[2 * i]!, cache.cross[2 * i + 1]!]);
  let h = x.norm('dec.final_ln');
  if (cfg.scaleDecoderOutputs) h = g.op('Mul', [h, g.float(c.ct, [cfg.dModel ** -0.5])]);
  const logits = cast(c, linear(c, h, 'head'), c.ct, DT.FLOAT); // [1, k, V]; softmax statistics in float32
  const heads = decodingHeads(c, logits, vocabLimit!, g.op('Reshape', [targets!, g.i64([-1, 1])]));
  g.output('next', heads.next, DT.INT64, ['k']); // greedy token of each row
  g.output('rows', heads.rows, DT.FLOAT, ['k', 2]); // max log-probability, target log-probability
  cache.output();
  g.output('logits', logits, DT.FLOAT, [1, 'k', cfg.vocabSize]);
  return g;
}

/**
 * The building blocks, for other graph layouts over the same weights (transformersjs-export.ts).
 * Activations are float32 there (compute 'fp32').
 */
export const t5Blocks = { ctx, W, embed, linear, Residual, splitLast, feedForward, attention, positionBias, toHeads };
export type T5Ctx = Ctx;
