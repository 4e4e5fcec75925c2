// The seq2seq layout @huggingface/transformers (transformers.js 4.x) loads, over the same weights
// as this engine's export, so the peer benchmark compares decoders, not checkpoints:
//   onnx/encoder_model.onnx          input_ids, attention_mask [batch, S] -> last_hidden_state [batch, S, d]
//   onnx/decoder_model_merged.onnx   input_ids [batch, k], encoder_attention_mask, encoder_hidden_states,
//                                    past_key_values.{i}.{decoder,encoder}.{key,value} [batch, H, *, dkv],
//                                    use_cache_branch [1] -> logits [batch, k, V], present.{i}.*
// What transformers.js feeds (src/models/modeling_utils.js: seq2seq_forward, decoder_forward,
// addPastKeyValues, getPastKeyValues): on the first step empty past tensors whose symbolic dims
// resolve to 0 and use_cache_branch false; later the previous present.* with use_cache_branch true,
// and it keeps the first step's encoder K/V itself. So cross-attention K/V sit in an If on
// use_cache_branch (computed from encoder_hidden_states on the first step, passed through after),
// and relative position buckets are computed in the graph from the past length.
// Each graph has its own external data file (<file>_data, transformers.js's naming).
//
// Weights: fp32 as above, or int8/q4 (this project's own quantized export, t5-weights.ts, with the
// same block size and accuracy level options) under the file names transformers.js 4.x loads for
// its `dtype` option (utils/dtypes.js DEFAULT_DTYPE_SUFFIX_MAPPING, models/session.js):
//   dtype 'int8' -> onnx/encoder_model_int8.onnx, onnx/decoder_model_merged_int8.onnx (+ .onnx_data)
//   dtype 'q4'   -> onnx/encoder_model_q4.onnx,   onnx/decoder_model_merged_q4.onnx   (+ .onnx_data)
// These quantized files hold this project's MatMulNBits weights (com.microsoft MatMulNBits, 8- or
// 4-bit symmetric blocks, the decoding head at 8 bits), not what transformers.js's own quantizer
// writes (its q8/int8 models use MatMulInteger-style dynamic quantization, its q4 other blocks):
// a comparison over them is the same weights and the same kernels with a different engine around
// them. Several dtypes live in one folder: exporting one keeps the other dtypes' graphs already
// there when they were exported from the same checkpoint folder (carried over unchanged, by hard
// link where the file system allows), so the fp32 files of a folder stay byte for byte what an fp32
// export wrote.
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { T5Config } from '../checkpoint/config';
import { readT5Config } from '../checkpoint/config';
import { openCheckpoint } from '../checkpoint/open';
import { writingTo } from '../disk-errors';
import { UserError } from '../errors';
import { relativeBucket } from '../runtime/position-buckets';
import {
  externalDataOf,
  TRANSFORMERS_JS_DTYPES,
  TRANSFORMERS_JS_FILES,
  TRANSFORMERS_JS_SIDE_FILES,
  transformersJsFiles,
  type TransformersJsDType,
} from './export-files';
import { ExternalDataWriter } from './external-data';
import { checkOutDir, installExport, partialDir, readMarker, sweepPartialsOf, writeExportMarker } from './out-dir';
import { DT, GraphBuilder } from './graph-builder';
import { maskedBucket, t5Blocks as B, type LinearCtx, type T5Ctx } from './t5-graphs';
import { MASKED_SCORE, weightFormat, writeT5Weights, type WeightDType, type WeightTable } from './t5-weights';


/** Additive key mask [B, 1, 1, S] from a 0/1 mask [B, S]: 0 where 1, -1e9 where 0. */
function keyMaskBias(g: GraphBuilder, mask: string): string {
  const m = g.op('Cast', [mask], { to: DT.FLOAT });
  const bias = g.op('Mul', [g.op('Sub', [g.f32([1]), m]), g.f32([MASKED_SCORE])]);
  return g.op('Unsqueeze', [bias, g.i64([1, 2])]);
}

/** Scalar-ish [1] int64 size of `x` along `axis`. */
const dim = (g: GraphBuilder, x: string, axis: number): string => g.op('Shape', [x], { start: axis, end: axis + 1 });

