// A job that outgrows the engine worker's heap limit ends with a user error naming the limit, and
// the same client answers the next request from a fresh worker (what keeps `serve` and the app up).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src-main/engine/api/types';
import { UserError } from '../../src-main/engine/errors';
import { LIMITS } from '../../src-main/engine/limits';
import { WorkerEngineClient } from '../../src-main/host/worker-client';

const home = mkdtempSync(join(tmpdir(), 'bild-worker-memory-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('engine worker memory limit', () => {
  it('fails a job that runs out of memory with a user error, then serves the next request', async () => {
    // 400,000 examples of ~300 characters each: holding them needs more than the 96 MB heap this test gives the worker
    const data = join(home, 'many-lines.jsonl');
    const line = (i: number) => JSON.stringify({ translation: { de: `${i} ${'Das kleine Buch liegt auf dem Tisch. '.repeat(8)}`, en: `${i}` } });
    writeFileSync(data, Array.from({ length: 400_000 }, (_, i) => line(i)).join('\n') + '\n');
    const client = new WorkerEngineClient({ heapLimitMb: 96, env: { ...process.env, BILD_BENCH_HOME: home } });
    const events: EngineEvent[] = [];
    client.subscribe((e) => events.push(e));
    try {
      const models = { large: 'demo/large' };
      const { runId } = await client.startRun({ models, methods: ['large'], dataset: { name: data }, warmup: 0, threads: 1 });
      const err = await client.waitForRun(runId).then(
        () => new Error('the run completed'),
        (e: unknown) => e as Error,
      );
      const message = /^the engine ran out of memory: the job needed more than the engine worker's 96 MB JavaScript heap limit \(BILD_BENCH_WORKER_HEAP_MB sets it\)/;
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toMatch(message);
      expect(events.filter((e) => e.runId === runId).at(-1)).toEqual({ type: 'error', runId, kind: 'user', message: expect.stringMatching(message) });

      // the next request starts a fresh worker; a run at the max_length bound still answers a cancel
      const next = await client.startRun({ models, methods: ['large'], dataset: { name: 'demo', split: 'test', limit: 500 }, warmup: 0, threads: 1, maxLength: LIMITS.maxLength });
      await expect.poll(() => events.some((e) => e.runId === next.runId && e.type === 'sentence'), { timeout: 60_000 }).toBe(true);
      await client.cancelRun(next.runId); // answered while the job decodes (a wedged worker never answers: the test times out)
      const summary = await client.waitForRun(next.runId);
      expect(summary.status).toBe('cancelled');
      expect(summary.sentences).toBeGreaterThanOrEqual(1);
      expect(summary.sentences).toBeLessThan(500);
    } finally {
      await client.close();
    }
  });
});
