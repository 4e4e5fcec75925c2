// Where a worker thread's entry module is, from source (tsx) and bundled (out/main).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * A module that registers tsx's loader, then imports the worker's .ts entry. Node does not apply
 * hooks from `execArgv: ['--import', 'tsx']` to a worker's own entry module, so from source
 * (tests, tsx) a worker starts from this bootstrap instead.
 */
function tsxBootstrap(tsFile: string): URL {
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const src = `import { register } from ${JSON.stringify(tsxApi)};\nregister();\nawait import(${JSON.stringify(pathToFileURL(tsFile).href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(src)}`);
}

/**
 * The entry `name` of a worker: `name.ts` beside the calling module (`callerUrl`, its
 * import.meta.url) when running from source; `name.js` in out/main (or one folder up from a
 * chunk) when bundled; `file` when given (a .ts file runs through tsx).
 */
export function workerEntry(callerUrl: string, name: string, file?: string): URL {
  if (file) return file.endsWith('.ts') ? tsxBootstrap(file) : pathToFileURL(file);
  const here = fileURLToPath(callerUrl);
  if (here.endsWith('.ts')) return tsxBootstrap(join(dirname(here), `${name}.ts`));
  for (const dir of [dirname(here), dirname(dirname(here))]) {
    const js = join(dir, `${name}.js`);
    if (existsSync(js)) return pathToFileURL(js);
  }
  throw new Error(`${name}.js not found near ${here}; run \`npm run build\``);
}
