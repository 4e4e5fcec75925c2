import * as ort from 'onnxruntime-node';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { T5Config } from '../checkpoint/config';
import { UserError } from '../errors';
import { EXPORT_FILES, readManifest, type ExportManifest } from '../onnx/export-t5';
import { maskedBucket, type KvCacheLayout } from '../onnx/t5-graphs';
import { PositionBuckets } from './position-buckets';
import { Drafter } from './drafter-client';
import { DEVICE_EPS, Session, yieldIfDue, type ExecutionProvider, type SessionOptions } from './session';

export interface RuntimeOptions extends SessionOptions {
  /** Softmax/argmax over the first N vocabulary rows (the tokenizer's length); default: all rows. */
  vocabLimit?: number;
  /** Decoder positions a generation may reach (BiLD's maxLength, start token included); default 128. */
  maxLength?: number;
  /**
   * Where the decoder's self-attention cache lives between steps (t5-graphs.ts): default 'host' on
   * the CPU provider, 'device' on the others (see kvCacheOf); tests and benchmarks set it to
   * compare the two layouts on one provider.
   */
  kvCache?: KvCacheLayout;
}

/** One source sentence, encoded: what every decoder step of this model reuses. */
export interface EncodedSource {
  length: number;
  /** Cross-attention K/V of every decoder layer [2L, H, S, dkv], fed to every decoder step. */
  crossKv: ort.Tensor;
  /** Host cache layout: crossKv's 2L entries [1, H, S, dkv], views into its data (no copy). */
  crossEntries?: ort.Tensor[];
  hidden?: Float32Array; // [S, d], kept only when asked (tests compare it with the reference)
}

/** Per chunk row: greedy token, its probability, log-probability of the caller's target token. */
export interface StepRows {
  next: number[];
  maxProb: Float32Array;
  targetLogprob: Float32Array;
  logits?: Float32Array; // [k, V], debug only
}

const i64 = (values: ArrayLike<number>, dims: number[] = [values.length]): ort.Tensor => {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return new ort.Tensor('int64', data, dims);
};

/** A cache tensor over `data`: float32, or float16 bits in a Uint16Array (fp16 compute). */
const kvTensor = (data: Float32Array | Uint16Array, dims: number[]): ort.Tensor =>
  data instanceof Float32Array ? new ort.Tensor('float32', data, dims) : new ort.Tensor('float16', data, dims);

/** n zeros of the cache's element type: float32, or float16 bits (fp16 compute). */
const zeros = (compute: ExportManifest['compute'], n: number): Float32Array | Uint16Array => (compute === 'fp16' ? new Uint16Array(n) : new Float32Array(n));

/**
 * A float16 output's bits as a Uint16Array view: a binding may hand float16 data back as a
 * Float16Array, which Uint16Array.set would convert value by value instead of copying bits.
 */
const bitsOf = (data: ArrayBufferView): Float32Array | Uint16Array =>
  data instanceof Float32Array ? data : new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);

interface Sessions {
  encoder: Session;
  decoder: Session;
}

/**
 * A provider's cache layout: host on the CPU provider only. The host layout's first step feeds
 * zero-length past inputs, which the CPU provider takes; DirectML and CoreML, which no machine
 * here can run, keep the layout they ran before exporter v10 (device, its outputs coming back to JS).
 */
export const defaultKvCache = (ep: ExecutionProvider = 'cpu'): KvCacheLayout => (ep === 'cpu' ? 'host' : 'device');
const kvCacheOf = (opts: RuntimeOptions): KvCacheLayout => opts.kvCache ?? defaultKvCache(opts.ep);

/** Device layout: cross-attention K/V and the self-attention cache stay on the device; JS reads only `next` and `rows`. */
const openSessions = (dir: string, opts: RuntimeOptions): Sessions =>
  kvCacheOf(opts) === 'device'
    ? {
        encoder: Session.create(join(dir, EXPORT_FILES.encoder), opts, ['cross_kv']),
        decoder: Session.create(join(dir, EXPORT_FILES.decoderDevice), opts, ['present_kv']),
      }
    : { encoder: Session.create(join(dir, EXPORT_FILES.encoder), opts), decoder: Session.create(join(dir, EXPORT_FILES.decoder), opts) };

/** An exported T5 model on onnxruntime: the encoder (with the cross-attention K/V) and the cached decoder. */
export class T5Runtime {
  readonly cfg: T5Config;
  readonly buckets: PositionBuckets;
  readonly vocabLimit: number;
  readonly maxLength: number;
  readonly kvCache: KvCacheLayout;

