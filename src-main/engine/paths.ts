import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The package root (where package.json names bild-bench), found from this module's location so
 * that the same code works from src-main (tests, tsx) and from the bundled out/ folder. */
export function appRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'bild-bench') {
      cachedRoot = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('bild-bench package root not found');
    dir = up;
  }
}

export function resourcesDir(): string {
  return process.env.BILD_BENCH_RESOURCES ?? join(appRoot(), 'resources');
}

/** Where the app keeps what it makes (exported ONNX models, run history): BILD_BENCH_HOME or ~/.cache/bild-bench. */
export function appHome(): string {
  return process.env.BILD_BENCH_HOME ?? join(homedir(), '.cache', 'bild-bench');
}

export function appVersion(): string {
  return (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
