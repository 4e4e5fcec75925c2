/**
 * The results history: a SQLite database (<appHome>/history.sqlite) with one row per run (its
 * summary JSON) and one per finished sentence, written as the run goes so that an interrupted
 * run keeps its sentences. Runs left "running" by a process that is gone are marked
 * "interrupted" and summarized from their stored sentences when the history is opened.
 */
import { accessSync, constants, mkdirSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ListRunsQuery, RunListEntry, RunStatus, RunSummary, SentenceResult } from '../api/types';
import { diskErrorReason } from '../disk-errors';
import { UserError } from '../errors';
import { appHome } from '../paths';
import { processAlive } from '../process-alive';
import { sweepResult } from './pareto';
import { openDatabase, type OpenMode } from './sqlite';
import { summarizeVariants } from './summary';

const DB_SCHEMA = 1;

export function defaultHistoryPath(): string {
  return join(appHome(), 'history.sqlite');
}

/** Why a run cannot be deleted yet. */
export const stillRunning = (runId: string, pid: number): UserError =>
  new UserError(`run ${runId} is still running (process ${pid}): cancel it before deleting it`);

/** The process writing a run: this one, or another that still exists. */
const alive = (pid: number): boolean => pid === process.pid || processAlive(pid);

export function listEntry(s: RunSummary): RunListEntry {
  return {
    runId: s.runId,
    kind: s.kind,
    status: s.status,
    label: s.label,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    models: { ...s.spec.models },
    dataset: s.environment?.dataset.id ?? s.spec.dataset.name,
    split: s.environment?.dataset.split ?? s.spec.dataset.split ?? 'validation',
    sentences: s.sentences,
    plannedSentences: s.plannedSentences,
    headline: s.summaries.map((v) => ({ variant: v.variant, quality: v.quality.primary, speedup: v.speedup, qualityCI: v.qualityCI ?? null, speedupCI: v.speedupCI ?? null })),
    qualityName: s.summaries[0]?.quality.primaryName ?? null,
  };
}

type Statements = Record<'insertRun' | 'updateRun' | 'insertSentence' | 'getRun' | 'sentences' | 'deleteRun' | 'runState' | 'stale', StatementSync>;

/** SQLite's result codes for a file that is not a (sound) database: only then is moving it away the fix. */
const DAMAGED = new Set([11 /* SQLITE_CORRUPT */, 26 /* SQLITE_NOTADB */]);

/** SQLite's (primary) result codes for a history its disk cannot take: read-only, I/O error, full, cannot open. */
const DISK_FAILURES = new Set([8, 10, 13, 14]);

/** The history's disk is full or read-only: a run cannot go on recording (reading still works: `RunHistory.readOnly`). */
export class HistoryDiskError extends UserError {}

/** Why writing `path` failed, from the device when SQLite only says "disk I/O error". */
function diskReason(path: string, e: Error): string {
  try {
    const fs = statfsSync(dirname(path));
    if (fs.bavail * fs.bsize < 64 * 1024) return 'no space left on the device';
  } catch {
    // the message SQLite gave will do
  }
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch (err) {
    return diskErrorReason(err) ?? e.message;
  }
  return e.message;
}

/** A HistoryDiskError for a write or an open that failed for the disk's sake, else undefined. */
function diskFailure(path: string, err: unknown, doing: 'open' | 'write'): HistoryDiskError | undefined {
  const e = err as Error & { errcode?: number };
  if (e.errcode === undefined || !DISK_FAILURES.has(e.errcode & 0xff)) return undefined;
  return new HistoryDiskError(`cannot ${doing} the run history ${path}: ${diskReason(path, e)}`);
}

function openError(path: string, err: unknown): UserError {
  if (err instanceof UserError) return err;
  const disk = diskFailure(path, err, 'open');
  if (disk) return disk;
  const e = err as Error & { errcode?: number };
  const advice = e.errcode !== undefined && DAMAGED.has(e.errcode) ? '; the file is damaged: move it away to start a new history' : '';
  return new UserError(`cannot open the run history ${path} (${e.message})${advice}`);
}

export class RunHistory {
  private readonly db: DatabaseSync;
  private readonly stmts: Statements;

  /** `mode`: see OpenMode; only 'write' changes the file (schema, recovery of interrupted runs). */
  constructor(
    readonly path: string = defaultHistoryPath(),
    private readonly mode: OpenMode = 'write',
  ) {
    try {
      if (mode === 'write') mkdirSync(dirname(path), { recursive: true });
      this.db = openDatabase(path, mode);
    } catch (err) {
      throw openError(path, err);
    }
    try {
      this.stmts = this.prepare();
      if (mode === 'write') this.recoverInterrupted();
    } catch (err) {
      this.db.close();
      throw openError(path, err);
    }
  }

  /**
   * The history for reading only, where its disk is full or read-only (RunHistory's constructor
   * threw a HistoryDiskError): SQLite cannot open a WAL database there, even for reading, unless
   * a crashed writer left its -shm file; else the main file as it stands. Nothing is recovered:
   * runs of dead processes stay `running` until the history can be written.
   */
  static readOnly(path: string = defaultHistoryPath()): RunHistory {
    try {
      return new RunHistory(path, 'read');
    } catch {
      return new RunHistory(path, 'snapshot');
    }
  }

