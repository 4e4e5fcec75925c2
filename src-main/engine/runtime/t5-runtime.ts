import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import type { T5Config } from '../checkpoint/config';
import { UserError } from '../errors';
import { EXPORT_FILES, readManifest, type ExportManifest } from '../onnx/export-t5';
import { maskedBucket } from '../onnx/t5-graphs';
import { PositionBuckets } from './position-buckets';
import { createSession, type SessionOptions } from './session';

export interface RuntimeOptions extends SessionOptions {
  /** Softmax/argmax over the first N vocabulary rows (the tokenizer's length); default: all rows. */
  vocabLimit?: number;
  /** Decoder positions to preallocate caches for (BiLD's maxLength, start token included). */
  maxLength?: number;
}

/** One source sentence, encoded: what every decoder step of this model reuses. */
export interface EncodedSource {
  length: number;
  crossKv: ort.Tensor; // [L, 2, H, S, dkv]
  hidden?: Float32Array; // [S, d], kept only when asked (tests compare it with the reference)
}

/** Per chunk row: greedy token, its probability, log-probability of the caller's target token. */
export interface StepRows {
  next: number[];
  maxProb: Float32Array;
  targetLogprob: Float32Array;
  logits?: Float32Array; // [k, V], debug only
}

const i64 = (values: ArrayLike<number>): ort.Tensor => {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return new ort.Tensor('int64', data, [values.length]);
};

/** An exported T5 model on onnxruntime: encoder, cross-attention K/V and the cached decoder. */
export class T5Runtime {
  readonly cfg: T5Config;
  readonly buckets: PositionBuckets;
  readonly vocabLimit: number;
  readonly maxLength: number;

  private constructor(
    readonly dir: string,
    readonly manifest: ExportManifest,
    private readonly encoder: ort.InferenceSession,
    private readonly cross: ort.InferenceSession,
    readonly decoderSession: ort.InferenceSession,
    opts: RuntimeOptions,
  ) {
    this.cfg = manifest.config;
    this.maxLength = opts.maxLength ?? 128;
    this.buckets = new PositionBuckets(this.cfg, Math.max(this.maxLength, 512));
    this.vocabLimit = opts.vocabLimit ?? this.cfg.vocabSize;
    if (this.vocabLimit < 1 || this.vocabLimit > this.cfg.vocabSize)
      throw new UserError(`vocabulary limit ${this.vocabLimit} is outside 1..${this.cfg.vocabSize} (the model's vocab_size)`);
  }

  static async load(dir: string, opts: RuntimeOptions = {}): Promise<T5Runtime> {
    const manifest = readManifest(dir);
    if (!manifest) throw new UserError(`${dir}: not an exported model of this version (no valid ${EXPORT_FILES.manifest})`);
    const [enc, cross, dec] = await Promise.all(
      [EXPORT_FILES.encoder, EXPORT_FILES.crossKv, EXPORT_FILES.decoder].map((f) => createSession(join(dir, f), opts)),
    );
    return new T5Runtime(dir, manifest, enc!, cross!, dec!, opts);
  }

  async encode(ids: number[], keepHidden = false): Promise<EncodedSource> {
    if (ids.length === 0) throw new UserError('cannot encode an empty token sequence (the tokenizer appends </s>)');
    const S = ids.length;
    const { hidden } = await this.encoder.run({
      input_ids: i64(ids),
      position_bucket: new ort.Tensor('int64', this.buckets.encoder(S), [S, S]),
    });
    const { cross_kv } = await this.cross.run({ hidden: hidden! });
    return { length: S, crossKv: cross_kv!, hidden: keepHidden ? (hidden!.data as Float32Array) : undefined };
  }

  newDecoder(src: EncodedSource): DecoderCache {
    return new DecoderCache(this, src);
  }

  async release(): Promise<void> {
    await Promise.all([this.encoder.release(), this.cross.release(), this.decoderSession.release()]);
  }
}

/**
 * One model's decoder self-attention cache for one source. `extend` runs a chunk of new tokens at
 * positions fed..fed+k-1 and holds their cache rows tentatively; `commit` appends them, `discard`
 * drops them, `truncate` forgets positions ≥ n (the graph slices the cache to `past_len`, so a
 * rollback moves one number and copies nothing).
 */
export class DecoderCache {
  fed = 0;
  private cap: number;
  private buf: Float32Array<ArrayBuffer>;
  private pending?: { k: number; kv: Float32Array };
  private readonly blocks: number; // L · 2 · H
  private readonly dKv: number;

  constructor(
    private readonly model: T5Runtime,
    private readonly src: EncodedSource,
  ) {
    const { numDecoderLayers: L, numHeads: H, dKv } = model.cfg;
    this.blocks = L * 2 * H;
    this.dKv = dKv;
    this.cap = model.maxLength;
    this.buf = new Float32Array(this.blocks * this.cap * dKv);
  }

  async extend(chunk: number[], targets?: number[], withLogits = false): Promise<StepRows> {
    if (this.pending) throw new Error('DecoderCache.extend: commit or discard the previous extension first');
    const k = chunk.length;
    if (k === 0) throw new Error('DecoderCache.extend: empty chunk');
    const { cfg } = this.model;
    const P = this.fed;
    if (P + k > this.cap) this.grow(P + k);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: i64(chunk),
      target_ids: i64(targets ?? new Array<number>(k).fill(0)),
      position_bucket: new ort.Tensor('int64', this.model.buckets.decoder(P, k, maskedBucket(cfg)), [k, P + k]),
      past_len: i64([P]),
      past_kv: new ort.Tensor('float32', this.buf, [cfg.numDecoderLayers, 2, cfg.numHeads, this.cap, this.dKv]),
      cross_kv: this.src.crossKv,
      vocab_limit: i64([this.model.vocabLimit]),
    };
    const fetches = ['next_id', 'max_prob', 'target_logprob', 'new_kv'];
    if (withLogits) fetches.push('logits');
    const out = await this.model.decoderSession.run(feeds, fetches);
    this.pending = { k, kv: out.new_kv!.data as Float32Array };
    return {
      next: Array.from(out.next_id!.data as BigInt64Array, Number),
      maxProb: out.max_prob!.data as Float32Array,
      targetLogprob: out.target_logprob!.data as Float32Array,
      logits: withLogits ? (out.logits!.data as Float32Array) : undefined,
    };
  }

  /** Appends the pending rows at positions fed.. and advances `fed`. */
  commit(): void {
    const p = this.pending;
    if (!p) throw new Error('DecoderCache.commit: nothing pending');
    const rowLen = p.k * this.dKv;
    for (let b = 0; b < this.blocks; b++)
      this.buf.set(p.kv.subarray(b * rowLen, (b + 1) * rowLen), (b * this.cap + this.fed) * this.dKv);
    this.fed += p.k;
    this.pending = undefined;
  }

  discard(): void {
    this.pending = undefined;
  }

  truncate(n: number): void {
    this.pending = undefined;
    this.fed = Math.min(this.fed, n);
  }

  private grow(need: number): void {
    const cap = Math.max(need, this.cap * 2);
    const next = new Float32Array(this.blocks * cap * this.dKv);
    for (let b = 0; b < this.blocks; b++)
      next.set(this.buf.subarray(b * this.cap * this.dKv, (b * this.cap + this.fed) * this.dKv), b * cap * this.dKv);
    this.buf = next;
    this.cap = cap;
  }
}
