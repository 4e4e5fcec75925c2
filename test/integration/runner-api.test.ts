// The engine API in process: events, cancellation with a valid partial result, history.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createInProcessEngine, type EngineEvent, type RunSpec, type RunSummary } from '../../src-main/engine/api';
import { parseCsv } from '../../src-main/engine/runner/csv';
import { RunHistory } from '../../src-main/engine/runner/history';
import { openDatabase } from '../../src-main/engine/runner/sqlite';
import { inProcessEngineHome } from '../helpers/engine-home';
import { MODELS } from '../helpers/paths';

const { home, engine } = inProcessEngineHome('bild-runner-api-');

const spec = (over: Partial<RunSpec> = {}): RunSpec => ({
  models: { small: join(MODELS, 'toy-t5-small'), large: join(MODELS, 'toy-t5-large') },
  dataset: { name: 'demo', split: 'test', limit: 60 },
  threads: 1,
  ...over,
});

describe('in-process engine', () => {
  let cancelled: RunSummary;
  const events: EngineEvent[] = [];

  it('emits events and, cancelled after 5 sentences, keeps a valid partial result', async () => {
    let runId = '';
    let sentences = 0;
    const off = engine().subscribe((e) => {
      if (e.runId !== runId) return;
      events.push(e);
      if (e.type === 'sentence' && ++sentences === 5) void engine().cancelRun(runId);
    });
    runId = (await engine().startRun(spec({ methods: ['large', 'bild'], outDir: join(home, 'cancelled') }))).runId;
    cancelled = await engine().waitForRun(runId);
    off();

    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.sentences).toBe(5); // the sentence in flight when cancelled is dropped
    expect(cancelled.plannedSentences).toBe(60);
    expect(cancelled.summaries.map((s) => [s.variant, s.sentences])).toEqual([['large', 5], ['bild', 5]]);
    const types = events.map((e) => e.type);
    expect(types.indexOf('run-started')).toBeLessThan(types.indexOf('sentence'));
    expect(types.slice(-2)).toEqual(['summary', 'run-finished']);
    const sentence = events.find((e) => e.type === 'sentence')!;
    expect(sentence.type === 'sentence' && sentence.sentence.outputs.map((o) => o.variant)).toEqual(['large', 'bild']);
    expect(events.some((e) => e.type === 'progress' && e.stage === 'decode' && e.done === 5 && e.total === 60)).toBe(true);
    // Every event survives a JSON round trip (what IPC and SSE transports do).
    for (const e of events) expect(JSON.parse(JSON.stringify(e))).toEqual(e);

    const onDisk = JSON.parse(readFileSync(join(home, 'cancelled', 'summary.json'), 'utf8')) as RunSummary;
    expect(onDisk).toEqual(cancelled);
    expect(parseCsv(readFileSync(join(home, 'cancelled', 'sentences.csv'), 'utf8'))).toHaveLength(1 + 2 * 5);
  });

  it('stores runs in the history: list, get, compare, export', async () => {
    const done = await engine().waitForRun((await engine().startRun(spec({ methods: ['small'], models: { small: join(MODELS, 'toy-t5-small') }, dataset: { name: 'demo', limit: 4 } }))).runId);
    expect(done.status).toBe('completed');
    const list = await engine().listRuns();
    expect(list.map((r) => r.runId)).toEqual(expect.arrayContaining([cancelled.runId, done.runId]));
    expect(list.find((r) => r.runId === cancelled.runId)!.status).toBe('cancelled');
    const detail = await engine().getRun(cancelled.runId);
    expect(detail.summary).toEqual(cancelled);
    expect(detail.sentences.map((s) => s.position)).toEqual([0, 1, 2, 3, 4]);
    const cmp = await engine().compareRuns([cancelled.runId, done.runId]);
    expect(cmp.rows.map((r) => r.variant)).toEqual(['large', 'bild', 'small']);
    expect(cmp.rows[2]!.speedup).toBeNull(); // no large-only baseline in that run
    const { files } = await engine().exportRun({ runId: cancelled.runId, dir: join(home, 'exported') });
    expect(files.map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual(['sentences.csv', 'summary.csv', 'summary.json']);
    expect(readFileSync(files[0]!, 'utf8')).toBe(readFileSync(join(home, 'cancelled', 'sentences.csv'), 'utf8'));
    expect(readFileSync(files[1]!, 'utf8')).toBe(readFileSync(join(home, 'cancelled', 'summary.csv'), 'utf8'));
    await expect(engine().getRun('nope')).rejects.toThrow(/no run 'nope'/);
  });

  it('rejects bad requests at once with a user error', async () => {
    await expect(engine().startRun(spec({ methods: ['bild'], bild: { fallback: 2 } }))).rejects.toThrow(/bild_fallback: 2/);
    await expect(engine().startRun(spec({ dataset: { name: 'nope-nope' } }))).rejects.toThrow(/unknown dataset/);
    // Path-shaped names that do not exist are missing files, never Hub dataset ids.
    for (const name of ['data/missing.jsonl', './missing', 'a/b/c', '~/missing', 'missing.csv'])
      await expect(engine().startRun(spec({ dataset: { name } }))).rejects.toThrow(`file not found: ${name}`);
    await expect(engine().startSweep(spec({ models: { large: join(MODELS, 'toy-t5-large') } }))).rejects.toThrow(/small and a large/);
    await expect(engine().startRun(spec({ models: { large: join(MODELS, 'toy-t5-large') }, methods: ['bild'] }))).rejects.toThrow(/needs a small model/);
  });

  it('runs one job at a time, reports it in activeJobs and refuses to delete it while it runs', async () => {
    const { runId } = await engine().startRun(spec({ methods: ['large'], dataset: { name: 'demo', limit: 40 } }));
    expect(await engine().activeJobs()).toEqual([expect.objectContaining({ runId, kind: 'run' })]);
    await expect(engine().startSweep(spec())).rejects.toThrow(`run ${runId} is still running: cancel it or wait until it ends`);
    await expect(engine().deleteRun(runId)).rejects.toThrow(`run ${runId} is still running (process ${process.pid}): cancel it before deleting it`);
    await new Promise<void>((resolve) => {
      const off = engine().subscribe((e) => e.type === 'sentence' && e.runId === runId && (off(), resolve()));
    });
    const [job] = await engine().activeJobs();
    expect(job!.variants.map((v) => v.id)).toEqual(['large']);
    expect(job!.total).toBe(40);
    expect(job!.done).toBeGreaterThanOrEqual(1);
    await engine().cancelRun(runId);
    expect((await engine().waitForRun(runId)).status).toBe('cancelled');
    expect(await engine().activeJobs()).toEqual([]);
    await engine().deleteRun(runId);
    await expect(engine().getRun(runId)).rejects.toThrow(/no run/);
  });

  it('refuses to delete a run another live process is writing', () => {
    const h = new RunHistory(join(home, 'history-other.sqlite'));
    h.insert({ ...cancelled, runId: 'elsewhere', status: 'running' }, process.ppid); // a live process that is not this one
    expect(() => h.delete('elsewhere')).toThrow(`run elsewhere is still running (process ${process.ppid}): cancel it before deleting it`);
    h.close();
  });

  it('goes on when the history cannot record the run (deleted behind its back): the files are complete', async () => {
    const out = join(home, 'no-history');
    let runId = '';
    const off = engine().subscribe((e) => {
      if (e.runId !== runId || e.type !== 'sentence' || e.sentence.position !== 0) return;
      const db = openDatabase(join(home, 'history.sqlite'));
      db.exec('PRAGMA foreign_keys = ON');
      db.prepare('DELETE FROM runs WHERE id = ?').run(runId);
      db.close();
    });
    runId = (await engine().startRun(spec({ methods: ['large'], dataset: { name: 'demo', limit: 6 }, outDir: out }))).runId;
    const done = await engine().waitForRun(runId);
    off();
    expect(done.status).toBe('completed');
    expect(done.sentences).toBe(6);
    expect(parseCsv(readFileSync(join(out, 'sentences.csv'), 'utf8'))).toHaveLength(1 + 6);
    await expect(engine().getRun(runId)).rejects.toThrow(/no run/);
  });

  it('refuses a threshold that is not a number (an emptied form field arrives as "")', async () => {
    await expect(engine().startRun(spec({ methods: ['bild'], bild: { fallback: '' as unknown as number } }))).rejects.toThrow('bild_fallback: "" must be a number within 0..1');
    await expect(engine().startRun(spec({ methods: ['bild'], bild: { rollback: '' as unknown as number } }))).rejects.toThrow('bild_rollback: "" must be a positive number');
    await expect(engine().startRun(spec({ dataset: { name: 'demo', limit: '' as unknown as number } }))).rejects.toThrow('limit: "" must be an integer >= 1');
  });

  it('marks runs of a dead process interrupted and summarizes their stored sentences', () => {
    const path = join(home, 'history-copy.sqlite');
    const h = new RunHistory(path);
    const running: RunSummary = { ...cancelled, runId: 'crashed', status: 'running', summaries: [], sentences: 0 };
    h.insert(running, 2 ** 30); // a writer process that no longer exists
    const main = new RunHistory(join(home, 'history.sqlite'));
    for (const s of main.sentences(cancelled.runId)) h.appendSentence('crashed', s);
    main.close();
    h.close();
    const reopened = new RunHistory(path);
    const s = reopened.summary('crashed');
    expect(s.status).toBe('interrupted');
    expect(s.sentences).toBe(5);
    expect(s.summaries.map((v) => v.quality.primary)).toEqual(cancelled.summaries.map((v) => v.quality.primary));
    reopened.close();
  });

  it("marks interrupted the runs a dead engine worker of this process left running (the pid alone looks alive)", async () => {
    const path = join(home, 'history-orphans.sqlite');
    const h = new RunHistory(path);
    h.insert({ ...cancelled, runId: 'orphan', status: 'running', summaries: [], sentences: 0 }); // this process's pid
    h.insert({ ...cancelled, runId: 'still-mine', status: 'running', summaries: [], sentences: 0 });
    h.close();
    const next = createInProcessEngine({ historyPath: path, orphanedRuns: ['orphan'] });
    const status = Object.fromEntries((await next.listRuns()).map((r) => [r.runId, r.status]));
    await next.close();
    expect(status).toEqual({ orphan: 'interrupted', 'still-mine': 'running' });
  });
});
