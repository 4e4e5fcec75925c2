import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { readT5Config } from './checkpoint/config';
import { UserError } from './errors';
import { ensureExported, type ExportedModel } from './onnx/export-t5';
import { t5Parameters, type WeightDType } from './onnx/t5-weights';
import { T5Runtime } from './runtime/t5-runtime';
import type { ComputeType } from './onnx/t5-graphs';
import { resolveProvider } from './runtime/providers';
import type { ExecutionProvider } from './runtime/session';

/** Providers with fp16 kernels worth computing in (see computeTypeFor). */
const GPU_EPS: readonly ExecutionProvider[] = ['cuda', 'webgpu', 'dml', 'coreml'];
import { loadTokenizer, type Tokenizer } from './tokenizer/load-tokenizer';

export interface LoadModelOptions {
  ep?: ExecutionProvider;
  /** Run on CPU when `ep` is unavailable (otherwise loading fails with the reason). */
  allowCpuFallback?: boolean;
  dtype?: WeightDType;
  /** int8/q4 only (see ExportOptions). */
  blockSize?: number;
  accuracyLevel?: number;
  /** Intra-op threads; default: autoThreads(). */
  threads?: number;
  maxLength?: number;
  signal?: AbortSignal;
  onProgress?: (stage: 'export', done: number, total: number) => void;
}

/** A checkpoint ready to generate: tokenizer, exported graphs and onnxruntime sessions. */
export interface LoadedModel {
  name: string;
  checkpointDir: string;
  exported: ExportedModel;
  runtime: T5Runtime;
  tokenizer: Tokenizer;
  /** The provider the sessions run on (CPU after an allowed fallback). */
  ep: ExecutionProvider;
  /** Why the requested provider was replaced by CPU. */
  epFallback?: string;
}

/**
 * Compute type for a provider and weight dtype: fp16 weights compute in fp16 on GPU providers
 * (they have fp16 kernels and the memory traffic halves); CPU keeps float32 arithmetic (onnxruntime's
 * CPU provider lacks or emulates most fp16 kernels), reading fp16-stored weights through a Cast.
 * int8/q4 exports compute in float32 on every provider (MatMulNBits dequantizes inside its kernel).
 */
export function computeTypeFor(ep: ExecutionProvider, dtype: WeightDType | undefined): ComputeType {
  return dtype === 'fp16' && GPU_EPS.includes(ep) ? 'fp16' : 'fp32';
}

/**
 * Intra-op threads when the caller does not choose: a model whose weights fit in a core's cache
 * runs fastest on one thread (synchronising threads costs more than its whole step); larger
 * models use every core (onnxruntime's default, 0). Measured with npm run bench:bild. loadModel
 * passes the checkpoint's fp32 size whatever the export's dtype, so every export of a checkpoint
 * gets the same threads and `large` vs `large@q4` compares dtypes, not thread counts.
 */
export function autoThreads(weightBytes: number): number {
  return weightBytes < 16 << 20 ? 1 : 0;
}

export function checkCheckpointDir(dir: string, option = 'model'): string {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new UserError(`--${option}: '${dir}' does not exist`);
  if (!statSync(abs).isDirectory()) throw new UserError(`--${option}: '${dir}' is not a folder (expected a checkpoint folder with config.json)`);
  return abs;
}

/** Loads a local checkpoint folder: exports it on first use (cached by content hash), opens sessions. */
export async function loadModel(dir: string, opts: LoadModelOptions & { tokenizer?: Tokenizer } = {}): Promise<LoadedModel> {
  const checkpointDir = resolve(dir);
  const provider = resolveProvider(opts.ep ?? 'cpu', opts.allowCpuFallback);
  const tokenizer = opts.tokenizer ?? (await loadTokenizer(checkpointDir));
  // before the export, which can take minutes for a large checkpoint
  const vocab = readT5Config(checkpointDir).vocabSize;
  if (tokenizer.length > vocab)
    throw new UserError(`${checkpointDir}: the tokenizer has ${tokenizer.length} tokens but the model only ${vocab} output rows`);
  const exported = await ensureExported(checkpointDir, {
    dtype: opts.dtype,
    blockSize: opts.blockSize,
    accuracyLevel: opts.accuracyLevel,
    compute: computeTypeFor(provider.ep, opts.dtype),
    signal: opts.signal,
    onProgress: opts.onProgress && ((d, t) => opts.onProgress!('export', d, t)),
  });
  const runtime = await T5Runtime.load(exported.dir, {
    ep: provider.ep,
    threads: opts.threads ?? autoThreads(4 * t5Parameters(exported.manifest.config)),
    maxLength: opts.maxLength,
    vocabLimit: tokenizer.length,
  });
  return { name: basename(checkpointDir), checkpointDir, exported, runtime, tokenizer, ep: provider.ep, epFallback: provider.fallbackReason };
}

/** Refuses a pair whose tokenizers differ: BiLD and speculative decoding compare token ids across models. */
export function checkSameTokenizer(
  small: { checkpointDir: string; tokenizer: Tokenizer },
  large: { checkpointDir: string; tokenizer: Tokenizer },
): void {
  if (small.tokenizer.fingerprint !== large.tokenizer.fingerprint || small.tokenizer.length !== large.tokenizer.length)
    throw new UserError(
      `the small model (${small.checkpointDir}) and the large model (${large.checkpointDir}) have different tokenizers (${small.tokenizer.length} vs ${large.tokenizer.length} tokens); BiLD needs one shared vocabulary`,
    );
}

/** Loads a small/large pair, comparing their tokenizers before anything heavy is exported or loaded. */
export async function loadPair(smallDir: string, largeDir: string, opts: LoadModelOptions = {}): Promise<{ small: LoadedModel; large: LoadedModel }> {
  const small = { checkpointDir: resolve(smallDir), tokenizer: await loadTokenizer(resolve(smallDir)) };
  const large = { checkpointDir: resolve(largeDir), tokenizer: await loadTokenizer(resolve(largeDir)) };
  checkSameTokenizer(small, large);
  return {
    small: await loadModel(smallDir, { ...opts, tokenizer: small.tokenizer }),
    large: await loadModel(largeDir, { ...opts, tokenizer: large.tokenizer }),
  };
}
