// `npm run demo` (scripts/demo.mjs) where the desktop app cannot start: the CLI demo runs instead,
// after one line saying why. With a display it first tries Electron's own installer, here against
// a mirror that refuses connections (CI must never fetch Electron).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths';

const home = mkdtempSync(join(tmpdir(), 'bild-demo-script-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function demo(env: Record<string, string | undefined>, out: string) {
  const { DISPLAY: _d, WAYLAND_DISPLAY: _w, ELECTRON_MIRROR: _m, ...base } = process.env;
  const r = spawnSync(process.execPath, ['scripts/demo.mjs', '--limit', '5', '--threads', '1', '--out', out], {
    cwd: ROOT, encoding: 'utf8', timeout: 120_000,
    env: { ...base, BILD_BENCH_HOME: home, electron_config_cache: join(home, 'electron-cache'), ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A loopback port nobody listens on: connections to it are refused at once. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

const TABLE = /^VARIANT\s+BLEU\s+MS MEAN/m;

describe.skipIf(process.platform !== 'linux')('npm run demo without the desktop app', () => {
  it('with no display: says so and prints the CLI demo table', () => {
    const out = join(home, 'no-display');
    const r = demo({}, out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^desktop app unavailable \(no display\): running the demo benchmark with the CLI$/m);
    expect(r.stderr).not.toMatch(/fetching Electron/);
    expect(r.stdout).toMatch(TABLE);
    expect(r.stdout).toMatch(/^bild\s+\d/m);
    expect(existsSync(join(out, 'sentences.csv'))).toBe(true);
  });

  it('with a display and no reachable Electron download: tries the installer, says why in one line, falls back', async () => {
    const port = await closedPort();
    const out = join(home, 'unreachable');
    const r = demo({ DISPLAY: ':99', ELECTRON_MIRROR: `http://127.0.0.1:${port}/` }, out);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.trim() && !/^\s+[\d.]+ MB in \d+ s$/.test(l));
    expect(lines[0]).toMatch(new RegExp(`^fetching Electron \\d+\\.\\d+\\.\\d+ for linux-\\w+ from http://127\\.0\\.0\\.1:${port}/`));
    expect(lines[1]).toMatch(/^desktop app unavailable \(could not fetch Electron [\d.]+: .*ECONNREFUSED.*; retry with `node node_modules\/electron\/install\.js`.*\): running the demo benchmark with the CLI$/);
    expect(r.stdout).toMatch(TABLE);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
    expect(existsSync(join(ROOT, 'node_modules', 'electron', 'path.txt'))).toBe(false); // nothing half-installed
  });
});