/** Bucket ids [n, T] for query positions q [n] and key positions k [T] (relative r = key − query), via a lookup table over r. */
function bucketsFor(c: T5Ctx, g: GraphBuilder, q: string, k: string, bidirectional: boolean): string {
  const M = c.cfg.maxDistance; // buckets are constant beyond |r| = max_distance
  const table: number[] = [];
  for (let r = -M; r <= M; r++) table.push(bidirectional ? relativeBucket(r, true, c.cfg.numBuckets, M) : r > 0 ? maskedBucket(c.cfg) : relativeBucket(r, false, c.cfg.numBuckets, M));
  const r = g.op('Sub', [g.op('Unsqueeze', [k, g.i64([0])]), g.op('Unsqueeze', [q, g.i64([1])])]);
  const idx = g.op('Add', [g.op('Clip', [r, g.i64([-M], []), g.i64([M], [])]), g.i64([M], [])]);
  return g.op('Gather', [g.i64(table), idx], { axis: 0 });
}

function buildEncoderModel(cfg: T5Config, weights: WeightTable): GraphBuilder {
  const g = new GraphBuilder('t5_encoder_model');
  const c = B.ctx(g, cfg, weights, 'fp32');
  const ids = g.input('input_ids', DT.INT64, ['batch_size', 'encoder_sequence_length']);
  const mask = g.input('attention_mask', DT.INT64, ['batch_size', 'encoder_sequence_length']);
  const pos = g.op('Range', [g.i64([0], []), g.op('Squeeze', [dim(g, ids, 1), g.i64([0])]), g.i64([1], [])]);
  const bias = g.op('Add', [B.positionBias(c, 'enc.rel_bias', bucketsFor(c, g, pos, pos, true)), keyMaskBias(g, mask)]); // [B, H, S, S]
  const inner = cfg.numHeads * cfg.dKv;
  const x = new B.Residual(c, B.embed(c, ids));
  for (let i = 0; i < cfg.numLayers; i++) {
    const [q, k, v] = B.splitLast(c, B.linear(c, x.norm(`enc.${i}.ln1`), `enc.${i}.qkv`), 3, inner);
    x.add(B.linear(c, B.attention(c, q!, k!, v!, bias)[0]!, `enc.${i}.o`));
    x.add(B.feedForward(c, x.norm(`enc.${i}.ln_ff`), `enc.${i}`), DT.FLOAT);
  }
  g.output('last_hidden_state', x.norm('enc.final_ln'), DT.FLOAT, ['batch_size', 'encoder_sequence_length', cfg.dModel]);
  return g;
}

