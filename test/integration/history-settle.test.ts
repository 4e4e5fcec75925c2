// A long-lived engine (serve, the app) whose history disk fills up mid-run: the run stops, its
// final update cannot be written, and its row would say `running` for as long as the process
// lives (its pid is alive). Once the disk has room again, the next history access marks it
// interrupted, so it lists truthfully and can be deleted. A real tmpfs, filled up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createInProcessEngine } from '../../src-main/engine/api';
import { fill, Mounts, mountSkipReason } from '../helpers/mounts';
import { MODELS } from '../helpers/paths';

const mounts = new Mounts();
const MOUNT_SKIP = mountSkipReason();
const home = mkdtempSync(join(tmpdir(), 'bild-history-settle-'));
afterAll(() => {
  mounts.release();
  rmSync(home, { recursive: true, force: true });
});

describe.skipIf(MOUNT_SKIP)('history on a disk that fills up under a long-lived engine', () => {
  it('marks the stopped run interrupted once the disk has room, and lets it be deleted', async () => {
    process.env.BILD_BENCH_HOME = home; // exported models go here, the history to the small disk
    const disk = mounts.tmpfs('history-disk', '4m')!;
    const engine = createInProcessEngine({ historyPath: join(disk, 'history.sqlite') });
    try {
      let filler: string | undefined;
      let runId = '';
      engine.subscribe((e) => {
        if (e.runId === runId && e.type === 'sentence' && !filler) filler = fill(disk, 0);
      });
      ({ runId } = await engine.startRun({
        models: { large: join(MODELS, 'toy-t5-large') }, methods: ['large'], threads: 1,
        dataset: { name: 'demo', split: 'test', limit: 200 }, outDir: join(home, 'out'),
      }));
      await expect(engine.waitForRun(runId)).rejects.toThrow(/no space left on the device/);
      rmSync(filler!);
      const [entry] = await engine.listRuns();
      expect(entry).toMatchObject({ runId, status: 'interrupted' });
      expect(entry!.sentences).toBeGreaterThanOrEqual(1);
      await engine.deleteRun(runId);
      expect(await engine.listRuns()).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
