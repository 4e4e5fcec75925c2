// The T5/mT5 forward pass as three ONNX graphs (batch 1, so activations are [rows, features]):
//   encoder:  input_ids [S]                     -> hidden [S, d]
//   cross-kv: hidden [S, d]                     -> cross_kv [Ld, 2, H, S, dkv]   (once per source)
//   decoder:  k new tokens at positions P..P+k-1 + the self-attention cache of P tokens
//             -> per-row argmax, max probability, log-probability of a given token; new cache rows
// One function per block, in the order of HF's modeling_t5.py.
import type { T5Config } from '../checkpoint/config';
import { DT, GraphBuilder } from './graph-builder';
import type { WeightTable } from './t5-weights';

/** Bucket id the decoder uses for "key after query": gathers a -1e9 row (causal mask). */
export const maskedBucket = (cfg: T5Config): number => cfg.numBuckets;
const MASK = -1e9;

interface Ctx {
  g: GraphBuilder;
  cfg: T5Config;
  weights: WeightTable;
}

/** A stored weight as float32 (fp16 exports keep fp16 on disk; onnxruntime folds the Cast at load). */
function W(c: Ctx, key: string): string {
  const w = c.weights.get(key);
  if (!w) throw new Error(`exporter bug: weight '${key}' was not written`);
  const name = c.g.external(key, w.dataType, w.dims, w.ref);
  return w.dataType === DT.FLOAT ? name : c.g.op('Cast', [name], { to: DT.FLOAT });
}

/** Embedding rows for token ids [n] -> [n, d]; fp16 tables are gathered before the cast. */
function embed(c: Ctx, ids: string): string {
  const w = c.weights.get('embed')!;
  const table = c.g.external('embed', w.dataType, w.dims, w.ref);
  const rows = c.g.op('Gather', [table, ids], { axis: 0 });
  return w.dataType === DT.FLOAT ? rows : c.g.op('Cast', [rows], { to: DT.FLOAT });
}

/** x @ Wᵀ with W in PyTorch's [out, in] layout. */
const linear = (c: Ctx, x: string, key: string): string => c.g.op('Gemm', [x, W(c, key)], { transB: 1 });

/** RMS norm: x · w / sqrt(mean(x²) + eps), no mean subtraction, no bias. */
function rmsNorm(c: Ctx, x: string, key: string): string {
  const { g } = c;
  const variance = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 }); // [n, 1]
  const denom = g.op('Sqrt', [g.op('Add', [variance, g.f32([c.cfg.eps])])]);
  return g.op('Mul', [g.op('Div', [x, denom]), W(c, key)]);
}

/** [n, H·dkv] -> [H, n, dkv] */
function splitHeads(c: Ctx, x: string): string {
  const r = c.g.op('Reshape', [x, c.g.i64([0, c.cfg.numHeads, c.cfg.dKv])]);
  return c.g.op('Transpose', [r], { perm: [1, 0, 2] });
}

/** [H, n, dkv] -> [n, H·dkv] */
function mergeHeads(c: Ctx, x: string): string {
  const t = c.g.op('Transpose', [x], { perm: [1, 0, 2] });
  return c.g.op('Reshape', [t, c.g.i64([0, -1])]);
}

/** softmax(q·kᵀ + bias) · v; T5 does not scale scores by 1/sqrt(dkv). q [H,n,dkv], k/v [H,T,dkv] -> [H,n,dkv] */
function attend(c: Ctx, q: string, k: string, v: string, bias?: string): string {
  const { g } = c;
  let scores = g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 2, 1] })]); // [H, n, T]
  if (bias) scores = g.op('Add', [scores, bias]);
  return g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
}

/** Splits a fused [n, parts·w] projection into `parts` tensors of [n, w]. */
function splitColumns(c: Ctx, x: string, parts: number, width: number): string[] {
  return c.g.opN('Split', [x, c.g.i64(Array(parts).fill(width))], parts, { axis: 1 });
}

/** gelu_new: 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))) */
function geluNew(c: Ctx, x: string): string {
  const { g } = c;
  const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [x3, g.f32([0.044715])])]), g.f32([Math.sqrt(2 / Math.PI)])]);
  return g.op('Mul', [g.op('Mul', [x, g.f32([0.5])]), g.op('Add', [g.op('Tanh', [inner]), g.f32([1])])]);
}

/** relu: wo(relu(wi x));  gated-gelu: wo(gelu_new(wi_0 x) ⊙ wi_1 x) */
function feedForward(c: Ctx, x: string, prefix: string): string {
  const h = linear(c, x, `${prefix}.wi`);
  if (c.cfg.ffProj === 'relu') return linear(c, c.g.op('Relu', [h]), `${prefix}.wo`);
  const [gate, up] = splitColumns(c, h, 2, c.cfg.dFf);
  return linear(c, c.g.op('Mul', [geluNew(c, gate!), up!]), `${prefix}.wo`);
}

