/** Opens whichever weights a Hugging Face checkpoint folder holds, in transformers' order of preference. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { openSafetensors } from './safetensors';
import { openSharded } from './sharded';
import { openTorchZip } from './torch-zip';
import type { CheckpointReader } from './types';

export const WEIGHT_FILES = [
  'model.safetensors',
  'model.safetensors.index.json',
  'pytorch_model.bin',
  'pytorch_model.bin.index.json',
] as const;

export async function openCheckpoint(dir: string): Promise<CheckpointReader> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: checkpoint folder not found`);
  const found = WEIGHT_FILES.find((f) => existsSync(join(dir, f)));
  if (!found) throw new UserError(`${dir}: no weights file (looked for ${WEIGHT_FILES.join(', ')})`);
  const path = join(dir, found);
  switch (found) {
    case 'model.safetensors':
      return openSafetensors(path);
    case 'model.safetensors.index.json':
      return openSharded(path, openSafetensors);
    case 'pytorch_model.bin':
      return openTorchZip(path);
    case 'pytorch_model.bin.index.json':
      return openSharded(path, openTorchZip);
  }
}
