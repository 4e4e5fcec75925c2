// A run on a full or read-only disk, through the CLI (#15): one error line naming the path and
// the reason, and files and history that agree (a sentence is in the CSV, the JSONL and the
// history or in none of them, no half line, no temporary file left). Real mounts: a small tmpfs
// filled up, and a read-only bind mount of one (root ignores a folder's permission bits).
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessEngine, type EngineApi, type RunListEntry, type RunSpec, type RunSummary, type SentenceResult } from '../../src-main/engine/api';
import { CSV_COLUMNS, parseCsv } from '../../src-main/engine/runner/csv';
import { HistoryDiskError, RunHistory } from '../../src-main/engine/runner/history';
import { runCli, type CliResult } from '../helpers/cli';
import { fill, Mounts, mountSkipReason } from '../helpers/mounts';
import { MODELS } from '../helpers/paths';

const mounts = new Mounts();
const root = mounts.root;
const MOUNT_SKIP = mountSkipReason();
afterAll(() => mounts.release());

const TINY_RUN = ['run', '--model', 'demo/tiny', '--dataset_name', 'demo', '--threads', '1'];

/** Exit code 2 and one error line, the last on stderr (a run announces itself first), no stack. */
function oneUserError(r: CliResult, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines.filter((l) => l.includes('error')), r.stderr).toHaveLength(1);
  expect(lines.at(-1)).toMatch(/^bild-bench: error: /);
  expect(lines.at(-1)).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** The run's folder holds its four files, whole: no temporary or empty file, no half line, CSV = JSONL = history. */
function expectConsistent(runDir: string, historyPath: string): { runId: string; sentences: number } {
  expect(readdirSync(runDir).sort()).toEqual(['sentences.csv', 'sentences.jsonl', 'summary.csv', 'summary.json']);
  for (const f of readdirSync(runDir)) expect(statSync(join(runDir, f)).size, f).toBeGreaterThan(0);
  const { runId } = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as RunSummary;
  const csv = readFileSync(join(runDir, 'sentences.csv'), 'utf8');
  const jsonl = readFileSync(join(runDir, 'sentences.jsonl'), 'utf8');
  expect(csv.endsWith('\n')).toBe(true);
  const [head, ...rows] = parseCsv(csv);
  expect(head).toEqual([...CSV_COLUMNS]);
  for (const row of rows) expect(row).toHaveLength(CSV_COLUMNS.length);
  const lines = jsonl === '' ? [] : jsonl.split('\n');
  expect(lines.pop()).toBe(''); // every line ends
  const fromJsonl = lines.map((l) => (JSON.parse(l) as SentenceResult).position);
  const history = RunHistory.readOnly(historyPath);
  const fromHistory = history.sentences(runId).map((s) => s.position);
  history.close();
  const fromCsv = rows.map((r) => Number(r[1]));
  expect(fromJsonl.length).toBeGreaterThan(0);
  expect(fromJsonl.length).toBeLessThan(100); // the disk stopped it
  expect(fromCsv).toEqual(fromJsonl);
  expect(fromHistory).toEqual(fromJsonl);
  return { runId, sentences: fromJsonl.length };
}