/** Self-attention projections of x [n, d]: q, k, v as [H, n, dkv]. */
function qkv(c: Ctx, x: string, prefix: string): [string, string, string] {
  const inner = c.cfg.numHeads * c.cfg.dKv;
  const [q, k, v] = splitColumns(c, linear(c, x, `${prefix}.qkv`), 3, inner).map((t) => splitHeads(c, t));
  return [q!, k!, v!];
}

/** Relative position bias [H, n, T] from bucket ids [n, T] (layer 0's table serves every layer). */
function positionBias(c: Ctx, table: string, buckets: string): string {
  return c.g.op('Transpose', [c.g.op('Gather', [table, buckets], { axis: 0 })], { perm: [2, 0, 1] });
}

function encoderBlock(c: Ctx, x: string, i: number, bias: string): string {
  const [q, k, v] = qkv(c, rmsNorm(c, x, `enc.${i}.ln1`), `enc.${i}`);
  x = c.g.op('Add', [x, linear(c, mergeHeads(c, attend(c, q, k, v, bias)), `enc.${i}.o`)]);
  return c.g.op('Add', [x, feedForward(c, rmsNorm(c, x, `enc.${i}.ln_ff`), `enc.${i}`)]);
}

export function buildEncoder(cfg: T5Config, weights: WeightTable): GraphBuilder {
  const g = new GraphBuilder('t5_encoder');
  const c: Ctx = { g, cfg, weights };
  const ids = g.input('input_ids', DT.INT64, ['S']);
  const buckets = g.input('position_bucket', DT.INT64, ['S', 'S']); // bidirectional buckets of (key − query)
  const bias = positionBias(c, W(c, 'enc.rel_bias'), buckets);
  let x = embed(c, ids); // [S, d]
  for (let i = 0; i < cfg.numLayers; i++) x = encoderBlock(c, x, i, bias);
  g.output('hidden', rmsNorm(c, x, 'enc.final_ln'), DT.FLOAT, ['S', cfg.dModel]);
  return g;
}

/** Stacks per-layer [2, H, n, dkv] pairs into [L, 2, H, n, dkv]. */
function stackLayers(c: Ctx, pairs: [string, string][]): string {
  const { g } = c;
  const zero = g.i64([0]);
  const layers = pairs.map(([k, v]) => g.op('Unsqueeze', [g.op('Concat', [g.op('Unsqueeze', [k, zero]), g.op('Unsqueeze', [v, zero])], { axis: 0 }), zero]));
  return layers.length === 1 ? layers[0]! : g.op('Concat', layers, { axis: 0 });
}

export function buildCrossKv(cfg: T5Config, weights: WeightTable): GraphBuilder {
  const g = new GraphBuilder('t5_cross_kv');
  const c: Ctx = { g, cfg, weights };
  const hidden = g.input('hidden', DT.FLOAT, ['S', cfg.dModel]);
  const inner = cfg.numHeads * cfg.dKv;
  const pairs: [string, string][] = [];
  for (let i = 0; i < cfg.numDecoderLayers; i++) {
    const [k, v] = splitColumns(c, linear(c, hidden, `dec.${i}.cross_kv`), 2, inner).map((t) => splitHeads(c, t));
    pairs.push([k!, v!]);
  }
  g.output('cross_kv', stackLayers(c, pairs), DT.FLOAT, [cfg.numDecoderLayers, 2, cfg.numHeads, 'S', cfg.dKv]);
  return g;
}

/** Layer i's K or V ([H, T, dkv]) from a stacked [L, 2, H, T, dkv] cache. */
function layerCache(c: Ctx, stacked: string, i: number, kv: 0 | 1): string {
  const layer = c.g.op('Gather', [stacked, c.g.i64([i], [])], { axis: 0 });
  return c.g.op('Gather', [layer, c.g.i64([kv], [])], { axis: 0 });
}

