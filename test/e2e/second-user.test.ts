// Another user of the same host (a shared GPU server) against `bild-bench serve`: the server runs
// as root here, the requests come from curl running as `nobody`. Without the token nothing
// answers; with it (leaked) the caller still cannot make the server read a file of root's.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveApp, type ServedApp } from '../../src-main/server/serve-app';

const found = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skipped =
  process.getuid?.() !== 0
    ? 'needs root, to start the server as one user and call it as another'
    : !found('setpriv')
      ? 'needs setpriv (util-linux)'
      : !found('curl')
        ? 'needs curl'
        : undefined;

const dir = mkdtempSync(join(tmpdir(), 'bild-second-user-')); // mode 0700: root's alone
const secret = join(dir, 'private.txt');
let app: ServedApp;

/** Runs `args` as nobody (its own group, no supplementary groups), without blocking the server in this process. */
function asNobody(args: string[], input?: string): Promise<{ status: number | null; stdout: string }> {
  const gid = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim();
  const child = spawn('setpriv', ['--reuid=nobody', `--regid=${gid}`, '--clear-groups', ...args]);
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stdin.end(input ?? '');
  return new Promise((done) => child.on('close', (status) => done({ status, stdout })));
}

/** curl as nobody: the HTTP status and the body. */
async function curl(path: string, opts: { body?: unknown; token?: string } = {}): Promise<{ status: number; body: string }> {
  const args = ['curl', '-sS', '-m', '20', '-o', '-', '-w', '\n%{http_code}'];
  if (opts.token) args.push('-H', `Authorization: Bearer ${opts.token}`);
  if (opts.body !== undefined) args.push('-X', 'POST', '-H', 'Content-Type: application/json', '--data-binary', '@-');
  const r = await asNobody([...args, new URL(path, app.url).href], opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const cut = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
}

describe.skipIf(skipped !== undefined)(`another user of this host${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
  beforeAll(async () => {
    writeFileSync(secret, 'root-only line one\nroot-only line two\n');
    chmodSync(secret, 0o600);
    app = await serveApp({ port: 0, env: { ...process.env, BILD_BENCH_HOME: join(dir, 'home'), HF_HUB_CACHE: join(dir, 'hf'), HF_HUB_OFFLINE: '1' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('cannot read the file itself (the premise)', async () => {
    expect((await asNobody(['cat', secret])).status).not.toBe(0);
  });

  it('gets 401 from the API and the event stream without the token', async () => {
    expect((await curl('api/listRuns', { body: [] })).status).toBe(401);
    expect((await curl('api/events')).status).toBe(401);
    expect((await curl('api/startRun', { body: [{ models: { large: 'demo/large' }, dataset: { name: `${secret},${secret}` } }] })).status).toBe(401);
  });

  it('with the token, cannot make the server read a file outside the allowed folders', async () => {
    expect(await curl('api/listRuns', { body: [], token: app.token })).toEqual({ status: 200, body: '{"result":[]}' });
    for (const name of [`${secret},${secret}`, secret]) {
      const r = await curl('api/startRun', { body: [{ models: { large: 'demo/large' }, methods: ['large'], dataset: { name } }], token: app.token });
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toEqual({ error: { message: expect.stringContaining(`'${secret}': not in a folder this app may read`), userError: true } });
      expect(r.body).not.toContain('root-only');
    }
    expect((await curl('api/listRuns', { body: [], token: app.token })).body).toBe('{"result":[]}'); // no run was started
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
