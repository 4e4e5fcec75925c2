#!/usr/bin/env node
// The main job on the embedded demo pair: the desktop app where Electron can run (a display, and
// its binary, fetched on first start), else the same benchmark headless through the CLI.
// Arguments after `--` go to the CLI run (e.g. `npm run demo -- --limit 20 --out /tmp/demo`).
import { spawnSync } from 'node:child_process';
import { ensureElectron, hasDisplay, startApp } from './electron-app.mjs';

let why = 'no display';
if (hasDisplay()) {
  const electron = await ensureElectron();
  if (electron.binary) {
    const code = startApp();
    if (code === 0) process.exit(0);
    why = `the app exited with ${code ?? 'an error starting it'}`; // e.g. a sandbox it may not use
  } else {
    why = electron.why;
  }
}
console.error(`desktop app unavailable (${why}): running the demo benchmark with the CLI`);
process.exit(spawnSync(process.execPath, [
  'bin/bild-bench.js', 'run', '--model', 'bild', '--small', 'demo/small', '--large', 'demo/large',
  '--dataset_name', 'demo', '--split', 'test', '--limit', '100',
  '--methods', 'large,small,bild,speculative', '--bild_fallback', '0.5', '--bild_rollback', '2',
  '--out', 'demo-results', ...process.argv.slice(2),
], { stdio: 'inherit' }).status ?? 1);
