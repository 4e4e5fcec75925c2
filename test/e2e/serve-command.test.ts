// `bild-bench serve` as a user starts it (needs `npm run build` first, for out/renderer): the
// printed URL carries the token (BILD_BENCH_TOKEN here), --allow lets the page name files of a
// folder, and a token or folder that cannot work stops it at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedApp } from '../../src-main/server/serve-app';
import { runCli } from '../helpers/cli';
import { ROOT } from '../helpers/paths';
import { postApi, refreshTarget } from '../helpers/served-app';

const dir = mkdtempSync(join(tmpdir(), 'bild-serve-command-'));
const TOKEN = 'a-token-chosen-by-the-user';
let serve: ChildProcess;
let served: Pick<ServedApp, 'url' | 'token'>;
let printed = '';

beforeAll(async () => {
  for (const d of ['corpora', 'elsewhere']) {
    mkdirSync(join(dir, d));
    writeFileSync(join(dir, d, 'pairs.tsv'), 'de\ten\nHallo\tHello\n');
  }
  serve = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src-main/cli/main.ts'), 'serve', '--port', '0', '--allow', join(dir, 'corpora')], {
    cwd: ROOT,
    env: { ...process.env, BILD_BENCH_TOKEN: TOKEN, BILD_BENCH_HOME: join(dir, 'home'), HF_HUB_CACHE: join(dir, 'hf') },
  });
  serve.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
  const url = await new Promise<string>((ok, fail) => {
    serve.stdout!.on('data', () => {
      const m = /serving at (http:\/\/127\.0\.0\.1:\d+\/)\?token=(\S+)\n/.exec(printed);
      if (m) ok(m[1]!);
    });
    serve.on('exit', (code) => fail(new Error(`serve exited (${code}): ${printed}`)));
  });
  served = { url, token: TOKEN };
});
afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const exited = new Promise((done) => serve.once('exit', done));
    serve.kill('SIGTERM'); // it cancels the run it may still be doing, then exits
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

const runOn = (file: string) =>
  postApi(served as ServedApp, 'startRun', [{ models: { large: 'demo/large' }, methods: ['large'], dataset: { name: file }, warmup: 0 }]);

describe('bild-bench serve', () => {
  it('prints the URL with the token, which logs a browser in', async () => {
    expect(printed).toContain(`BiLD Bench is serving at ${served.url}?token=${TOKEN}\n`);
    const login = await fetch(`${served.url}?token=${TOKEN}`, { redirect: 'manual' });
    expect([login.status, refreshTarget(await login.text()), login.headers.getSetCookie().length]).toEqual([200, '/', 1]);
  });

  it('lets the page name files in an --allow folder only', async () => {
    expect((await runOn(join(dir, 'corpora', 'pairs.tsv'))).status).toBe(200);
    const refused = await runOn(join(dir, 'elsewhere', 'pairs.tsv'));
    expect(refused.status).toBe(400);
    expect(refused.body.error?.message).toContain(`not in a folder this app may read (allowed: ${join(dir, 'home')}, ${join(dir, 'hf')}, `);
    expect(refused.body.error?.message).toContain(`, ${join(dir, 'corpora')}; add one to "allowedFolders" in ${join(dir, 'home', 'settings.json')}`);
  });

  it('refuses a token that is too short or a folder that is not one, before it starts', () => {
    const short = runCli(['serve', '--port', '0', '--token', 'short']);
    expect([short.code, short.stderr]).toEqual([2, expect.stringContaining('--token: a token needs 16 or more characters')]);
    const env = runCli(['serve', '--port', '0'], { BILD_BENCH_TOKEN: 'has spaces in it, so no' });
    expect([env.code, env.stderr]).toEqual([2, expect.stringContaining('BILD_BENCH_TOKEN: a token needs 16 or more characters')]);
    const allow = runCli(['serve', '--port', '0', '--allow', join(dir, 'no-such-folder')]);
    expect([allow.code, allow.stderr]).toEqual([2, expect.stringContaining(`--allow: '${join(dir, 'no-such-folder')}' is not a folder`)]);
  });
});