  private constructor(
    readonly dir: string,
    readonly manifest: ExportManifest,
    private readonly sessions: Sessions,
    private readonly opts: RuntimeOptions,
  ) {
    this.cfg = manifest.config;
    this.maxLength = opts.maxLength ?? 128;
    this.kvCache = kvCacheOf(opts);
    this.buckets = new PositionBuckets(this.cfg, Math.max(this.maxLength, 512));
    this.vocabLimit = opts.vocabLimit ?? this.cfg.vocabSize;
    if (this.vocabLimit < 1 || this.vocabLimit > this.cfg.vocabSize)
      throw new UserError(`vocabulary limit ${this.vocabLimit} is outside 1..${this.cfg.vocabSize} (the model's vocab_size)`);
  }

  static async load(dir: string, opts: RuntimeOptions = {}): Promise<T5Runtime> {
    const manifest = readManifest(dir);
    if (!manifest) throw new UserError(`${dir}: not an exported model of this version (no valid ${EXPORT_FILES.manifest})`);
    return new T5Runtime(dir, manifest, openSessions(dir, opts), opts);
  }

  async encode(ids: number[], keepHidden = false): Promise<EncodedSource> {
    if (ids.length === 0) throw new UserError('cannot encode an empty token sequence (the tokenizer appends </s>)');
    const S = ids.length;
    await yieldIfDue();
    const { hidden, cross_kv } = this.sessionsFor(keepHidden).encoder.run(
      { input_ids: i64(ids, [1, S]), position_bucket: new ort.Tensor('int64', this.buckets.encoder(S), [S, S]) },
      keepHidden ? ['cross_kv', 'hidden'] : ['cross_kv'],
    );
    const crossEntries = this.kvCache === 'host' ? this.crossEntries(cross_kv!, S) : undefined;
    return { length: S, crossKv: cross_kv!, crossEntries, hidden: keepHidden ? (hidden!.data as Float32Array) : undefined };
  }

  /** The 2L entries [1, H, S, dkv] of a host cross_kv [2L, H, S, dkv], as views of its data. */
  private crossEntries(crossKv: ort.Tensor, S: number): ort.Tensor[] {
    const { numDecoderLayers: L, numHeads: H, dKv } = this.cfg;
    const entry = H * S * dKv;
    const data = crossKv.data as Float32Array | Uint16Array;
    return Array.from({ length: 2 * L }, (_, j) => kvTensor(data.subarray(j * entry, (j + 1) * entry), [1, H, S, dKv]));
  }

  private debugSessions?: Sessions;

  /**
   * The sessions for a run; `debug`: it fetches `hidden` or `logits`. On GPU providers, a session
   * that once returned an optional output fails later runs that do not fetch it (onnxruntime-node
   * 1.30: "Tensor size mismatch", it reuses the earlier output shape), so debug runs (tests) use
   * sessions of their own.
   */
  sessionsFor(debug: boolean): Sessions {
    if (!debug || !DEVICE_EPS.includes(this.opts.ep ?? 'cpu')) return this.sessions;
    return (this.debugSessions ??= openSessions(this.dir, this.opts));
  }

  /** Intra-op threads of the sessions (0: onnxruntime's default). */
  get threads(): number {
    return this.opts.threads ?? 0;
  }

  newDecoder(src: EncodedSource): DecoderCache {
    return new DecoderCache(this, src);
  }

  private drafterStart?: Promise<Drafter>;

  /**
   * A second instance of this model in a worker thread, drafting for pipelined BiLD; started on
   * first use (again after a failed start or a dead worker). One intra-op thread unless the model
   * was given a count: the other cores are the large model's (verifier()).
   */
  async drafter(): Promise<Drafter> {
    const threads = this.opts.threads || 1;
    const start = (this.drafterStart ??= Drafter.start(this.dir, { ...this.opts, threads }));
    try {
      const d = await start;
      if (!d.isDead) return d;
    } catch (err) {
      if (this.drafterStart === start) this.drafterStart = undefined;
      throw err;
    }
    if (this.drafterStart === start) this.drafterStart = undefined;
    return this.drafter();
  }

  private verifierLoad?: Promise<T5Runtime>;

