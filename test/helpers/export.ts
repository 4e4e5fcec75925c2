import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointReader } from '../../src-main/engine/checkpoint/types';
import { exportT5 } from '../../src-main/engine/onnx/export-t5';
import type { WeightDType } from '../../src-main/engine/onnx/t5-weights';
import { T5Runtime, type RuntimeOptions } from '../../src-main/engine/runtime/t5-runtime';

/** A scratch folder for one test file; BILD_BENCH_HOME points there so nothing touches ~/.cache. */
export function scratch(prefix = 'bild-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.env.BILD_BENCH_HOME ??= dir;
  return dir;
}

/** Exports a checkpoint folder into a fresh folder and loads it. */
export async function exportAndLoad(
  checkpointDir: string,
  opts: { dtype?: WeightDType; reader?: CheckpointReader; runtime?: RuntimeOptions } = {},
): Promise<T5Runtime> {
  const out = join(scratch(), `export-${Math.random().toString(36).slice(2)}`);
  await exportT5(checkpointDir, out, { dtype: opts.dtype, reader: opts.reader });
  return T5Runtime.load(out, opts.runtime);
}
