// Many retries in one download must not pile abort listeners onto a signal (Node 20 warns at 11:
// MaxListenersExceededWarning; later Nodes stay silent but keep every listener): neither on the
// caller's signal nor on the controller a front end passes in (the CLI and the app do).
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { DownloadController, downloadModel, type DownloadEvent, type ModelDownloadOptions } from '../../src-main/engine/hub';
import { FakeHub, tinyT5RepoFiles } from '../helpers/hub-server';

const REPO = 'test-org/tiny-random-t5';
let hub: FakeHub;
let cache: string;
const warnings: Error[] = [];
const onWarning = (w: Error): void => void warnings.push(w);

beforeAll(async () => {
  hub = new FakeHub();
  hub.addRepo('model', REPO, tinyT5RepoFiles(1));
  await hub.start();
  process.on('warning', onWarning);
});

afterAll(async () => {
  process.off('warning', onWarning);
  await hub.stop();
});

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'hub-retries-'));
  warnings.length = 0;
  // 12 failed API answers (backoff 1, 2, 4, ... ms), then a file whose connection drops 25 times,
  // each after some bytes (which resets the retry count, so the download still succeeds)
  hub.knobs = { failApi: { count: 12 }, drop: { file: 'pytorch_model.bin', afterBytes: 20_000, times: 25 } };
});

afterEach(() => rmSync(cache, { recursive: true, force: true }));

/** Downloads through the retries, sampling the abort listeners on `watched` at every event. */
async function downloadWatching(watched: AbortSignal, opts: ModelDownloadOptions): Promise<number> {
  let most = 0;
  const events: DownloadEvent[] = [];
  const snap = await downloadModel(REPO, {
    endpoint: hub.endpoint,
    cacheDir: cache,
    token: '',
    offline: false,
    retryBaseMs: 1,
    maxRetries: 12,
    ...opts,
    onProgress: (e) => {
      events.push(e);
      most = Math.max(most, getEventListeners(watched, 'abort').length);
    },
  });
  expect(snap.commit).toMatch(/^[0-9a-f]{40}$/);
  expect(events.filter((e) => e.type === 'retry').length).toBeGreaterThanOrEqual(37);
  await new Promise((r) => setImmediate(r)); // a warning is emitted on the next tick
  expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map(String)).toEqual([]);
  return most;
}

it("leaves no abort listener on the caller's signal, however many retries", async () => {
  const caller = new AbortController();
  expect(await downloadWatching(caller.signal, { signal: caller.signal })).toBeLessThanOrEqual(1);
  expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0); // the download is over: nothing left hooked
});

it("keeps the listeners on a caller's controller bounded through the retries", async () => {
  const controller = new DownloadController();
  expect(await downloadWatching(controller.signal, { controller })).toBeLessThanOrEqual(2);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});