  /**
   * This model as pipelined BiLD's large model: its sessions leave one core to the drafter. Itself
   * when its intra-op threads already do (or there is one core); else a second instance with one
   * thread fewer than the cores, loaded on first use (measured: onnxruntime's thread pool
   * competing with the drafter for a core made both slower than one thread less).
   */
  verifier(): Promise<T5Runtime> {
    const cores = availableParallelism();
    const threads = this.opts.threads ?? 0;
    if (cores === 1 || (threads >= 1 && threads < cores)) return Promise.resolve(this);
    const load = (this.verifierLoad ??= T5Runtime.load(this.dir, { ...this.opts, threads: cores - 1 }));
    load.catch(() => {
      if (this.verifierLoad === load) this.verifierLoad = undefined;
    });
    return load;
  }

  async release(): Promise<void> {
    for (const s of [this.sessions, this.debugSessions]) {
      s?.encoder.release();
      s?.decoder.release();
    }
    this.debugSessions = undefined;
    const [drafter, verifier] = [this.drafterStart, this.verifierLoad];
    this.drafterStart = this.verifierLoad = undefined;
    await drafter?.then((d) => d.close(), () => undefined);
    await verifier?.then((v) => v.release(), () => undefined);
  }
}

/** A chunk's K/V as the decoder hands it back: new_kv [2L, k, H·dkv] (host) or present_kv [2L, H, P+k, dkv] (device). */
interface KvStore {
  readonly output: 'new_kv' | 'present_kv';
  /** The cache inputs for a step over the first P positions. */
  feeds(P: number): Record<string, ort.Tensor>;
  /** Keeps a step's output: the cache then holds positions 0..P+k-1. */
  commit(P: number, k: number, out: ort.Tensor): void;
  /** Drops a step's output that is not kept. */
  drop(out: ort.Tensor): void;
  dispose(): void;
}

/**
 * The device layout's cache: the last present_kv, [2L, H, C ≥ fed, dkv], on GPU providers a
 * device tensor. The graph reads only the first `fed` positions: no copy, no trip through host memory.
 */
class DeviceKv implements KvStore {
  readonly output = 'present_kv';
  private cache: ort.Tensor;

  constructor(
    cfg: T5Config,
    compute: ExportManifest['compute'],
    private readonly src: EncodedSource,
  ) {
    const { numDecoderLayers: L, numHeads: H, dKv } = cfg;
    // one zero position to start with: past_len 0 ignores it (zero-sized inputs trip some providers)
    const n = 2 * L * H * dKv;
    this.cache = kvTensor(zeros(compute, n), [2 * L, H, 1, dKv]);
  }

  feeds(): Record<string, ort.Tensor> {
    return { past_kv: this.cache, cross_kv: this.src.crossKv };
  }

  commit(_P: number, _k: number, out: ort.Tensor): void {
    release(this.cache);
    this.cache = out;
  }

  drop(out: ort.Tensor): void {
    release(out);
  }

  dispose(): void {
    release(this.cache);
  }
}

/**
 * The host layout's cache: one JS buffer [2L, capacity, H·dkv] that each commit appends a chunk's
 * rows to; a step's inputs are views of each entry's first P rows. Capacity doubles when a chunk
 * does not fit (copying what is kept), up to the model's maxLength, so a short sentence never pays
 * for maxLength positions and a long one never for twice as many.
 */
class HostKv implements KvStore {
  readonly output = 'new_kv';
  private buf: Float32Array | Uint16Array;
  private capacity: number;
  private readonly entries: number;
  private readonly row: number;

  constructor(
    cfg: T5Config,
    private readonly compute: ExportManifest['compute'],
    private readonly src: EncodedSource,
    private readonly maxLength: number,
  ) {
    this.entries = 2 * cfg.numDecoderLayers;
    this.row = cfg.numHeads * cfg.dKv;
    this.capacity = Math.max(1, Math.min(16, maxLength));
    this.buf = zeros(compute, this.entries * this.capacity * this.row);
  }