function decoderBlock(c: Ctx, x: string, i: number, bias: string, past: string, cross: string): { x: string; kv: [string, string] } {
  const { g } = c;
  // self-attention over the cached prefix plus this chunk
  const [q, k, v] = qkv(c, rmsNorm(c, x, `dec.${i}.ln1`), `dec.${i}`);
  const keys = g.op('Concat', [layerCache(c, past, i, 0), k], { axis: 1 }); // [H, P+k, dkv]
  const values = g.op('Concat', [layerCache(c, past, i, 1), v], { axis: 1 });
  x = g.op('Add', [x, linear(c, mergeHeads(c, attend(c, q, keys, values, bias)), `dec.${i}.o`)]);
  // cross-attention over the encoder output (K/V precomputed once per source; batch 1: no padding mask)
  const cq = splitHeads(c, linear(c, rmsNorm(c, x, `dec.${i}.ln2`), `dec.${i}.cross_q`));
  const ca = attend(c, cq, layerCache(c, cross, i, 0), layerCache(c, cross, i, 1));
  x = g.op('Add', [x, linear(c, mergeHeads(c, ca), `dec.${i}.cross_o`)]);
  x = g.op('Add', [x, feedForward(c, rmsNorm(c, x, `dec.${i}.ln_ff`), `dec.${i}`)]);
  return { x, kv: [k, v] };
}

/**
 * What decoding needs from logits [k, V], over the first `vocab_limit` rows only (the tokenizer's
 * length): argmax, max softmax probability, and log-softmax of a caller-given token per row.
 */
function decodingHeads(c: Ctx, logits: string, vocabLimit: string, targets: string): { next: string; maxProb: string; logprob: string } {
  const { g } = c;
  const live = g.op('Slice', [logits, g.i64([0]), vocabLimit, g.i64([1])]); // [k, N]
  const max = g.op('ReduceMax', [live], { axes: [1], keepdims: 1 }); // [k, 1]
  const sumExp = g.op('ReduceSum', [g.op('Exp', [g.op('Sub', [live, max])]), g.i64([1])], { keepdims: 1 });
  const lse = g.op('Add', [max, g.op('Log', [sumExp])]); // log Σ exp(logits)
  const flat = (t: string) => g.op('Reshape', [t, g.i64([-1])]);
  const picked = g.op('GatherElements', [live, g.op('Unsqueeze', [targets, g.i64([1])])], { axis: 1 });
  return {
    next: g.op('ArgMax', [live], { axis: 1, keepdims: 0 }),
    maxProb: flat(g.op('Exp', [g.op('Sub', [max, lse])])),
    logprob: flat(g.op('Sub', [picked, lse])),
  };
}

export function buildDecoder(cfg: T5Config, weights: WeightTable): GraphBuilder {
  const g = new GraphBuilder('t5_decoder');
  const c: Ctx = { g, cfg, weights };
  const { numDecoderLayers: L, numHeads: H, dKv } = cfg;
  const ids = g.input('input_ids', DT.INT64, ['k']);
  const targets = g.input('target_ids', DT.INT64, ['k']);
  // causal buckets of (key − query) for queries P..P+k-1 and keys 0..P+k-1; masked keys use maskedBucket
  const buckets = g.input('position_bucket', DT.INT64, ['k', 'T']);
  const pastLen = g.input('past_len', DT.INT64, [1]);
  const pastKv = g.input('past_kv', DT.FLOAT, [L, 2, H, 'C', dKv]); // capacity C ≥ P; rows ≥ P are ignored
  const crossKv = g.input('cross_kv', DT.FLOAT, [L, 2, H, 'S', dKv]);
  const vocabLimit = g.input('vocab_limit', DT.INT64, [1]);

  const past = g.op('Slice', [pastKv, g.i64([0]), pastLen, g.i64([3])]); // [L, 2, H, P, dkv]
  const table = g.op('Concat', [W(c, 'dec.rel_bias'), g.f32(Array(H).fill(MASK), [1, H])], { axis: 0 });
  const bias = positionBias(c, table, buckets); // [H, k, T]
  let x = embed(c, ids); // [k, d]
  const pairs: [string, string][] = [];
  for (let i = 0; i < L; i++) {
    const out = decoderBlock(c, x, i, bias, past, crossKv);
    x = out.x;
    pairs.push(out.kv);
  }
  let h = rmsNorm(c, x, 'dec.final_ln');
  if (cfg.scaleDecoderOutputs) h = g.op('Mul', [h, g.f32([cfg.dModel ** -0.5])]);
  const logits = linear(c, h, 'head'); // [k, V]
  const heads = decodingHeads(c, logits, vocabLimit, targets);
  g.output('next_id', heads.next, DT.INT64, ['k']);
  g.output('max_prob', heads.maxProb, DT.FLOAT, ['k']);
  g.output('target_logprob', heads.logprob, DT.FLOAT, ['k']);
  g.output('new_kv', stackLayers(c, pairs), DT.FLOAT, [L, 2, H, 'k', dKv]);
  g.output('logits', logits, DT.FLOAT, ['k', cfg.vocabSize]);
  return g;
}
