/** Sharded checkpoints: an index JSON whose weight_map sends each tensor name to a shard file. */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors';
import type { CheckpointReader, TensorInfo } from './types';

export async function openSharded(
  indexFile: string,
  openShard: (file: string) => Promise<CheckpointReader>,
): Promise<CheckpointReader> {
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (err) {
    throw new UserError(`${indexFile}: cannot read the shard index (${(err as Error).message})`);
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new UserError(`${indexFile}: no weight_map object`);
  const weightMap = new Map<string, string>();
  for (const [name, shard] of Object.entries(map)) {
    // Shards live next to the index; a path elsewhere is a corrupt (or hostile) index.
    if (typeof shard !== 'string' || shard !== basename(shard) || shard === '..' || shard === '.')
      throw new UserError(`${indexFile}: invalid shard name ${JSON.stringify(shard)} for tensor '${name}'`);
    weightMap.set(name, shard);
  }
  const shardNames = [...new Set(weightMap.values())].sort();
  const dir = dirname(indexFile);
  for (const s of shardNames)
    if (!existsSync(join(dir, s))) throw new UserError(`${indexFile}: shard '${s}' listed in weight_map is missing (${join(dir, s)})`);
  const shards = new Map<string, CheckpointReader>();
  try {
    for (const s of shardNames) shards.set(s, await openShard(join(dir, s)));
    for (const [name, s] of weightMap)
      if (!shards.get(s)!.has(name)) throw new UserError(`${indexFile}: tensor '${name}' is not in shard '${s}'`);
  } catch (err) {
    await Promise.all([...shards.values()].map((r) => r.close()));
    throw err;
  }
  return new ShardedReader(indexFile, shardNames.map((s) => join(dir, s)), weightMap, shards);
}

class ShardedReader implements CheckpointReader {
  readonly files: string[];

  constructor(
    private readonly indexFile: string,
    shardFiles: string[],
    private readonly weightMap: Map<string, string>,
    private readonly shards: Map<string, CheckpointReader>,
  ) {
    this.files = [indexFile, ...shardFiles];
  }

  tensors(): TensorInfo[] {
    const infos = new Map<string, TensorInfo>();
    for (const r of this.shards.values()) for (const t of r.tensors()) infos.set(t.name, t);
    return [...this.weightMap.keys()].map((n) => infos.get(n)!);
  }

  has(name: string): boolean {
    return this.weightMap.has(name);
  }

  readF32(name: string): Promise<Float32Array<ArrayBuffer>> {
    const s = this.weightMap.get(name);
    if (s === undefined) return Promise.reject(new UserError(`${this.indexFile}: no tensor named '${name}'`));
    return this.shards.get(s)!.readF32(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.shards.values()].map((r) => r.close()));
  }
}