  /** Sets the database up (same schema and settings as every earlier version) and prepares the statements. */
  private prepare(): Statements {
    const db = this.db;
    if (this.mode === 'write') {
      db.exec('PRAGMA journal_mode = WAL');
      // One fsync per checkpoint instead of per sentence; a power cut may lose the last sentences only.
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec('PRAGMA busy_timeout = 5000');
      db.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS runs (
          id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL,
          pid INTEGER NOT NULL, summary TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sentences (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, position INTEGER NOT NULL,
          result TEXT NOT NULL, PRIMARY KEY (run_id, position));
      `);
      db.exec('PRAGMA foreign_keys = ON');
    }
    const v = db.prepare('SELECT value FROM meta WHERE key = ?').get('schema') as { value: string } | undefined;
    if (!v) {
      if (this.mode === 'write') db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema', String(DB_SCHEMA));
    } else if (Number(v.value) > DB_SCHEMA) throw new UserError(`${this.path} was written by a newer bild-bench (history schema ${v.value})`);
    return {
      insertRun: db.prepare('INSERT INTO runs (id, kind, status, started_at, pid, summary) VALUES (?, ?, ?, ?, ?, ?)'),
      updateRun: db.prepare('UPDATE runs SET status = ?, summary = ? WHERE id = ?'),
      insertSentence: db.prepare('INSERT OR REPLACE INTO sentences (run_id, position, result) VALUES (?, ?, ?)'),
      getRun: db.prepare('SELECT summary FROM runs WHERE id = ?'),
      sentences: db.prepare('SELECT result FROM sentences WHERE run_id = ? ORDER BY position'),
      deleteRun: db.prepare('DELETE FROM runs WHERE id = ?'),
      runState: db.prepare('SELECT status, pid FROM runs WHERE id = ?'),
      stale: db.prepare("SELECT id, pid FROM runs WHERE status = 'running'"),
    };
  }

  /**
   * Marks `running` runs interrupted and summarizes their stored sentences: those of processes
   * that are gone, and `orphans`, runs of this process that nobody writes any more (an engine
   * worker that died, a final update the disk refused), which the pid alone cannot tell apart.
   */
  recoverInterrupted(orphans: readonly string[] = []): void {
    for (const r of this.stmts.stale.all() as { id: string; pid: number }[]) {
      if (alive(r.pid) && !orphans.includes(r.id)) continue;
      const s = this.summary(r.id);
      const sentences = this.sentences(r.id);
      const summaries = s.environment ? summarizeVariants(s.environment.dataset.task, s.variants, sentences) : [];
      this.update({ ...s, status: 'interrupted', sentences: sentences.length, summaries, sweep: s.kind === 'sweep' ? sweepResult(summaries) : null });
    }
  }

  /** Runs a change; one the disk cannot take (full, read-only) throws a HistoryDiskError naming the file. */
  private write(change: () => unknown): void {
    try {
      change();
    } catch (err) {
      throw diskFailure(this.path, err, 'write') ?? err;
    }
  }

  /** `pid`: the process writing the run (tests pass a dead one to simulate a crash). */
  insert(s: RunSummary, pid = process.pid): void {
    this.write(() => this.stmts.insertRun.run(s.runId, s.kind, s.status, s.startedAt, pid, JSON.stringify(s)));
  }

  update(s: RunSummary): void {
    this.write(() => this.stmts.updateRun.run(s.status, JSON.stringify(s), s.runId));
  }

  appendSentence(runId: string, s: SentenceResult): void {
    this.write(() => this.stmts.insertSentence.run(runId, s.position, JSON.stringify(s)));
  }

  summary(runId: string): RunSummary {
    const row = this.stmts.getRun.get(runId) as { summary: string } | undefined;
    if (!row) throw new UserError(`no run '${runId}' in the history (${this.path})`);
    return JSON.parse(row.summary) as RunSummary;
  }

  sentences(runId: string): SentenceResult[] {
    return (this.stmts.sentences.all(runId) as unknown as { result: string }[]).map((r) => JSON.parse(r.result) as SentenceResult);
  }

  list(q: ListRunsQuery = {}): RunListEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.status) where.push('status = ?'), args.push(q.status satisfies RunStatus);
    if (q.kind) where.push('kind = ?'), args.push(q.kind);
    const sql = `SELECT summary FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at DESC, id DESC${q.limit ? ' LIMIT ?' : ''}`;
    if (q.limit) args.push(q.limit);
    return (this.db.prepare(sql).all(...args) as unknown as { summary: string }[]).map((r) => listEntry(JSON.parse(r.summary) as RunSummary));
  }

  /** Refuses a run still being written, by this process or another (the CLI beside the app). */
  delete(runId: string): void {
    const row = this.stmts.runState.get(runId) as { status: string; pid: number } | undefined;
    if (!row) throw new UserError(`no run '${runId}' in the history (${this.path})`);
    if (row.status === 'running' && alive(row.pid)) throw stillRunning(runId, row.pid);
    this.write(() => this.stmts.deleteRun.run(runId));
  }

  close(): void {
    this.db.close();
  }
}
