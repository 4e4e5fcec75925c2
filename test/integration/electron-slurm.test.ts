// Slurm requests through the desktop app's IPC bridge: the Electron main process (src-main/index.ts)
// and the preload under Node with a test double of `electron`, the real engine worker behind them.
// The page gets what `serve` gives it (test/e2e/slurm-security.test.ts): where sbatch is and the
// jobs root, but no sbatch arguments, no outDir, and no job folder outside the allowed folders.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BildBridge, RpcReply } from '../../src-main/host/protocol';
import * as electron from '../helpers/electron-double';

vi.mock('electron', () => import('../helpers/electron-double'));

const dir = mkdtempSync(join(tmpdir(), 'bild-electron-slurm-'));
const home = join(dir, 'home');
const outside = join(dir, 'outside');
let bridge: BildBridge;

const SPEC = { models: { large: 'demo/large' }, methods: ['large'], dataset: { name: 'demo', split: 'test', limit: 2 } };
const refusal = (message: string | RegExp): RpcReply => ({ error: { message: typeof message === 'string' ? message : expect.stringMatching(message), userError: true } });

beforeAll(async () => {
  mkdirSync(join(outside, 'job'), { recursive: true });
  writeFileSync(join(outside, 'job', 'job.json'), '{}');
  process.env.BILD_BENCH_HOME = home; // the engine worker copies the environment when the app is ready
  await import('../../src-main/index');
  await import('../../src-main/preload');
  electron.app.becomeReady();
  await vi.waitFor(() => expect(electron.BrowserWindow.getAllWindows()).toHaveLength(1));
  bridge = electron.exposedInMainWorld('bild') as BildBridge;
});
afterAll(async () => {
  if (!electron.app.quitted) electron.app.quit();
  await vi.waitFor(() => expect(electron.app.quitted).toBe(true), { timeout: 30_000 });
  rmSync(dir, { recursive: true, force: true });
});

describe('Slurm through Electron IPC', () => {
  it('tells the page where sbatch is and where job folders go', async () => {
    const info = (await bridge.request('slurmInfo', [])) as { result: { sbatch: string | null; jobsRoot: string } };
    expect(info.result.jobsRoot).toBe(join(home, 'slurm'));
    expect(await bridge.request('listSlurmJobs', [])).toEqual({ result: [] });
  });

  it('refuses sbatch arguments, an outDir, and a job folder written or named outside the allowed folders', async () => {
    const submit = (slurm: Record<string, unknown>, spec: Record<string, unknown> = SPEC) => bridge.request('submitSlurm', [{ kind: 'run', spec, slurm }]);
    expect(await submit({ shards: 1, dryRun: true, sbatchArgs: ['--chdir=/'] })).toEqual(refusal(/^submitSlurm: slurm\.sbatchArgs .* are for the CLI's --sbatch_arg$/));
    expect(await submit({ shards: 1, dryRun: true }, { ...SPEC, outDir: outside })).toEqual(
      refusal('submitSlurm: outDir is for the CLI; runs started from the app are written under its home folder'),
    );
    expect(await submit({ shards: 1, dryRun: true, jobDir: join(outside, 'new') })).toEqual(refusal(/^submitSlurm: '.*new': not in a folder this app may read/));
    expect(await submit({ shards: 1, dryRun: true, partition: 'a b' })).toEqual(refusal(/^submitSlurm: request\.slurm\.partition must be plain characters/));
    for (const method of ['slurmStatus', 'resubmitSlurm', 'collectSlurm'] as const)
      expect(await bridge.request(method, [join(outside, 'job')])).toEqual(refusal(new RegExp(`^${method}: '${join(outside, 'job')}': not in a folder this app may read`)));
  });

  it('a job folder the user picks in the native folder dialog becomes readable to the page', async () => {
    electron.answerNextDialog(join(outside, 'job'));
    expect(await bridge.pickJobFolder()).toBe(join(outside, 'job'));
    expect(electron.dialogsShown.at(-1)!.options).toMatchObject({ title: 'Slurm job folder', properties: ['openDirectory'] });
    // past the gate now: the engine reads the folder's job.json (a stand-in here) and says what is wrong with it
    expect(await bridge.request('slurmStatus', [join(outside, 'job')])).toEqual(refusal(`${join(outside, 'job', 'job.json')} is not a bild-bench Slurm job spec`));
  });
});
