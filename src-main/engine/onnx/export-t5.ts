import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointHash } from '../checkpoint/hash';
import { openCheckpoint } from '../checkpoint/open';
import { readT5Config, type T5Config } from '../checkpoint/config';
import type { CheckpointReader } from '../checkpoint/types';
import { writingTo } from '../disk-errors';
import { appHome } from '../paths';
import { EXPORT_FILES } from './export-files';
import { checkOutDir, installExport, partialDir, sweepPartials, sweepPartialsOf, writeExportMarker } from './out-dir';
import { ExternalDataWriter } from './external-data';
import { buildDecoder, buildEncoder, type ComputeType } from './t5-graphs';
import { weightFormat, writeT5Weights, type QuantSpec, type WeightDType, type WeightFormat } from './t5-weights';

/** Bump when the graphs or their interface change: cached exports of older versions are not reused. */
export const EXPORTER_VERSION = 10;

export { EXPORT_FILES };

export interface ExportManifest {
  exporterVersion: number;
  checkpointHash: string;
  checkpointDir: string;
  dtype: WeightDType;
  /** Element type of attention, projections and caches ('fp16' only with fp16 weights, for GPU providers). */
  compute: ComputeType;
  /** int8/q4 exports: bits, block size and MatMulNBits accuracy level of the quantized linears, and the head's bits. */
  quant?: QuantSpec;
  config: T5Config;
  weightBytes: number;
  exportMs: number;
  createdAt: string;
}

export interface ExportOptions {
  dtype?: WeightDType;
  /** Default fp32; fp16 needs dtype fp16 (see docs/gpu.md). */
  compute?: ComputeType;
  /** int8/q4 only: values per quantization block along the input dimension (16..256, default 32). */
  blockSize?: number;
  /** int8/q4 only: MatMulNBits accuracy_level 0..4 (default 4: int8 activations on CPU). */
  accuracyLevel?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Exports a checkpoint folder to `outDir` (encoder and decoder graphs over one weights
 * file). Writes into a sibling temporary folder and renames it into place, so an interrupted
 * export leaves nothing that looks finished.
 */
export async function exportT5(
  checkpointDir: string,
  outDir: string,
  opts: ExportOptions & { reader?: CheckpointReader; hash?: string; keepExisting?: boolean } = {},
): Promise<ExportManifest> {
  const started = performance.now();
  const format = weightFormat(opts);
  const { dtype } = format;
  const compute = checkCompute(dtype, opts.compute);
  const cfg = readT5Config(checkpointDir);
  checkOutDir(outDir, checkpointDir);
  sweepPartialsOf(outDir);
  const reader = opts.reader ?? (await openCheckpoint(checkpointDir));
  const tmp = partialDir(outDir);
  // a failure writing the export names --out; any other (reading the checkpoint, the hash memo) its own file
  const toOut = <T>(write: () => T): T => writingTo(outDir, write);
  try {
    toOut(() => mkdirSync(tmp, { recursive: true }));
    const hash = opts.hash ?? (await checkpointHash(reader, join(appHome(), 'hashes')));
    const writer = new ExternalDataWriter(join(tmp, EXPORT_FILES.weights), outDir);
    let weights;
    try {
      weights = await writeT5Weights(reader, cfg, writer, format, opts.onProgress, opts.signal);
    } finally {
      writer.close();
    }
    const meta = { exporter: 'bild-bench', exporter_version: String(EXPORTER_VERSION), checkpoint_sha256: hash };
    toOut(() => writeFileSync(join(tmp, EXPORT_FILES.encoder), buildEncoder(cfg, weights, compute).toBytes(meta)));
    toOut(() => writeFileSync(join(tmp, EXPORT_FILES.decoder), buildDecoder(cfg, weights, compute, 'host').toBytes(meta)));
    toOut(() => writeFileSync(join(tmp, EXPORT_FILES.decoderDevice), buildDecoder(cfg, weights, compute, 'device').toBytes(meta)));
    const manifest: ExportManifest = {
      exporterVersion: EXPORTER_VERSION,
      checkpointHash: hash,
      checkpointDir,
      dtype,
      compute,
      ...(format.quant && { quant: format.quant }),
      config: cfg,
      weightBytes: writer.size,
      exportMs: performance.now() - started,
      createdAt: new Date().toISOString(),
    };
    toOut(() => {
      writeFileSync(join(tmp, EXPORT_FILES.manifest), JSON.stringify(manifest, null, 2));
      writeExportMarker(tmp, 'bild', checkpointDir);
    });
    if (opts.keepExisting) {
      // another process may have exported the same key meanwhile (the app beside the CLI): keep its folder, which may be in use
      const theirs = readManifest(outDir);
      if (theirs) {
        rmSync(tmp, { recursive: true, force: true });
        return theirs;
      }
    }
    try {
      toOut(() => installExport(tmp, outDir, checkpointDir));
    } catch (err) {
      const theirs = opts.keepExisting ? readManifest(outDir) : undefined;
      if (!theirs) throw err;
      rmSync(tmp, { recursive: true, force: true });
      return theirs;
    }
    return manifest;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    if (!opts.reader) await reader.close();
  }
}

function checkCompute(dtype: WeightDType, compute: ComputeType | undefined): ComputeType {
  if (compute === 'fp16' && dtype !== 'fp16') throw new Error('exportT5: fp16 compute needs fp16 weights');
  return compute ?? 'fp32';
}

/** What an export depends on besides the code: quantization settings are appended only for int8/q4 (older keys stay valid). */
export function exportCacheKey(hash: string, format: WeightFormat, compute: ComputeType): string {
  const q = format.quant;
  return `${hash}|v${EXPORTER_VERSION}|${format.dtype}|${compute}${q ? `|b${q.blockSize}|a${q.accuracyLevel}|head${q.headBits}` : ''}`;
}

export function readManifest(dir: string): ExportManifest | undefined {
  const file = join(dir, EXPORT_FILES.manifest);
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as ExportManifest;
    return m.exporterVersion === EXPORTER_VERSION ? m : undefined;
  } catch {
    return undefined;
  }
}

export interface ExportedModel {
  dir: string;
  manifest: ExportManifest;
  /** True when an earlier export was reused. */
  cached: boolean;
}

/**
 * The exported model for a checkpoint, from the cache when one exists for the same content hash,
 * exporter version, dtype and quantization settings; exported (once) otherwise.
 */
export async function ensureExported(
  checkpointDir: string,
  opts: ExportOptions & { cacheRoot?: string } = {},
): Promise<ExportedModel> {
  const root = opts.cacheRoot ?? join(appHome(), 'onnx');
  const format = weightFormat(opts);
  const compute = checkCompute(format.dtype, opts.compute);
  readT5Config(checkpointDir); // refuse a non-T5 folder before hashing gigabytes
  const reader = await openCheckpoint(checkpointDir);
  try {
    const hash = await checkpointHash(reader, join(appHome(), 'hashes'));
    const key = createHash('sha256').update(exportCacheKey(hash, format, compute)).digest('hex').slice(0, 24);
    const dir = join(root, key);
    const existing = readManifest(dir);
    if (existing) return { dir, manifest: existing, cached: true };
    sweepPartials(root);
    const manifest = await exportT5(checkpointDir, dir, { ...opts, compute, reader, hash, keepExisting: true });
    return { dir, manifest, cached: false };
  } finally {
    await reader.close();
  }
}
