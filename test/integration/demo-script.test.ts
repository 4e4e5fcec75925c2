// `npm run demo` (scripts/demo.mjs): with a display and no Electron binary it runs Electron's own
// installer first, here against local mirrors (CI must never fetch Electron): one that refuses
// connections (one line saying why, then the CLI demo) and one serving a stand-in Electron build
// (fetched, unpacked by the installer, then started as the app).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths';

const home = mkdtempSync(join(tmpdir(), 'bild-demo-script-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const ELECTRON = join(ROOT, 'node_modules', 'electron');
const electronVersion = (): string => (JSON.parse(readFileSync(join(ELECTRON, 'package.json'), 'utf8')) as { version: string }).version;

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

// With a real Electron installed in this checkout these would start it (and the last one would remove it).
const electronInstalled = existsSync(join(ELECTRON, 'path.txt'));

describe.skipIf(process.platform !== 'linux' || electronInstalled)('npm run demo without Electron installed', () => {
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

  it('with a display and a reachable mirror: fetches Electron with its installer, then starts the app', async () => {
    const version = electronVersion();
    const marker = join(home, 'electron-ran.txt');
    // A stand-in Electron build: a zip holding an `electron` that records how it was started.
    const build = join(home, 'mirror', `v${version}`);
    mkdirSync(build, { recursive: true });
    const zip = join(build, `electron-v${version}-linux-${process.arch}.zip`);
    const py = spawnSync('python3', ['-c', [
      'import sys, zipfile',
      "z = zipfile.ZipFile(sys.argv[1], 'w')",
      "i = zipfile.ZipInfo('electron'); i.external_attr = 0o755 << 16",
      "z.writestr(i, '#!/bin/sh\\necho \"$@\" > ' + sys.argv[2] + '\\n')",
      "z.writestr('version', 'v' + sys.argv[3]); z.close()",
    ].join('\n'), zip, marker, version], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const sha = createHash('sha256').update(readFileSync(zip)).digest('hex');
    writeFileSync(join(build, 'SHASUMS256.txt'), `${sha} *electron-v${version}-linux-${process.arch}.zip\n`);
    const asked: string[] = [];
    const mirror = createHttpServer((req, res) => {
      asked.push(req.url!);
      const file = join(home, 'mirror', decodeURIComponent(req.url!));
      if (!existsSync(file)) return void res.writeHead(404).end();
      const body = readFileSync(file);
      res.writeHead(200, { 'Content-Length': body.length }).end(body);
    });
    await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
    const { port } = mirror.address() as { port: number };
    try {
      const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        // asynchronous: the mirror answers from this process
        const child = spawn(process.execPath, ['scripts/demo.mjs', '--out', join(home, 'unused')], {
          cwd: ROOT,
          env: { ...process.env, BILD_BENCH_HOME: home, DISPLAY: ':99', ELECTRON_MIRROR: `http://127.0.0.1:${port}/`,
            electron_use_remote_checksums: '1', electron_config_cache: join(home, 'electron-cache-ok') },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d));
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`^fetching Electron ${version.replace(/\./g, '\\.')} for linux-\\w+ from http://127\\.0\\.0\\.1:${port}/`, 'm'));
      expect(r.stderr).not.toMatch(/desktop app unavailable/);
      expect(asked).toEqual(expect.arrayContaining([`/v${version}/electron-v${version}-linux-${process.arch}.zip`, `/v${version}/SHASUMS256.txt`]));
      expect(readFileSync(join(ELECTRON, 'path.txt'), 'utf8')).toBe('electron');
      expect(readFileSync(marker, 'utf8').trim()).toBe('.'); // electron-vite started the built app (this folder) in it
      expect(existsSync(join(home, 'unused'))).toBe(false); // no CLI fallback
    } finally {
      mirror.close();
      rmSync(join(ELECTRON, 'dist'), { recursive: true, force: true });
      rmSync(join(ELECTRON, 'path.txt'), { force: true });
    }
  });
});
