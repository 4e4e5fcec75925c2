// The history file across drivers and damage: a history.sqlite written by the earlier
// better-sqlite3 code opens with node:sqlite and keeps its runs; a damaged file names itself.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunHistory } from '../../src-main/engine/runner/history';
import { ROOT } from '../helpers/paths';

const home = mkdtempSync(join(tmpdir(), 'bild-history-file-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

// Written by bild-bench 0.1.0 (commit 368bbf5, better-sqlite3 12) with `run` (3 sentences,
// large + bild), `sweep` (2 cells, 2 sentences) and a run left "running" by a process that is gone.
const OLD = join(ROOT, 'test', 'fixtures', 'history', 'better-sqlite3-schema1.sqlite');

describe('history file', () => {
  it('opens a history written by the better-sqlite3 code and keeps its runs', () => {
    const path = join(home, 'old.sqlite');
    copyFileSync(OLD, path);
    const h = new RunHistory(path);
    const runs = h.list();
    expect(runs.map((r) => [r.runId, r.kind, r.status, r.sentences, r.plannedSentences])).toEqual([
      ['20261206-052500-dead01', 'run', 'interrupted', 2, 3],
      ['20261206-052439-30345a', 'sweep', 'completed', 2, 2],
      ['20261206-052435-9f5573', 'run', 'completed', 3, 3],
    ]);
    const run = h.summary('20261206-052435-9f5573');
    expect(run.label).toBe('fixture-run');
    expect(run.summaries.map((v) => v.variant)).toEqual(['large', 'bild']);
    expect(h.sentences(run.runId).map((s) => s.position)).toEqual([0, 1, 2]);
    // The interrupted run is summarized from its two stored sentences, as the old code would.
    const interrupted = h.summary('20261206-052500-dead01');
    expect(interrupted.summaries.map((v) => [v.variant, v.sentences])).toEqual([['large', 2], ['bild', 2]]);
    expect(h.summary('20261206-052439-30345a').sweep!.front.length).toBeGreaterThan(0);
    // It stays writable by the new driver: delete a run, its sentences go with it.
    h.delete(run.runId);
    expect(() => h.sentences(run.runId)).not.toThrow();
    expect(h.sentences(run.runId)).toEqual([]);
    h.close();
    const again = new RunHistory(path);
    expect(again.list().map((r) => r.runId)).toEqual(['20261206-052500-dead01', '20261206-052439-30345a']);
    again.close();
  });

  it('a damaged file names itself and says to move it away; a missing folder is created', () => {
    const path = join(home, 'damaged.sqlite');
    writeFileSync(path, 'this is not a database '.repeat(400));
    expect(() => new RunHistory(path)).toThrow(`cannot open the run history ${path} (file is not a database); the file is damaged: move it away to start a new history`);
    const fresh = new RunHistory(join(home, 'new', 'folder', 'history.sqlite'));
    expect(fresh.list()).toEqual([]);
    fresh.close();
  });
});
