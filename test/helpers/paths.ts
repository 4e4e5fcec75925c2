import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
export const MODELS = join(ROOT, 'resources', 'models');
export const DATASETS = join(ROOT, 'resources', 'datasets');
export const modelDir = (name: string): string =>
  name === 'tiny-random-t5' ? join(FIXTURES, 'tiny-random-t5') : join(MODELS, name);
