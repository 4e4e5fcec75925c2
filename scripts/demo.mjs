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
const run = (cmd, args) => process.exit(spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1);

const binary = electronBinary();
if (binary && hasDisplay) {
  run('npx', ['electron-vite', 'preview']);
} else {
  console.error(`desktop app unavailable (${binary ? 'no display' : 'no Electron binary'}): running the demo benchmark with the CLI`);
  run(process.execPath, [
    'bin/bild-bench.js', 'run', '--model', 'bild', '--small', 'demo/small', '--large', 'demo/large',
    '--dataset_name', 'demo', '--split', 'test', '--limit', '100',
    '--methods', 'large,small,bild,speculative', '--bild_fallback', '0.5', '--bild_rollback', '2',
    '--out', 'demo-results',
  ]);
}
