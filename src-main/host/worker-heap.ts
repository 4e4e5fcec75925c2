// The engine worker's JavaScript heap limit: a job that outgrows it ends that worker alone (Node
// terminates it with ERR_WORKER_OUT_OF_MEMORY) instead of aborting the whole process, and the
// client starts a fresh worker for the next request.
import { totalmem } from 'node:os';
import { UserError } from '../engine/errors';

export const HEAP_ENV = 'BILD_BENCH_WORKER_HEAP_MB';

/** Below this the engine's own modules hardly load. */
const MIN_HEAP_MB = 32;

/**
 * `given`, else BILD_BENCH_WORKER_HEAP_MB, else a quarter of the machine's memory (the rest is
 * left to onnxruntime's weights and caches, which live outside the heap), at least 1 GB.
 */
export function workerHeapLimitMb(given: number | undefined, env: Record<string, string | undefined>): number {
  const raw = given ?? (env[HEAP_ENV] ? Number(env[HEAP_ENV]) : undefined);
  if (raw === undefined) return Math.max(1024, Math.floor(totalmem() / 4 / 2 ** 20));
  if (!Number.isInteger(raw) || raw < MIN_HEAP_MB)
    throw new UserError(`${HEAP_ENV}: ${JSON.stringify(given ?? env[HEAP_ENV])} must be an integer >= ${MIN_HEAP_MB} (MB of JavaScript heap for the engine worker)`);
  return raw;
}

export function isOutOfMemory(err: Error): boolean {
  return (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
}

export function outOfMemoryMessage(limitMb: number): string {
  return `the engine ran out of memory: the job needed more than the engine worker's ${limitMb} MB JavaScript heap limit (${HEAP_ENV} sets it); the engine restarts for the next request`;
}