  feeds(P: number): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    const stride = this.capacity * this.row;
    for (let j = 0; j < this.entries; j++) {
      feeds[`past_${j}`] = kvTensor(this.buf.subarray(j * stride, j * stride + P * this.row), [1, P, this.row]);
      feeds[`cross_${j}`] = this.src.crossEntries![j]!;
    }
    return feeds;
  }

  commit(P: number, k: number, out: ort.Tensor): void {
    if (P + k > this.capacity) {
      let capacity = this.capacity;
      while (capacity < P + k) capacity *= 2;
      capacity = Math.max(P + k, Math.min(capacity, this.maxLength));
      const grown = zeros(this.compute, this.entries * capacity * this.row);
      for (let j = 0; j < this.entries; j++) grown.set(this.buf.subarray(j * this.capacity * this.row, (j * this.capacity + P) * this.row), j * capacity * this.row);
      [this.buf, this.capacity] = [grown, capacity];
    }
    const rows = bitsOf(out.data as ArrayBufferView); // [2L, k, H·dkv]
    const chunk = k * this.row;
    for (let j = 0; j < this.entries; j++) this.buf.set(rows.subarray(j * chunk, (j + 1) * chunk), (j * this.capacity + P) * this.row);
  }

  drop(): void {}

  dispose(): void {}
}

/**
 * One model's decoder self-attention cache for one source. `extend` runs a chunk of new tokens at
 * positions fed..fed+k-1 and holds the chunk's K/V tentatively; `commit` keeps it, `discard`
 * drops it, `truncate` forgets positions ≥ n (the graph reads only the first `fed` positions, so a
 * rollback changes one number: no copy, no trip through host memory on a GPU).
 */
export class DecoderCache {
  fed = 0;
  private readonly store: KvStore;
  private pending?: { k: number; out: ort.Tensor };

  constructor(
    private readonly model: T5Runtime,
    src: EncodedSource,
  ) {
    const { cfg, manifest } = model;
    if (model.kvCache === 'host' && !src.crossEntries) throw new Error('DecoderCache: the source was encoded by a runtime with the device cache layout');
    this.store = model.kvCache === 'host' ? new HostKv(cfg, manifest.compute, src, model.maxLength) : new DeviceKv(cfg, manifest.compute, src);
  }

  async extend(chunk: number[], targets?: number[], withLogits = false): Promise<StepRows> {
    if (this.pending) throw new Error('DecoderCache.extend: commit or discard the previous extension first');
    const k = chunk.length;
    if (k === 0) throw new Error('DecoderCache.extend: empty chunk');
    const P = this.fed;
    const tokens = new BigInt64Array(2 * k);
    for (let j = 0; j < k; j++) {
      tokens[j] = BigInt(chunk[j]!);
      tokens[k + j] = BigInt(targets?.[j] ?? 0);
    }
    const feeds: Record<string, ort.Tensor> = {
      tokens: new ort.Tensor('int64', tokens, [2, k]),
      position_bucket: new ort.Tensor('int64', this.model.buckets.decoder(P, k, maskedBucket(this.model.cfg)), [k, P + k]),
      lengths: i64([P, this.model.vocabLimit]),
      ...this.store.feeds(P),
    };
    await yieldIfDue();
    const { output } = this.store;
    const out = this.model.sessionsFor(withLogits).decoder.run(feeds, withLogits ? ['next', 'rows', output, 'logits'] : ['next', 'rows', output]);
    this.pending = { k, out: out[output]! };
    const rows = out.rows!.data as Float32Array; // [k, 2]: max log-probability, target log-probability
    const maxProb = new Float32Array(k);
    const targetLogprob = new Float32Array(k);
    for (let j = 0; j < k; j++) {
      maxProb[j] = Math.exp(rows[2 * j]!);
      targetLogprob[j] = rows[2 * j + 1]!;
    }
    return {
      next: Array.from(out.next!.data as BigInt64Array, Number),
      maxProb,
      targetLogprob,
      logits: withLogits ? (out.logits!.data as Float32Array) : undefined,
    };
  }

  commit(): void {
    const p = this.pending;
    if (!p) throw new Error('DecoderCache.commit: nothing pending');
    this.store.commit(this.fed, p.k, p.out);
    this.fed += p.k;
    this.pending = undefined;
  }

  discard(): void {
    if (this.pending) this.store.drop(this.pending.out);
    this.pending = undefined;
  }

  truncate(n: number): void {
    this.discard();
    this.fed = Math.min(this.fed, n);
  }

  /** Frees device memory now instead of at garbage collection. */
  dispose(): void {
    this.discard();
    this.store.dispose();
  }
}

/** Frees an encoded source's device memory (its cross-attention K/V) once no decoder needs it. */
export function releaseSource(src: EncodedSource): void {
  release(src.crossKv);
}

/** Device tensors hold GPU buffers until disposed; CPU tensors are left to the garbage collector. */
function release(t: ort.Tensor): void {
  if (t.location !== 'cpu') t.dispose();
}
