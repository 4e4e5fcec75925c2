// The export cache when two loads of one checkpoint race (the app and the CLI share ~/.cache/bild-bench).
import { mkdtempSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureExported, readManifest } from '../../src-main/engine/onnx/export-t5';
import { T5Runtime } from '../../src-main/engine/runtime/t5-runtime';
import { scratch } from '../helpers/export';
import { modelDir } from '../helpers/paths';

describe('export cache', () => {
  it('two exports of one checkpoint at once keep the first finished folder and leave nothing else', async () => {
    const root = mkdtempSync(join(scratch(), 'onnx-'));
    const [a, b] = await Promise.all([ensureExported(modelDir('toy-t5-small'), { cacheRoot: root }), ensureExported(modelDir('toy-t5-small'), { cacheRoot: root })]);
    expect(b.dir).toBe(a.dir);
    // the second to finish found the first's export and kept it (it may already be in use) instead of replacing it
    expect(b.manifest.createdAt).toBe(a.manifest.createdAt);
    expect(readManifest(a.dir)?.createdAt).toBe(a.manifest.createdAt);
    expect(readdirSync(root)).toEqual([basename(a.dir)]);
    const rt = await T5Runtime.load(a.dir);
    expect((await rt.encode([5, 17, 1])).length).toBe(3);
    await rt.release();
  });
});
