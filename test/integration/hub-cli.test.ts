import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeHub, tinyT5RepoFiles } from '../helpers/hub-server';
import { MODELS, ROOT } from '../helpers/paths';

const REPO = 'test-org/tiny-random-t5';
const TOKEN = 'hf_cliSecretToken0987654321';
let hub: FakeHub;
let commit: string;
let tmp: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: join(tmp, 'home'),
        HF_HOME: join(tmp, 'hf-home'),
        HF_HUB_CACHE: join(tmp, 'hub'),
        BILD_BENCH_HOME: join(tmp, 'bild'),
        HF_ENDPOINT: hub.endpoint,
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hub-cli-'));
  hub = new FakeHub();
  commit = hub.addRepo('model', REPO, tinyT5RepoFiles(8));
  await hub.start();
});

afterAll(async () => {
  await hub.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('bild-bench download / models', () => {
  it('downloads a repo with a progress report on stderr and prints the folder on stdout; the token never shows', async () => {
    hub.knobs.requireToken = TOKEN;
    const r = await cli(['download', REPO, '--token', TOKEN]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const folder = join(tmp, 'hub', 'models--test-org--tiny-random-t5', 'snapshots', commit);
    expect(r.stdout).toBe(folder + '\n');
    expect(r.stderr).toContain(`${REPO} @ ${commit.slice(0, 10)}: 6 files`);
    expect(r.stderr).toMatch(/\d+\/6 files .* ETA /);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(hub.requestsTo('optimizer.pt')).toEqual([]);

    // HF_TOKEN from the environment, and a failure with the token set
    const missing = await cli(['download', 'nobody/nothing'], { HF_TOKEN: TOKEN });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`bild-bench: error: repository nobody/nothing not found on ${hub.endpoint} (the access token given has no access to it)\n`);
    expect(missing.stdout + missing.stderr).not.toContain(TOKEN);
    hub.knobs = {};
  });

  it('lists the catalog and what is on disk', async () => {
    const add = await cli(['models', 'add', REPO, '--name', 'mine/tiny']);
    expect(add.code).toBe(0);
    const r = await cli(['models', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ name: string; disk: { state: string; commit?: string } }>;
    expect(rows.find((x) => x.name === 'mine/tiny')?.disk).toMatchObject({ state: 'cached', commit });
    expect(rows.find((x) => x.name === 'demo/small')?.disk.state).toBe('embedded');
    expect(rows.find((x) => x.name === 'iwslt2017-de-en/large')?.disk.state).toBe('not-downloaded');
    const table = await cli(['models']);
    expect(table.stdout).toMatch(/^NAME\s+SOURCE\s+ON DISK/);
    expect(table.stdout).toMatch(/mine\/tiny\s+test-org\/tiny-random-t5\s+downloaded/);
  });

  it('works offline from the cache with the server stopped, and resolves demo names locally', async () => {
    const demo = await cli(['download', 'demo/small']);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toBe(join(MODELS, 'toy-t5-small') + '\n');
    await hub.stop();
    const off = await cli(['download', 'mine/tiny', '--offline']);
    expect(off.code).toBe(0);
    expect(off.stdout.trim()).toMatch(new RegExp(`snapshots/${commit}$`));
    const env = await cli(['download', REPO], { HF_HUB_OFFLINE: '1' });
    expect(env.code).toBe(0);
    const none = await cli(['download', 'xsum/small'], { HF_HUB_OFFLINE: '1' });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^bild-bench: error: kssteven\/T5-small-xsum@main is not in the Hugging Face cache at .* offline mode is on/);
  });
});
