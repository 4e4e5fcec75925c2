#!/usr/bin/env node
// `npm start`: the built desktop app, fetching Electron's binary on first start.
import { ensureElectron, startApp } from './electron-app.mjs';

const electron = await ensureElectron();
if (!electron.binary) {
  console.error(`desktop app unavailable (${electron.why}); \`npx bild-bench serve\` serves the same UI to a browser`);
  process.exit(1);
}
process.exit(startApp() ?? 1);
