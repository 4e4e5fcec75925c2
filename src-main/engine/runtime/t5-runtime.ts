import * as ort from 'onnxruntime-node';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { T5Config } from '../checkpoint/config';
import { UserError } from '../errors';
import { EXPORT_FILES, readManifest, type ExportManifest } from '../onnx/export-t5';
import { maskedBucket } from '../onnx/t5-graphs';
import { PositionBuckets } from './position-buckets';
import { Drafter } from './drafter-client';
import { DEVICE_EPS, Session, yieldIfDue, type SessionOptions } from './session';

export interface RuntimeOptions extends SessionOptions {
  /** Softmax/argmax over the first N vocabulary rows (the tokenizer's length); default: all rows. */
  vocabLimit?: number;
  /** Decoder positions a generation may reach (BiLD's maxLength, start token included); default 128. */
  maxLength?: number;
}

/** One source sentence, encoded: what every decoder step of this model reuses. */
export interface EncodedSource {
  length: number;
  /** Cross-attention K/V of every decoder layer [2L, H, S, dkv], fed to every decoder step. */
  crossKv: ort.Tensor;
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

interface Sessions {
  encoder: Session;
  decoder: Session;
}

/** Cross-attention K/V and the self-attention cache stay on the device; JS reads only `next` and `rows`. */
const openSessions = (dir: string, opts: RuntimeOptions): Sessions => ({
  encoder: Session.create(join(dir, EXPORT_FILES.encoder), opts, ['cross_kv']),
  decoder: Session.create(join(dir, EXPORT_FILES.decoder), opts, ['present_kv']),
});

/** An exported T5 model on onnxruntime: the encoder (with the cross-attention K/V) and the cached decoder. */
export class T5Runtime {
  readonly cfg: T5Config;
  readonly buckets: PositionBuckets;
  readonly vocabLimit: number;
  readonly maxLength: number;

  private constructor(
    readonly dir: string,
    readonly manifest: ExportManifest,
    private readonly sessions: Sessions,
    private readonly opts: RuntimeOptions,
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
    return { length: S, crossKv: cross_kv!, hidden: keepHidden ? (hidden!.data as Float32Array) : undefined };
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

/**
 * One model's decoder self-attention cache for one source. `extend` runs a chunk of new tokens at
 * positions fed..fed+k-1 and holds the extended cache tentatively; `commit` keeps it, `discard`
 * drops it, `truncate` forgets positions ≥ n (the graph reads only the first `fed` positions, so a
 * rollback changes one number: no copy, no trip through host memory on a GPU).
 */
export class DecoderCache {
  fed = 0;
  /** [2L, H, C ≥ fed, dkv]; on GPU providers a device tensor. */
  private cache: ort.Tensor;
  private pending?: { k: number; present: ort.Tensor };

  constructor(
    private readonly model: T5Runtime,
    private readonly src: EncodedSource,
  ) {
    const { numDecoderLayers: L, numHeads: H, dKv } = model.cfg;
    // one zero position to start with: past_len 0 ignores it (zero-sized inputs trip some providers)
    const n = 2 * L * H * dKv;
    this.cache =
      model.manifest.compute === 'fp16'
        ? new ort.Tensor('float16', new Uint16Array(n), [2 * L, H, 1, dKv])
        : new ort.Tensor('float32', new Float32Array(n), [2 * L, H, 1, dKv]);
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
      past_kv: this.cache,
      cross_kv: this.src.crossKv,
    };
    await yieldIfDue();
    const out = this.model.sessionsFor(withLogits).decoder.run(feeds, withLogits ? ['next', 'rows', 'present_kv', 'logits'] : ['next', 'rows', 'present_kv']);
    this.pending = { k, present: out.present_kv! };
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
    release(this.cache);
    this.cache = p.present;
    this.fed += p.k;
    this.pending = undefined;
  }

  discard(): void {
    if (this.pending) release(this.pending.present);
    this.pending = undefined;
  }

  truncate(n: number): void {
    this.discard();
    this.fed = Math.min(this.fed, n);
  }

  /** Frees device memory now instead of at garbage collection. */
  dispose(): void {
    this.discard();
    release(this.cache);
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