describe.skipIf(MOUNT_SKIP)('runs on a full disk', () => {
  let home: string;
  beforeAll(() => {
    home = join(root, 'home');
  });

  it('run --out on a full disk stops with the file and the reason; CSV, JSONL and history agree', () => {
    const disk = mounts.tmpfs('full-out', '4m')!;
    fill(disk, 40 * 1024);
    const out = join(disk, 'run');
    // every source truncated: the count must be that of the recorded sentences, not of the decoded ones
    const r = runCli([...TINY_RUN, '--limit', '100', '--max_source_length', '2', '--out', out], { BILD_BENCH_HOME: home });
    oneUserError(r, new RegExp(`cannot write '${out}/sentences\\.(csv|jsonl)': no space left on the device \\(ENOSPC\\)`));
    const { runId, sentences } = expectConsistent(out, join(home, 'history.sqlite'));
    const listed = runCli(['runs', 'list', '--json'], { BILD_BENCH_HOME: home });
    const entry = (JSON.parse(listed.stdout) as RunListEntry[]).find((e) => e.runId === runId)!;
    expect(entry.status).toBe('failed');
    expect(entry.sentences).toBe(sentences);
    const shown = JSON.parse(runCli(['runs', 'show', runId, '--json'], { BILD_BENCH_HOME: home }).stdout) as RunSummary;
    expect(shown.environment?.sourceTruncation).toEqual({ maxSourceLength: 2, truncated: sentences });
  });

  it('with BILD_BENCH_HOME on a full disk: runs list works; a run stops naming the file, files and history agree', () => {
    const disk = mounts.tmpfs('full-home', '8m')!;
    const fullHome = join(disk, 'home');
    const history = join(fullHome, 'history.sqlite');
    const env = { BILD_BENCH_HOME: fullHome };
    const list = (): RunListEntry[] => {
      const r = runCli(['runs', 'list', '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as RunListEntry[];
    };
    // a first run (exporting the model into the home's cache) while there is room
    expect(runCli([...TINY_RUN, '--limit', '2'], env).code).toBe(0);

    // not a byte left: the history opens neither for writing nor as a WAL database, and is listed all the same
    fill(disk, 0);
    expect(list().map((e) => e.status)).toEqual(['completed']);
    expect(() => new RunHistory(history)).toThrow(HistoryDiskError);

    rmSync(join(disk, 'filler'));
    fill(disk, 96 * 1024);
    const r = runCli([...TINY_RUN, '--limit', '100'], env);
    oneUserError(r, new RegExp(`cannot write (the run history |')${fullHome}/[^ ]+'?: no space left on the device`));
    const runs = readdirSync(join(fullHome, 'runs')).sort();
    expect(runs).toHaveLength(2);
    const { runId } = expectConsistent(join(fullHome, 'runs', runs[1]!), history);
    expect(list().map((e) => e.runId)).toContain(runId);
  });
});

describe.skipIf(MOUNT_SKIP)('runs refused on a full disk, in a long-lived process', () => {
  const savedHome = process.env.BILD_BENCH_HOME;
  let engine: EngineApi;
  beforeAll(() => {
    process.env.BILD_BENCH_HOME = join(root, 'home-in-process'); // the model's export cache, off the full disk
    engine = createInProcessEngine();
  });
  afterAll(async () => {
    await engine.close();
    if (savedHome === undefined) delete process.env.BILD_BENCH_HOME;
    else process.env.BILD_BENCH_HOME = savedHome;
  });

  it('leave no file open (the CSV header does not fit)', async () => {
    const disk = mounts.tmpfs('full-in-process', '1m')!;
    fill(disk, 0);
    /** This process's descriptors on the full disk (Linux: /proc/self/fd). */
    const openOnDisk = (): string[] =>
      readdirSync('/proc/self/fd').flatMap((fd) => {
        try {
          const target = readlinkSync(join('/proc/self/fd', fd));
          return target.startsWith(disk) ? [target] : [];
        } catch {
          return []; // the descriptor readdir itself used, closed since
        }
      });
    for (let i = 0; i < 3; i++) {
      const out = join(disk, `run-${i}`);
      const spec: RunSpec = { models: { small: join(MODELS, 'toy-t5-small') }, methods: ['small'], dataset: { name: 'demo', limit: 2 }, threads: 1, outDir: out };
      const { runId } = await engine.startRun(spec);
      await expect(engine.waitForRun(runId)).rejects.toThrow(`cannot write '${out}/sentences.csv': no space left on the device (ENOSPC)`);
    }
    expect(openOnDisk()).toEqual([]);
  });
});

describe.skipIf(MOUNT_SKIP)('runs on a read-only disk', () => {
  let disk: string;
  let view: string;
  beforeAll(() => {
    disk = mounts.tmpfs('ro-disk', '8m')!;
    view = mounts.readOnlyView(disk, 'ro-view');
  });

  it('run --out on a read-only mount is a user error naming the folder, with no folder or stack', () => {
    const out = join(view, 'run');
    const r = runCli([...TINY_RUN, '--limit', '2', '--out', out], { BILD_BENCH_HOME: join(root, 'home-ro-out') });
    oneUserError(r, new RegExp(`cannot write the run's files to '${out}' \\(the file system is read-only \\(EROFS\\)\\)`));
  });

  it('runs list and show read a history on a read-only mount; a run there is refused', () => {
    const written = join(disk, 'home');
    expect(runCli([...TINY_RUN, '--limit', '2'], { BILD_BENCH_HOME: written }).code).toBe(0);
    const env = { BILD_BENCH_HOME: join(view, 'home') };
    const listed = runCli(['runs', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const [entry] = JSON.parse(listed.stdout) as RunListEntry[];
    expect(entry?.status).toBe('completed');
    const shown = runCli(['runs', 'show', entry!.runId, '--json'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect((JSON.parse(shown.stdout) as RunSummary).sentences).toBe(2);
    oneUserError(runCli([...TINY_RUN, '--limit', '2', '--out', join(root, 'ro-home-run')], env), /cannot open the run history .*history\.sqlite: the file system is read-only \(EROFS\)/);
    expect(existsSync(join(root, 'ro-home-run'))).toBe(false);
  });
});

describe('a run refused before it starts', () => {
  it.each([
    ['a missing model', ['--model', join(root, 'missing')], /does not exist/],
    ['an unavailable execution provider', ['--model', 'demo/tiny', '--ep', 'coreml'], /execution provider 'coreml' is not available/],
  ])('leaves no runs/<id>/ folder: %s', (_, args, message) => {
    const home = mkdtempSync(join(root, 'refused-'));
    oneUserError(runCli(['run', ...args, '--dataset_name', 'demo', '--limit', '2'], { BILD_BENCH_HOME: home }), message);
    expect(existsSync(join(home, 'runs')) && readdirSync(join(home, 'runs'))).toBeFalsy();
  });
});
