// The real-size shapes bench:scale times (configs as on the Hugging Face hub), with random weights
// written once, seeded, into a cache folder so that reruns skip generating them.
import { existsSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { T5Config } from '../engine/checkpoint/config';
import { MT5_SMALL, t5TensorShapes, writeRandomT5Checkpoint } from '../engine/checkpoint/safetensors-writer';

/** T5 v1.0 (google-t5/t5-*): relu feed-forward, head tied to the embedding (output scaled by d^-0.5). */
const T5: T5Config = { ...MT5_SMALL, modelType: 't5', vocabSize: 32128, ffProj: 'relu', tieWordEmbeddings: true, scaleDecoderOutputs: true };

export interface ScaleShape {
  config: T5Config;
  /** The shape that drafts for this one in the BiLD-like rows (the paper's pairs: small with large). */
  drafter?: string;
}

export const SCALE_SHAPES: Record<string, ScaleShape> = {
  't5-small': { config: { ...T5, dModel: 512, dFf: 2048, numLayers: 6, numDecoderLayers: 6, numHeads: 8 } },
  't5-base': { config: { ...T5, dModel: 768, dFf: 3072, numLayers: 12, numDecoderLayers: 12, numHeads: 12 }, drafter: 't5-small' },
  't5-large': { config: { ...T5, dModel: 1024, dFf: 4096, numLayers: 24, numDecoderLayers: 24, numHeads: 16 }, drafter: 't5-small' },
  'mt5-small': { config: MT5_SMALL },
  'mt5-large': { config: { ...MT5_SMALL, dModel: 1024, dFf: 2816, numLayers: 24, numDecoderLayers: 24, numHeads: 16 }, drafter: 'mt5-small' },
  // for the end-to-end test: seconds, not minutes
  tiny: { config: { ...T5, vocabSize: 1000, dModel: 64, dKv: 16, dFf: 128, numLayers: 2, numDecoderLayers: 2, numHeads: 4 }, drafter: 'tiny-small' },
  'tiny-small': { config: { ...T5, vocabSize: 1000, dModel: 32, dKv: 16, dFf: 64, numLayers: 1, numDecoderLayers: 1, numHeads: 2 } },
};

/** Every shape's weights come from this seed (each tensor's values depend on its name and the seed only). */
const SEED = 17;
const DONE = 'done';

export const parameterCount = (c: T5Config): number => t5TensorShapes(c).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);

/**
 * Bytes an fp32 export of this shape writes: every weight, plus the head's transposed copy when
 * it is tied. Used (conservatively) for every dtype and for the transformers.js layout.
 */
export const exportBytesEstimate = (c: T5Config): number => 4 * (parameterCount(c) + (c.tieWordEmbeddings ? c.vocabSize * c.dModel : 0));

export const checkpointDir = (cache: string, shape: string): string => join(cache, shape, 'checkpoint');

export const hasCheckpoint = (cache: string, shape: string): boolean => existsSync(join(checkpointDir(cache, shape), DONE));

/** The shape's random-weight checkpoint (config.json + model.safetensors, fp32), written (streamed) unless cached. */
export async function ensureCheckpoint(cache: string, shape: string): Promise<string> {
  const dir = checkpointDir(cache, shape);
  if (hasCheckpoint(cache, shape)) return dir;
  rmSync(dir, { recursive: true, force: true }); // an interrupted write left no marker
  mkdirSync(dir, { recursive: true });
  await writeRandomT5Checkpoint(dir, SCALE_SHAPES[shape]!.config, SEED, 'F32');
  writeFileSync(join(dir, DONE), '');
  return dir;
}

/** Bytes free for this user on the file system holding `dir` (its nearest existing parent). */
export function freeBytes(dir: string): number {
  mkdirSync(dir, { recursive: true });
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}
