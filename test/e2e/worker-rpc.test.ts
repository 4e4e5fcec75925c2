// The engine worker's RPC: user errors cross the boundary as user errors, events arrive, and a
// cancel reaches a run that is decoding synchronously inside the worker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src-main/engine/api/types';
import { UserError } from '../../src-main/engine/errors';
import { WorkerEngineClient } from '../../src-main/host/worker-client';
import type { DownloadState } from '../../src-main/host/protocol';

const home = mkdtempSync(join(tmpdir(), 'bild-worker-rpc-'));
let client: WorkerEngineClient;

beforeAll(() => {
  client = new WorkerEngineClient({ env: { ...process.env, BILD_BENCH_HOME: home } });
});
afterAll(async () => {
  await client?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('engine worker RPC', () => {
  it('passes a user error across the boundary with its message', async () => {
    const err = await client
      .startRun({ models: { small: 'demo/small', large: 'demo/large' }, dataset: { name: '/no/such/file.jsonl' }, methods: ['bild'] })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/no\/such\/file/);
    const bad = await client.request('getRun', ['no-such-run']);
    expect(bad).toEqual({ error: { message: expect.stringMatching(/no-such-run/), userError: true } });
  });

  it('rejects methods off the whitelist as user errors', async () => {
    // @ts-expect-error: deliberately not a RequestMethod
    expect(await client.request('close', [])).toEqual({ error: { message: "unknown method 'close'", userError: true } });
  });

  it('forwards run events and lets a cancel through mid-run', async () => {
    const events: EngineEvent[] = [];
    let runId = '';
    const off = client.subscribe((e) => {
      events.push(e);
      if (e.runId === runId && e.type === 'sentence' && e.sentence.position === 1) void client.cancelRun(runId);
    });
    runId = (
      await client.startRun({
        models: { small: 'demo/small', large: 'demo/large' },
        methods: ['large', 'bild'],
        dataset: { name: 'demo', split: 'test', limit: 40 },
        threads: 1,
        warmup: 0,
      })
    ).runId;
    const summary = await client.waitForRun(runId);
    off();
    expect(summary.status).toBe('cancelled');
    expect(summary.sentences).toBeGreaterThanOrEqual(2);
    expect(summary.sentences).toBeLessThan(40);
    const mine = events.filter((e) => e.runId === runId).map((e) => e.type);
    expect(mine.indexOf('run-started')).toBeGreaterThanOrEqual(0);
    expect(mine.indexOf('run-started')).toBeLessThan(mine.indexOf('sentence'));
    expect(mine.at(-1)).toBe('run-finished');
    expect(await client.activeJobs()).toEqual([]);
    const info = await client.appInfo();
    expect(info.home).toBe(home);
    expect(info.deviations.length).toBeGreaterThan(0);
  });

  it('ends a job with an error event when the worker dies under it, and answers the next request', async () => {
    // the job waits on an unreachable Hub (retry backoff in JS): terminating a worker inside
    // onnxruntime's native code would abort this whole test process instead
    const doomed = new WorkerEngineClient({ env: { ...process.env, BILD_BENCH_HOME: home, HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_CACHE: join(home, 'hf') } });
    const events: EngineEvent[] = [];
    doomed.subscribe((e) => events.push(e));
    const downloads: DownloadState[] = [];
    doomed.subscribeAll((e) => e.type === 'download' && downloads.push(e.download));
    const { runId } = await doomed.startRun({ models: { large: 'nobody/no-model' }, methods: ['large'], dataset: { name: 'demo', split: 'test', limit: 4 }, warmup: 0 });
    const download = await doomed.startDownload('nobody/other-model');
    await new Promise((r) => setTimeout(r, 300));
    expect(events.filter((e) => e.runId === runId && (e.type === 'error' || e.type === 'run-finished'))).toEqual([]); // still waiting
    expect(downloads.at(-1)?.status ?? download.status).toBe('running'); // retrying the unreachable Hub
    await doomed['worker'].terminate(); // as if the worker crashed
    await expect
      .poll(() => events.filter((e) => e.runId === runId).at(-1))
      .toEqual({ type: 'error', runId, kind: 'internal', message: expect.stringMatching(/^the engine stopped: the engine worker exited/) });
    // the page is told the download went down with the worker
    expect(downloads.at(-1)).toMatchObject({ downloadId: download.downloadId, status: 'failed', error: expect.stringMatching(/^the engine stopped/) });
    expect(await doomed.activeJobs()).toEqual([]); // the next request starts a fresh worker
    await doomed.close();
  });
});
