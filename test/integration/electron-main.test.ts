// The Electron main process (src-main/index.ts) and the sandboxed preload, run for real under Node
// with `electron` replaced by a test double (Electron's binary cannot run on CI). The engine worker
// behind them is the real one: a run started through the preload bridge decodes demo sentences.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunSummary } from '../../src-main/engine/api';
import { RunHistory } from '../../src-main/engine/runner/history';
import { IPC_EVENT, IPC_PICK_FILE, IPC_PICK_JOB_FOLDER, IPC_REQUEST, type BildBridge, type HostEvent, type RpcReply } from '../../src-main/host/protocol';
import * as electron from '../helpers/electron-double';
import { demoTestSentences } from '../helpers/demo';
import { MODELS } from '../helpers/paths';

vi.mock('electron', () => import('../helpers/electron-double'));

const home = mkdtempSync(join(tmpdir(), 'bild-electron-main-'));
let win: electron.FakeBrowserWindow;
let bridge: BildBridge;

beforeAll(async () => {
  process.env.BILD_BENCH_HOME = home; // the engine worker copies the environment when the app is ready
  await import('../../src-main/index');
  await import('../../src-main/preload');
  electron.app.becomeReady();
  await vi.waitFor(() => expect(electron.BrowserWindow.getAllWindows()).toHaveLength(1));
  win = electron.BrowserWindow.getAllWindows()[0]!;
  bridge = electron.exposedInMainWorld('bild') as BildBridge;
});
afterAll(() => {
  if (!electron.app.quitted) electron.app.quit();
  rmSync(home, { recursive: true, force: true });
});

const trustedUrl = (): string => win.url!;
const call = (url: string | null, method: unknown, args: unknown): Promise<RpcReply> =>
  electron.invokeAs(url, IPC_REQUEST, method, args) as Promise<RpcReply>;

