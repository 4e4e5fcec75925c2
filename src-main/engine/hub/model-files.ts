import { UserError } from '../errors';
import type { RepoFile } from './api';

/** Small files a model folder needs besides the weights (fetched when the repo has them). */
export const MODEL_CONFIG_FILES = ['config.json', 'generation_config.json'] as const;
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'spiece.model',
] as const;

/** Weight layouts in order of preference: safetensors first, PyTorch pickles as a fallback. */
export const WEIGHT_CHOICES = [
  { single: 'model.safetensors', index: 'model.safetensors.index.json' },
  { single: 'pytorch_model.bin', index: 'pytorch_model.bin.index.json' },
] as const;

export interface ModelFileSelection {
  /** config, tokenizer and (single-file) weights */
  files: RepoFile[];
  /** a sharded checkpoint's index: fetch it, then add the shards `shardsFromIndex` names */
  weightIndex?: RepoFile;
  /** what the weights are, for messages */
  weights: string;
}

/**
 * Picks what a model needs from a repository listing: config, generation config, tokenizer
 * files and one set of weights. Training leftovers (optimizer.pt, scheduler.pt, rng_state.pth,
 * training_args.bin, trainer_state.json), checkpoints in subfolders, READMEs and everything
 * else are left out. Returns undefined when there is no config.json or no weights.
 */
export function selectModelFiles(listing: RepoFile[]): ModelFileSelection | { missing: string } {
  const byPath = new Map(listing.map((f) => [f.path, f]));
  const config = byPath.get('config.json');
  if (!config) return { missing: 'config.json' };
  const files: RepoFile[] = [];
  for (const name of [...MODEL_CONFIG_FILES, ...TOKENIZER_FILES]) {
    const f = byPath.get(name);
    if (f) files.push(f);
  }
  for (const w of WEIGHT_CHOICES) {
    const single = byPath.get(w.single);
    if (single) return { files: [...files, single], weights: w.single };
    const index = byPath.get(w.index);
    if (index) return { files, weightIndex: index, weights: `${w.index} (sharded)` };
  }
  return { missing: 'model weights (model.safetensors or pytorch_model.bin)' };
}

/** The shard files a weight index (`{"weight_map": {tensor: file}}`) refers to. */
export function shardsFromIndex(indexJson: string, listing: RepoFile[], indexPath: string): RepoFile[] {
  let parsed: { weight_map?: Record<string, unknown> };
  try {
    parsed = JSON.parse(indexJson) as typeof parsed;
  } catch (err) {
    throw new UserError(`${indexPath}: not valid JSON (${(err as Error).message})`);
  }
  const names = [...new Set(Object.values(parsed?.weight_map ?? {}))].sort();
  if (names.length === 0 || !names.every((n): n is string => typeof n === 'string')) throw new UserError(`${indexPath} lists no shard files`);
  // the names become download paths in the model's folder: weight files only, no folder steps
  for (const n of names)
    if (!/^[^/\\]+\.(safetensors|bin)$/.test(n) || n.startsWith('.')) throw new UserError(`${indexPath} names '${n}', which is not a weight file name (.safetensors or .bin, no folders)`);
  const byPath = new Map(listing.map((f) => [f.path, f]));
  return names.map((n) => {
    const f = byPath.get(n);
    if (!f) throw new UserError(`${indexPath} names '${n}', which the repository does not have`);
    return f;
  });
}

/** True when a local folder holds a usable model: config.json plus complete weights. */
export function folderHasModel(exists: (name: string) => boolean, readText: (name: string) => string): boolean {
  if (!exists('config.json')) return false;
  for (const w of WEIGHT_CHOICES) {
    if (exists(w.single)) return true;
    if (exists(w.index)) {
      try {
        const map = (JSON.parse(readText(w.index)) as { weight_map?: Record<string, string> }).weight_map ?? {};
        const shards = new Set(Object.values(map));
        return shards.size > 0 && [...shards].every((s) => exists(s));
      } catch {
        return false;
      }
    }
  }
  return false;
}