function buildDecoderMerged(cfg: T5Config, weights: WeightTable): GraphBuilder {
  const g = new GraphBuilder('t5_decoder_model_merged');
  const c = B.ctx(g, cfg, weights, 'fp32');
  const { numHeads: H, dKv, numDecoderLayers: L, dModel } = cfg;
  const inner = H * dKv;
  const ids = g.input('input_ids', DT.INT64, ['batch_size', 'decoder_sequence_length']);
  const encMask = g.input('encoder_attention_mask', DT.INT64, ['batch_size', 'encoder_sequence_length']);
  const enc = g.input('encoder_hidden_states', DT.FLOAT, ['batch_size', 'encoder_sequence_length', dModel]);
  const past: { dk: string; dv: string; ek: string; ev: string }[] = [];
  for (let i = 0; i < L; i++) {
    const p = (kind: string, len: string) => g.input(`past_key_values.${i}.${kind}`, DT.FLOAT, ['batch_size', H, len, dKv]);
    past.push({
      dk: p('decoder.key', 'past_decoder_sequence_length'),
      dv: p('decoder.value', 'past_decoder_sequence_length'),
      ek: p('encoder.key', 'encoder_sequence_length_out'),
      ev: p('encoder.value', 'encoder_sequence_length_out'),
    });
  }
  const useCache = g.input('use_cache_branch', DT.BOOL, [1]);

  // cross-attention K/V: from encoder_hidden_states on the first step, the fed-back past afterwards
  const withPast = new GraphBuilder('use_cache', 'then_');
  const fresh = new GraphBuilder('compute_cross_kv', 'else_');
  const crossNames: string[] = [];
  const quantized = weights.get('dec.0.cross_kv')?.quant !== undefined;
  // outer-scope initializers; quantized: MatMulNBits in the branch over outer-scope codes and scales
  const crossKv = quantized ? [] : Array.from({ length: L }, (_, i) => B.W(c, `dec.${i}.cross_kv`));
  const branch: LinearCtx = { ...c, g: { external: g.external.bind(g), op: fresh.op.bind(fresh), opN: fresh.opN.bind(fresh) } };
  for (let i = 0; i < L; i++) {
    const kv = quantized ? B.linear(branch, enc, `dec.${i}.cross_kv`) : fresh.op('MatMul', [enc, crossKv[i]!]);
    const [k, v] = fresh.opN('Split', [kv, fresh.i64([inner, inner])], 2, { axis: -1 });
    const shape = ['batch_size', H, 'encoder_sequence_length_out', dKv];
    for (const [name, branchOut, passThrough] of [
      [`cross_k_${i}`, B.toHeads(c, k!, fresh), past[i]!.ek],
      [`cross_v_${i}`, B.toHeads(c, v!, fresh), past[i]!.ev],
    ] as const) {
      fresh.output(`else_${name}`, branchOut, DT.FLOAT, shape);
      withPast.output(`then_${name}`, withPast.op('Identity', [passThrough]), DT.FLOAT, shape);
      crossNames.push(name);
    }
  }
  const cross = g.opN('If', [useCache], crossNames.length, { then_branch: { g: withPast.toGraph() }, else_branch: { g: fresh.toGraph() } });

  // positions: queries P..P+k-1 after P cached ones, keys 0..P+k-1
  const P = g.op('Squeeze', [dim(g, past[0]!.dk, 2), g.i64([0])]);
  const T = g.op('Add', [P, g.op('Squeeze', [dim(g, ids, 1), g.i64([0])])]);
  const qPos = g.op('Range', [P, T, g.i64([1], [])]);
  const kPos = g.op('Range', [g.i64([0], []), T, g.i64([1], [])]);
  const selfBias = B.positionBias(c, 'dec.rel_bias', bucketsFor(c, g, qPos, kPos, false)); // [1, H, k, T], causal
  const crossBias = keyMaskBias(g, encMask); // [B, 1, 1, S]

  const x = new B.Residual(c, B.embed(c, ids));
  const presents: [string, string][] = [];
  for (let i = 0; i < L; i++) {
    const [q, k, v] = B.splitLast(c, B.linear(c, x.norm(`dec.${i}.ln1`), `dec.${i}.qkv`), 3, inner);
    const pk = g.op('Concat', [past[i]!.dk, B.toHeads(c, k!, g)], { axis: 2 });
    const pv = g.op('Concat', [past[i]!.dv, B.toHeads(c, v!, g)], { axis: 2 });
    g.output(`present.${i}.decoder.key`, pk, DT.FLOAT, ['batch_size', H, 'present_decoder_sequence_length', dKv]);
    g.output(`present.${i}.decoder.value`, pv, DT.FLOAT, ['batch_size', H, 'present_decoder_sequence_length', dKv]);
    presents.push([cross[2 * i]!, cross[2 * i + 1]!]);
    x.add(B.linear(c, B.attention(c, q!, pk, pv, selfBias)[0]!, `dec.${i}.o`));
    const cq = B.linear(c, x.norm(`dec.${i}.ln2`), `dec.${i}.cross_q`);
    const ca = B.attention(c, cq, cross[2 * i]!, cross[2 * i + 1]!, g.op('Expand', [crossBias, g.op('Concat', [g.i64([1, 1]), dim(g, cq, 1), g.i64([1])], { axis: 0 })]));
    x.add(B.linear(c, ca[0]!, `dec.${i}.cross_o`));
    x.add(B.feedForward(c, x.norm(`dec.${i}.ln_ff`), `dec.${i}`), DT.FLOAT);
  }
  let h = x.norm('dec.final_ln');
  if (cfg.scaleDecoderOutputs) h = g.op('Mul', [h, g.f32([dModel ** -0.5])]);
  g.output('logits', B.linear(c, h, 'head'), DT.FLOAT, ['batch_size', 'decoder_sequence_length', cfg.vocabSize]);
  presents.forEach(([k, v], i) => {
    g.output(`present.${i}.encoder.key`, k, DT.FLOAT, ['batch_size', H, 'encoder_sequence_length_out', dKv]);
    g.output(`present.${i}.encoder.value`, v, DT.FLOAT, ['batch_size', H, 'encoder_sequence_length_out', dKv]);
  });
  return g;
}

export { TRANSFORMERS_JS_DTYPES, TRANSFORMERS_JS_FILES, transformersJsFiles, type TransformersJsDType };

