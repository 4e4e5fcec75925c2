// Model downloads through the engine worker (the UI's Download / Pause / Resume / Cancel), against
// the Hub look-alike server: progress events, pause and resume, cancel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadState, HostEvent } from '../../src-main/host/protocol';
import { WorkerEngineClient } from '../../src-main/host/worker-client';
import { FakeHub, tinyT5RepoFiles } from '../helpers/hub-server';

const REPO = 'test-org/tiny-random-t5';
const dir = mkdtempSync(join(tmpdir(), 'bild-downloads-'));
let hub: FakeHub;
let client: WorkerEngineClient;
const seen: DownloadState[] = [];

beforeAll(async () => {
  hub = new FakeHub();
  hub.addRepo('model', REPO, tinyT5RepoFiles());
  hub.addRepo('model', 'test-org/slow', tinyT5RepoFiles());
  await hub.start();
  client = new WorkerEngineClient({
    env: { ...process.env, BILD_BENCH_HOME: join(dir, 'home'), HF_HOME: join(dir, 'hf'), HF_HUB_CACHE: join(dir, 'hf', 'hub'), HF_ENDPOINT: hub.endpoint, HF_TOKEN: '', HF_HUB_OFFLINE: '0' },
  });
  client.subscribeAll((e: HostEvent) => {
    if (e.type === 'download') seen.push(e.download);
  });
});
afterAll(async () => {
  await client?.close();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function until(pred: (s: DownloadState) => boolean, timeoutMs = 30_000): Promise<DownloadState> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = (): void => {
      const hit = seen.find(pred);
      if (hit) return resolve(hit);
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`timed out; last states: ${JSON.stringify(seen.slice(-3))}; last requests: ${JSON.stringify(hub.requests.slice(-4))}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('downloads through the worker', () => {
  it('downloads with progress, pauses and resumes', async () => {
    hub.knobs = { throttle: { file: 'pytorch_model.bin', bytesPerSecond: 400_000 } };
    const started = await client.startDownload(REPO);
    expect(started).toMatchObject({ model: REPO, repo: REPO, status: 'running' });
    const id = started.downloadId;
    await until((s) => s.downloadId === id && s.bytes > 0 && s.totalBytes > 0);
    await client.pauseDownload(id);
    await until((s) => s.downloadId === id && s.status === 'paused');
    await client.resumeDownload(id);
    const done = await until((s) => s.downloadId === id && s.status === 'done', 60_000);
    expect(done.bytes).toBe(done.totalBytes);
    expect((await client.listDownloads()).find((d) => d.downloadId === id)?.status).toBe('done');
  });

  it('cancels a download', async () => {
    hub.knobs = { throttle: { file: 'pytorch_model.bin', bytesPerSecond: 100_000 } };
    const { downloadId } = await client.startDownload('test-org/slow');
    await until((s) => s.downloadId === downloadId && s.bytes > 0);
    await expect(client.deleteModel('test-org/slow')).rejects.toThrow(`'test-org/slow' is being downloaded: cancel the download before deleting it`);
    await client.cancelDownload(downloadId);
    await until((s) => s.downloadId === downloadId && s.status === 'cancelled', 60_000);
  });

  it('refuses to delete a model a running job uses', async () => {
    // 500 sentences: the run is still going when the delete arrives; then cancelled
    const { runId } = await client.startRun({ models: { large: REPO }, methods: ['large'], dataset: { name: 'demo', limit: 500 } });
    await expect(client.deleteModel(REPO)).rejects.toThrow(`'${REPO}' is used by run ${runId}: cancel it or wait until it ends`);
    await expect(client.deleteModel(REPO.toUpperCase())).rejects.toThrow(/is used by run/); // one folder where names ignore case
    await client.cancelRun(runId);
    await client.waitForRun(runId).catch(() => undefined);
  });

  it('refuses to download a local model, as a user error', async () => {
    await expect(client.startDownload('demo/large')).rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/local model/) });
  });
});
