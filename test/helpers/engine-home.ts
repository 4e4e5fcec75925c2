import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createInProcessEngine, type EngineApi } from '../../src-main/engine/api';

/**
 * An in-process engine over a fresh app home for this test file (history, runs, exports), closed
 * and removed after it. `engine()` is valid from the file's first test on.
 */
export function inProcessEngineHome(prefix: string): { home: string; engine: () => EngineApi } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  let engine: EngineApi | undefined;
  beforeAll(() => {
    process.env.BILD_BENCH_HOME = home;
    engine = createInProcessEngine();
  });
  afterAll(async () => {
    await engine?.close();
    rmSync(home, { recursive: true, force: true });
  });
  return { home, engine: () => engine! };
}
