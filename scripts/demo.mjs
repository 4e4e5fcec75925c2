#!/usr/bin/env node
// The main job on the embedded demo pair: the desktop app where Electron can run (its binary is
// installed and a display exists), else the same benchmark headless through the CLI.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

// Where the electron package keeps its binary (requiring the package itself would try to download it).
function electronBinary() {
  try {
    const pkg = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const path = join(pkg, 'dist', readFileSync(join(pkg, 'path.txt'), 'utf8').trim());
    return existsSync(path) ? path : null;
  } catch {
    return null;
  }
}
const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
// npx is npx.cmd on Windows, which only a shell finds
const exitCode = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' }).status;

const binary = electronBinary();
let why = binary ? 'no display' : 'no Electron binary';
if (binary && hasDisplay) {
  const code = exitCode('npx', ['electron-vite', 'preview']);
  if (code === 0) process.exit(0);
  why = `the app exited with ${code ?? 'an error starting it'}`; // e.g. a sandbox it may not use, or native modules built for Node
}
console.error(`desktop app unavailable (${why}): running the demo benchmark with the CLI`);
process.exit(exitCode(process.execPath, [
  'bin/bild-bench.js', 'run', '--model', 'bild', '--small', 'demo/small', '--large', 'demo/large',
  '--dataset_name', 'demo', '--split', 'test', '--limit', '100',
  '--methods', 'large,small,bild,speculative', '--bild_fallback', '0.5', '--bild_rollback', '2',
  '--out', 'demo-results',
]) ?? 1);
