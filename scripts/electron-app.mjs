// Starting the desktop app from a checkout: find Electron's binary, fetch it on first start (npm ci
// leaves electron's install script off, so installs stay offline-safe), and run the built app.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const electronDir = () => dirname(createRequire(import.meta.url).resolve('electron/package.json'));
export const electronVersion = () => JSON.parse(readFileSync(join(electronDir(), 'package.json'), 'utf8')).version;

/** Where the electron package keeps its binary, when it is there (requiring the package itself would throw). */
export function electronBinary() {
  try {
    const dir = electronDir();
    const path = join(dir, 'dist', readFileSync(join(dir, 'path.txt'), 'utf8').trim());
    return existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

export const hasDisplay = () => process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

function bytesUnder(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    try {
      if (e.isFile()) n += statSync(join(e.parentPath ?? e.path, e.name)).size;
    } catch {
      // a file renamed away while we looked
    }
  }
  return n;
}

const STALL_S = 60;
const GITHUB = 'https://github.com/electron/electron/releases/download/';

/** Node's "fetch failed" hides the network's reason in its cause: ask the same host once more for it. */
async function whyUnreachable(url) {
  try {
    await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    return `${new URL(url).host} answers now`;
  } catch (err) {
    const cause = err.cause ?? err;
    return `${new URL(url).host}: ${cause.code ?? cause.name ?? ''} ${cause.message ?? ''}`.replace(/\s+/g, ' ').trim();
  }
}

/**
 * Runs electron's own installer (node_modules/electron/install.js: @electron/get, which honours
 * ELECTRON_MIRROR, electron_config_cache and, here, HTTPS_PROXY/HTTP_PROXY) with a progress line.
 * Resolves { ok: true } or { ok: false, why } with the installer's own reason in one line.
 */
export function fetchElectron() {
  const version = electronVersion();
  const from = process.env.ELECTRON_MIRROR ?? 'GitHub';
  // The installer downloads into the temporary folder; a fresh one lets us count its bytes.
  const tmp = mkdtempSync(join(tmpdir(), 'bild-electron-'));
  const env = { ...process.env, TMPDIR: tmp, TEMP: tmp, TMP: tmp, ELECTRON_GET_NO_PROGRESS: '1' };
  if (env.HTTPS_PROXY || env.HTTP_PROXY || env.https_proxy || env.http_proxy) {
    env.ELECTRON_GET_USE_PROXY ??= 'true';
    env.NODE_USE_ENV_PROXY ??= '1'; // Node's fetch, which @electron/get uses, follows the proxy variables only with this
  }
  const tty = process.stderr.isTTY;
  process.stderr.write(`fetching Electron ${version} for ${process.platform}-${process.arch} from ${from} (about 110 MB, once)\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(electronDir(), 'install.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const started = Date.now();
    let last = { bytes: 0, at: started };
    let lastLine = 0;
    const tick = setInterval(() => {
      const bytes = bytesUnder(tmp);
      const now = Date.now();
      if (bytes > last.bytes) last = { bytes, at: now };
      else if (now - last.at > STALL_S * 1000) child.kill();
      const line = `  ${(bytes / 1e6).toFixed(1)} MB in ${Math.round((now - started) / 1000)} s`;
      if (tty) process.stderr.write(`\r${line}   `);
      else if (now - lastLine >= 10_000) (process.stderr.write(`${line}\n`), (lastLine = now));
    }, 500);
    child.on('close', async (code, signal) => {
      clearInterval(tick);
      if (tty) process.stderr.write('\n');
      rmSync(tmp, { recursive: true, force: true });
      if (code === 0 && electronBinary()) return resolve({ ok: true });
      // install.js prints the error's stack; its "SomeError: ..." line is the reason (Node's own
      // errors start with a source excerpt).
      const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
      let reason = signal ? `no data for ${STALL_S} s` : (lines.find((l) => /^\w*(Error|Exception)\b/.test(l)) ?? lines[0] ?? `the installer exited with ${code}`);
      if (/fetch failed/.test(reason)) reason = `${reason} (${await whyUnreachable(process.env.ELECTRON_MIRROR ?? GITHUB)})`;
      resolve({ ok: false, why: reason.length > 240 ? `${reason.slice(0, 240)}…` : reason });
    });
  });
}

/** The built app in Electron (electron-vite preview, which builds first only when out/ is missing); its exit code. */
export function startApp() {
  const built = existsSync(join(dirname(import.meta.dirname), 'out', 'main', 'index.js'));
  // npx is npx.cmd on Windows, which only a shell finds
  return spawnSync('npx', ['electron-vite', 'preview', ...(built ? ['--skipBuild'] : [])], { stdio: 'inherit', shell: process.platform === 'win32' }).status;
}

export const retryHint = () =>
  'retry with `node node_modules/electron/install.js` (set ELECTRON_MIRROR, or HTTPS_PROXY, where GitHub is out of reach), then `npm start`';

/**
 * Makes sure Electron's binary is there: fetches it when a display could show the app.
 * Resolves { binary } or { binary: null, why } (why: one line for the user).
 */
export async function ensureElectron() {
  const binary = electronBinary();
  if (binary) return { binary };
  if (!hasDisplay()) return { binary: null, why: 'no display, and no Electron binary' };
  const got = await fetchElectron();
  if (got.ok) return { binary: electronBinary() };
  return { binary: null, why: `could not fetch Electron ${electronVersion()}: ${got.why}; ${retryHint()}` };
}