describe('Electron main process', () => {
  it('opens one window with context isolation, the sandbox, no Node, the preload, and no new windows', () => {
    expect(win.options.webPreferences).toEqual({
      preload: expect.stringMatching(/[/\\]preload[/\\]index\.cjs$/),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
    expect(win.url).toMatch(/^file:\/\/.*\/renderer\/index\.html$/);
    expect(win.openHandler!()).toEqual({ action: 'deny' });
    expect(electron.handlerChannels()).toEqual([IPC_REQUEST, IPC_PICK_FILE, IPC_PICK_JOB_FOLDER]);
  });

  it('refuses untrusted senders: another page, a look-alike dev origin, a frame that is gone', async () => {
    const untrusted = { error: { message: 'untrusted sender', userError: false } };
    expect(await call('https://example.com/', 'listRuns', [])).toEqual(untrusted);
    expect(await call(null, 'listRuns', [])).toEqual(untrusted);
    expect(await call(`${trustedUrl()}.evil.html`.replace('index.html', 'other'), 'listRuns', [])).toEqual(untrusted);
    process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173';
    try {
      expect(await call('http://localhost:5173.example.com/', 'listRuns', [])).toEqual(untrusted);
      expect(await call('http://localhost:5173/', 'listRuns', [])).toEqual({ result: [] });
    } finally {
      delete process.env.ELECTRON_RENDERER_URL;
    }
  });

  it('refuses an unknown method, arguments that are not a list and the arguments only the CLI may give', async () => {
    expect(await call(trustedUrl(), 'close', [])).toEqual({ error: { message: "unknown method 'close'", userError: true } });
    expect(await call(trustedUrl(), 'constructor', [])).toEqual({ error: { message: "unknown method 'constructor'", userError: true } });
    expect(await call(trustedUrl(), 'listRuns', { 0: 1 })).toEqual({ error: { message: "unknown method 'listRuns'", userError: true } });
    const outDir = await call(trustedUrl(), 'startRun', [{ models: {}, dataset: { name: 'demo' }, outDir: home }]);
    expect(outDir).toEqual({ error: { message: 'startRun: outDir is for the CLI; runs started from the app are written under its home folder', userError: true } });
    expect(await call(trustedUrl(), 'exportRun', [{ runId: 'x', dir: home }])).toEqual({ error: { message: "unknown method 'exportRun'", userError: true } });
  });

  it('checks argument types and file paths (in the engine worker, as for HTTP)', async () => {
    expect(await call(trustedUrl(), 'getRun', [42])).toEqual({ error: { message: 'getRun: runId must be a string (got 42)', userError: true } });
    const elsewhere = join(dirname(home), 'elsewhere.tsv');
    const r = await call(trustedUrl(), 'startRun', [{ models: { large: 'demo/large' }, dataset: { name: `${elsewhere},${elsewhere}` } }]);
    expect(r).toEqual({ error: { message: expect.stringContaining(`startRun: '${elsewhere}': not in a folder this app may read (allowed: ${home}, `), userError: true } });
  });

  it('the preload exposes only the request/event bridge and the two native pickers (file, Slurm job folder), and a request goes through to the engine', async () => {
    expect(Object.keys(bridge).sort()).toEqual(['onEvent', 'pickFile', 'pickJobFolder', 'request']);
    const info = (await bridge.request('appInfo', [])) as { result: { home: string } };
    expect(info.result.home).toBe(home);
  });

  it('a data file the user picks in the native dialog becomes readable to the page; nothing else does', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'bild-picked-'));
    const file = join(elsewhere, 'dev.jsonl');
    writeFileSync(file, demoTestSentences(2).map((t) => JSON.stringify({ translation: t })).join('\n') + '\n');
    const spec = { models: { large: 'demo/large' }, methods: ['large'], dataset: { name: file }, threads: 1, warmup: 0 };
    const refused = (await bridge.request('startRun', [spec])) as RpcReply;
    expect(refused).toEqual({ error: { message: expect.stringContaining(`'${file}': not in a folder this app may read`), userError: true } });

    const settings = join(home, 'settings.json');
    expect(await electron.invokeAs('https://example.com/', IPC_PICK_FILE)).toBeNull(); // no dialog for another page
    expect(electron.dialogsShown).toHaveLength(0);
    electron.answerNextDialog(null); // the user cancels
    expect(await bridge.pickFile()).toBeNull();
    expect(existsSync(settings)).toBe(false);

    electron.answerNextDialog(file);
    expect(await bridge.pickFile()).toBe(file);
    expect(electron.dialogsShown.at(-1)!.window).toBe(win);
    expect(JSON.parse(readFileSync(settings, 'utf8'))).toEqual({ allowedFolders: [elsewhere] });
    const started = (await bridge.request('startRun', [spec])) as { result: { runId: string } };
    const done = (await bridge.request('waitForRun', [started.result.runId])) as { result: RunSummary };
    expect(done.result).toMatchObject({ status: 'completed', sentences: 2 });
    electron.answerNextDialog(join(elsewhere, 'other.jsonl')); // the same folder again: listed once
    await bridge.pickFile();
    expect(JSON.parse(readFileSync(settings, 'utf8'))).toEqual({ allowedFolders: [elsewhere] });
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it('forwards engine events to the window, and quitting cancels the running job and closes the history', async () => {
    const events: HostEvent[] = [];
    const off = bridge.onEvent((e) => events.push(e));
    expect(electron.rendererListenerCount(IPC_EVENT)).toBe(1);
    const started = (await bridge.request('startRun', [{
      models: { small: join(MODELS, 'toy-t5-small'), large: join(MODELS, 'toy-t5-large') },
      dataset: { name: 'demo', split: 'test', limit: 300 },
      methods: ['large', 'bild'],
      threads: 1,
    }])) as { result: { runId: string } };
    const runId = started.result.runId;
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'sentence' && e.runId === runId).length).toBeGreaterThanOrEqual(2), { timeout: 60_000 });
    // Every event the page saw came through webContents.send on the event channel.
    expect(win.sent.filter((s) => s.channel === IPC_EVENT).map((s) => s.payload).slice(-events.length)).toEqual(events);
    expect(events.some((e) => e.type === 'run-started' && e.runId === runId)).toBe(true);

    electron.app.quit(); // the first will-quit is held back until the engine has closed
    expect(electron.app.quitted).toBe(false);
    await vi.waitFor(() => expect(electron.app.quitted).toBe(true), { timeout: 30_000 });
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', runId, status: 'cancelled' });
    off();
    expect(electron.rendererListenerCount(IPC_EVENT)).toBe(0);

    // The history was closed (its WAL checkpointed away) and records the job as cancelled, not running.
    const db = join(home, 'history.sqlite');
    expect(existsSync(`${db}-wal`)).toBe(false);
    const h = new RunHistory(db);
    const s: RunSummary = h.summary(runId);
    h.close();
    expect(s.status).toBe('cancelled');
    expect(s.sentences).toBeGreaterThanOrEqual(2);
    expect(s.sentences).toBeLessThan(300);
  });
});
