/** Sentences into array tasks: contiguous slices, in order, covering every sentence exactly once. */
import { createHash } from 'node:crypto';
import type { Example } from '../data';
import { UserError } from '../errors';
import type { Shard } from './types';

/** Array tasks per job: Slurm's default MaxArraySize is 1001. */
export const MAX_SHARDS = 1000;

/** `shards` slices of `n` sentences whose sizes differ by at most one. */
export function sliceShards(n: number, shards: number): Shard[] {
  if (!Number.isInteger(shards) || shards < 1) throw new UserError(`shards: ${JSON.stringify(shards)} must be an integer >= 1`);
  if (shards > MAX_SHARDS) throw new UserError(`shards: ${shards} is above the bound of ${MAX_SHARDS} array tasks (Slurm's default MaxArraySize)`);
  if (shards > n) throw new UserError(`shards: ${shards} is more than the run's ${n} sentences`);
  return Array.from({ length: shards }, (_, k) => ({ start: Math.floor((k * n) / shards), end: Math.floor(((k + 1) * n) / shards) }));
}

/** Identifies the run's examples (rows, sources, references, order): a task refuses a dataset that changed. */
export function examplesFingerprint(examples: readonly Example[]): string {
  const h = createHash('sha256');
  for (const e of examples) h.update(JSON.stringify([e.index, e.source, e.reference])).update('\n');
  return h.digest('hex');
}