/** The weights of a transformers.js export: as this project's export takes them (ExportOptions). */
export interface TransformersJsExportOptions {
  /** fp32 (default), int8 or q4 (fp16 is refused: transformers.js's fp16 models compute in fp16, this export does not). */
  dtype?: WeightDType;
  /** int8/q4 only: values per quantization block (default 32). */
  blockSize?: number;
  /** int8/q4 only: MatMulNBits accuracy_level 0..4 (default 4). */
  accuracyLevel?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Writes the checkpoint's graphs at `dtype` into `outDir` as a transformers.js model folder:
 * loadable with AutoModelForSeq2SeqLM.from_pretrained(outDir, { local_files_only: true, dtype }).
 * The other dtypes' graphs already in the folder are kept.
 */
export async function exportTransformersJs(checkpointDir: string, outDir: string, opts: TransformersJsExportOptions = {}): Promise<void> {
  const { onProgress, signal } = opts;
  const format = weightFormat(opts);
  const dtype = format.dtype;
  if (!(TRANSFORMERS_JS_DTYPES as readonly string[]).includes(dtype))
    throw new UserError(`the transformers.js layout is written at ${TRANSFORMERS_JS_DTYPES.join(', ')} only (dtype ${dtype})`);
  const files = transformersJsFiles(dtype as TransformersJsDType);
  const cfg = readT5Config(checkpointDir);
  checkOutDir(outDir, checkpointDir);
  sweepPartialsOf(outDir);
  const reader = await openCheckpoint(checkpointDir);
  const tmp = partialDir(outDir);
  // a failure writing the export names --out; any other (reading the checkpoint) its own file
  const toOut = <T>(write: () => T): T => writingTo(outDir, write);
  try {
    const graphs = [
      { file: files.encoder, only: (k: string) => k === 'embed' || k.startsWith('enc.'), build: buildEncoderModel },
      { file: files.decoder, only: (k: string) => k === 'embed' || k === 'head' || k.startsWith('dec.'), build: buildDecoderMerged },
    ];
    for (const [n, gr] of graphs.entries()) {
      toOut(() => mkdirSync(dirname(join(tmp, gr.file)), { recursive: true }));
      const writer = new ExternalDataWriter(join(tmp, externalDataOf(gr.file)), outDir);
      let weights: WeightTable;
      try {
        weights = await writeT5Weights(reader, cfg, writer, format, onProgress && ((d, t) => onProgress(n * t + d, 2 * t)), signal, gr.only);
      } finally {
        writer.close();
      }
      toOut(() => writeFileSync(join(tmp, gr.file), gr.build(cfg, weights).toBytes({ exporter: 'bild-bench', layout: 'transformers.js' })));
    }
    const side = new Map<string, string | Buffer>();
    for (const f of TRANSFORMERS_JS_SIDE_FILES) if (existsSync(join(checkpointDir, f))) side.set(f, readFileSync(join(checkpointDir, f)));
    side.set('generation_config.json', side.get('generation_config.json') ?? JSON.stringify({ decoder_start_token_id: cfg.decoderStartId, eos_token_id: cfg.eosId, pad_token_id: cfg.decoderStartId }, null, 2));
    // transformers.js reads model_type from config.json; refuse a folder it could not use
    const config = JSON.parse(side.get('config.json')!.toString()) as { model_type?: string };
    if (config.model_type !== 't5' && config.model_type !== 'mt5') config.model_type = 't5';
    side.set('config.json', JSON.stringify(config, null, 2));
    toOut(() => {
      for (const [f, data] of side) writeFileSync(join(tmp, f), data);
      writeExportMarker(tmp, 'transformers.js', checkpointDir);
      keepOtherDtypes(outDir, tmp, dtype as TransformersJsDType, checkpointDir);
      installExport(tmp, outDir, checkpointDir);
    });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    await reader.close();
  }
}

/**
 * Carries the other dtypes' graphs (each with its external data) from the folder being replaced
 * into the new one, unchanged: hard links (no copy of gigabytes), a copy where links fail. A dtype
 * is carried only whole (both graphs and both data files), and only from a transformers.js export
 * of the same checkpoint folder (another checkpoint's graphs beside this one's config would load
 * and decode wrongly); checkOutDir has already refused a folder holding anything an export did not write.
 */
function keepOtherDtypes(outDir: string, tmp: string, written: TransformersJsDType, checkpointDir: string): void {
  const marker = readMarker(outDir);
  if (marker?.layout !== 'transformers.js' || resolve(marker.source) !== resolve(checkpointDir)) return;
  for (const dtype of TRANSFORMERS_JS_DTYPES) {
    if (dtype === written) continue;
    const paths = Object.values(transformersJsFiles(dtype)).flatMap((f) => [f, externalDataOf(f)]);
    if (!paths.every((f) => existsSync(join(outDir, f)))) continue;
    for (const f of paths) {
      mkdirSync(dirname(join(tmp, f)), { recursive: true });
      try {
        linkSync(join(outDir, f), join(tmp, f));
      } catch {
        copyFileSync(join(outDir, f), join(tmp, f));
      }
    }
  }
}
