/** The engine in the caller's process: what the CLI uses, and what IPC/HTTP bridges wrap. */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { diskError, unwritableFolderReason } from '../disk-errors';
import { CancelledError, UserError } from '../errors';
import { appHome } from '../paths';
import type { RunnerDeps } from '../runner/deps';
import { collectedRunKept } from '../slurm/collected-run';
import { runnerDeps } from './runner-deps';
import { defaultHistoryPath, HistoryDiskError, listEntry, RunHistory, stillRunning } from '../runner/history';
import { planRun, planSweep, type RunPlan } from '../runner/plan';
import { RESULT_FILES, writeSentencesCsv, writeSummaryCsv, writeSummaryJson } from '../runner/result-files';
import { executeRun } from '../runner/runner';
import type { EngineApi } from './engine-api';
import type {
  ActiveJob,
  Collected,
  DatasetCatalogEntry,
  EngineEvent,
  EngineEventListener,
  ModelCatalogEntry,
  Resubmitted,
  RunComparison,
  RunSummary,
  SlurmInfo,
  SlurmJobEntry,
  SlurmJobStatus,
  SlurmSubmitRequest,
  SubmittedJob,
} from './types';

export interface InProcessEngineOptions {
  /** Default <appHome>/history.sqlite; null keeps no history. */
  historyPath?: string | null;
  /** Replaces the Hub, data and model loaders (tests, other front ends). */
  deps?: Partial<RunnerDeps>;
  /** Runs an earlier engine of this process left `running` when it died: marked interrupted once the history can be written. */
  orphanedRuns?: readonly string[];
}

interface Job {
  controller: AbortController;
  done: Promise<RunSummary>;
  /** What a front end needs to show the job again; undefined once the job has ended. */
  active?: ActiveJob;
}

/** Sortable and unique: 20250101-120000-ab12cd. */
export function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${randomBytes(3).toString('hex')}`;
}

/**
 * Checks now that the run's folder can be made, so that an unusable --out fails the request
 * instead of the run after its models loaded; the folder itself is made when the run starts, so
 * a run refused before (a missing model, an unavailable provider) leaves none behind.
 */
function checkWritableFolder(dir: string): void {
  const why = unwritableFolderReason(dir);
  if (why) throw new UserError(`out: cannot write the run's files to '${dir}' (${why})`);
}

function errorKind(err: unknown): 'user' | 'cancelled' | 'internal' {
  return err instanceof UserError ? 'user' : err instanceof CancelledError ? 'cancelled' : 'internal';
}

export class InProcessEngine implements EngineApi {
  private readonly listeners = new Set<EngineEventListener>();
  private readonly jobs = new Map<string, Job>();
  /** Slurm submissions fetching and exporting their models, by submissionId (or an id of their own). */
  private readonly submissions = new Map<string, AbortController>();
  private historyDb: RunHistory | null | undefined;
  /**
   * Runs of this process whose history row may still say `running` although nobody writes them:
   * jobs that ended while the history's disk was full (their final update failed) and the
   * orphans of a dead engine worker. Their pid, this process's, looks alive, so the history's own
   * recovery skips them; they are marked interrupted at the next history access that can write.
   */
  private readonly unsettled: Set<string>;

  constructor(private readonly opts: InProcessEngineOptions = {}) {
    this.unsettled = new Set(opts.orphanedRuns);
  }

  /** Opened on first use, so runs without history access never touch the database file. */
  private history(): RunHistory | null {
    if (this.historyDb === undefined)
      this.historyDb = this.opts.historyPath === null ? null : new RunHistory(this.opts.historyPath ?? undefined);
    this.settle();
    return this.historyDb;
  }

  /** Marks the unsettled runs interrupted (only rows still `running` change); retried while the disk refuses. */
  private settle(): void {
    if (!this.unsettled.size || !this.historyDb) return;
    try {
      this.historyDb.recoverInterrupted([...this.unsettled]);
      this.unsettled.clear();
    } catch (err) {
      if (!(err instanceof HistoryDiskError)) throw err;
    }
  }

  private requireHistory(): RunHistory {
    const h = this.history();
    if (!h) throw new UserError('this engine keeps no run history');
    return h;
  }

  /** Runs `read` on the history, or, where its disk is full or read-only, on the file as it stands. */
  private read<T>(read: (h: RunHistory) => T): T {
    let h: RunHistory;
    try {
      h = this.requireHistory();
    } catch (err) {
      if (!(err instanceof HistoryDiskError)) throw err;
      h = RunHistory.readOnly(this.opts.historyPath ?? defaultHistoryPath());
    }
    try {
      return read(h);
    } finally {
      if (h !== this.historyDb) h.close();
    }
  }

  private emit(event: EngineEvent): void {
    const active = this.jobs.get(event.runId)?.active;
    if (active) track(active, event);
    for (const l of this.listeners) l(event);
  }

  private running(): ActiveJob | undefined {
    for (const job of this.jobs.values()) if (job.active) return job.active;
    return undefined;
  }

  /** A local job, or a Slurm submission exporting its models, already uses the cores. */
  private refuseWhileBusy(): void {
    const busy = this.running();
    if (busy) throw new UserError(`${busy.kind} ${busy.runId} is still running: cancel it or wait until it ends`);
    if (this.submissions.size) throw new UserError('a Slurm submission is still preparing its models: cancel it or wait until it is submitted');
  }

  private deps(): Promise<RunnerDeps> {
    return runnerDeps(this.opts.deps);
  }

  private start(plan: RunPlan): { runId: string } {
    // one job at a time: two jobs decoding on the same cores would distort each other's timings
    this.refuseWhileBusy();
    const runId = newRunId();
    const outDir = resolve(plan.spec.outDir ?? join(appHome(), 'runs', runId));
    checkWritableFolder(outDir);
    const controller = new AbortController();
    const history = this.history() ?? undefined;
    const done = (async () => {
      return executeRun(plan, { runId, outDir, deps: await this.deps(), signal: controller.signal, emit: (e) => this.emit(e), history });
    })();
    const job: Job = { controller, done, active: { runId, kind: plan.kind, variants: [], total: 0, done: 0, stage: null, message: '' } };
    const end = (event: EngineEvent): void => {
      job.active = undefined;
      if (history) {
        this.unsettled.add(runId); // a no-op when its final update reached the history
        this.settle();
      }
      this.emit(event);
    };
    done.then(
      (summary) => end({ type: 'run-finished', runId, status: summary.status, summary }),
      (err: unknown) => end({ type: 'error', runId, kind: errorKind(err), message: (err as Error).message ?? String(err) }),
    );
    this.jobs.set(runId, job);
    return { runId };
  }

  async startRun(spec: Parameters<EngineApi['startRun']>[0]): Promise<{ runId: string }> {
    return this.start(planRun(spec));
  }

  async startSweep(spec: Parameters<EngineApi['startSweep']>[0]): Promise<{ runId: string }> {
    return this.start(planSweep(spec));
  }

  async activeJobs(): Promise<ActiveJob[]> {
    const job = this.running();
    return job ? [structuredClone(job)] : [];
  }

  async cancelRun(runId: string): Promise<void> {
    const job = this.jobs.get(runId);
    if (!job) throw new UserError(`no running job '${runId}'`);
    job.controller.abort(new CancelledError());
  }

  waitForRun(runId: string): Promise<RunSummary> {
    const job = this.jobs.get(runId);
    if (!job) return Promise.reject(new UserError(`no job '${runId}' was started by this engine`));
    return job.done;
  }

  async listRuns(query?: Parameters<EngineApi['listRuns']>[0]) {
    return this.read((h) => h.list(query));
  }

  async getRun(runId: string) {
    return this.read((h) => ({ summary: h.summary(runId), sentences: h.sentences(runId) }));
  }

  async compareRuns(runIds: string[]): Promise<RunComparison> {
    const summaries = this.read((h) => runIds.map((id) => h.summary(id)));
    return {
      runs: summaries.map(listEntry),
      rows: summaries.flatMap((s) =>
        s.summaries.map((v) => ({
          runId: s.runId,
          variant: v.variant,
          method: v.method,
          bild: v.bild,
          quality: v.quality.primary,
          qualityName: v.quality.primaryName,
          meanMs: v.latencyMs.mean,
          speedup: v.speedup,
          qualityCI: v.qualityCI ?? null,
          speedupCI: v.speedupCI ?? null,
          fallbackPct: v.fallbackPct,
          rollbackPct: v.rollbackPct,
        })),
      ),
    };
  }

  async exportRun(req: Parameters<EngineApi['exportRun']>[0]): Promise<{ files: string[] }> {
    const { summary, sentences } = await this.getRun(req.runId);
    const formats = req.formats ?? ['csv', 'summary-csv', 'json'];
    const dir = resolve(req.dir);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw diskError(err, dir) ?? err;
    }
    const files: string[] = [];
    if (formats.includes('csv')) files.push(writeSentencesCsv(dir, summary.runId, summary.variants, sentences));
    if (formats.includes('summary-csv')) files.push(writeSummaryCsv(dir, summary));
    if (formats.includes('json')) files.push(writeSummaryJson(dir, summary));
    return { files };
  }

  async deleteRun(runId: string): Promise<void> {
    // a job of this engine may not be in the history yet (it is recorded once its models are loaded)
    if (this.jobs.get(runId)?.active) throw stillRunning(runId, process.pid);
    this.requireHistory().delete(runId);
  }

  async listModels(): Promise<ModelCatalogEntry[]> {
    const { listModelsOnDisk } = await import('../hub');
    return listModelsOnDisk().map((m) => ({
      name: m.name,
      group: m.group ?? null,
      role: m.role,
      source: m.source.kind === 'hub' ? m.source.repo + (m.source.revision ? `@${m.source.revision}` : '') : m.source.path,
      description: m.description ?? null,
      onDisk: m.disk.state,
      bytes: 'bytes' in m.disk ? m.disk.bytes : null,
    }));
  }

  async listDatasets(): Promise<DatasetCatalogEntry[]> {
    const { DATASET_PRESETS } = await import('../data');
    return DATASET_PRESETS.map((p) => ({
      name: p.name,
      title: p.title,
      dataset: p.dataset,
      config: p.config ?? null,
      task: p.task,
      splits: p.splits ? [...p.splits] : null,
    }));
  }

  async slurmInfo(): Promise<SlurmInfo> {
    return (await import('./slurm-jobs')).slurmInfo();
  }

  async submitSlurm(req: SlurmSubmitRequest): Promise<SubmittedJob> {
    const { submitSlurmJob } = await import('../slurm');
    this.refuseWhileBusy();
    const id = req.submissionId ?? newRunId();
    const controller = new AbortController();
    this.submissions.set(id, controller);
    try {
      return await submitSlurmJob({ kind: req.kind, spec: req.spec }, req.slurm, { deps: this.opts.deps, signal: controller.signal });
    } finally {
      this.submissions.delete(id);
    }
  }

  async cancelSlurmSubmit(submissionId: string): Promise<void> {
    const submission = this.submissions.get(submissionId);
    if (!submission) throw new UserError(`no Slurm submission '${submissionId}' is in progress`);
    submission.abort(new CancelledError());
  }

  async listSlurmJobs(): Promise<SlurmJobEntry[]> {
    return (await import('./slurm-jobs')).appSlurmJobs().map((j) => this.stillCollected(j));
  }

  async slurmStatus(job: string): Promise<SlurmJobStatus> {
    const [{ slurmJobStatus }, { slurmJobFolder }] = await Promise.all([import('../slurm'), import('./slurm-jobs')]);
    return this.stillCollected(await slurmJobStatus(slurmJobFolder(job)));
  }

  /** A job's collect record, dropped once its run is deleted from the history: collect then takes the job again. */
  private stillCollected<T extends { collected: Collected | null }>(job: T): T {
    const c = job.collected;
    if (!c || this.opts.historyPath === null) return job;
    const kept = this.read((h) => collectedRunKept(h, c.runId));
    return kept ? job : { ...job, collected: null };
  }

  async resubmitSlurm(job: string): Promise<Resubmitted> {
    const [{ resubmitSlurmJob }, { slurmJobFolder }] = await Promise.all([import('../slurm'), import('./slurm-jobs')]);
    return resubmitSlurmJob(slurmJobFolder(job));
  }

  async collectSlurm(job: string, options?: { partial?: boolean }): Promise<RunSummary> {
    this.refuseWhileBusy(); // collect reads and writes much: it would skew a local run's timings
    const [{ collectSlurmJob }, { slurmJobFolder }] = await Promise.all([import('../slurm'), import('./slurm-jobs')]);
    return (await collectSlurmJob(slurmJobFolder(job), this.requireHistory(), { partial: options?.partial === true })).summary;
  }

  subscribe(listener: EngineEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const s of this.submissions.values()) s.abort(new CancelledError());
    for (const job of this.jobs.values()) job.controller.abort(new CancelledError());
    await Promise.allSettled([...this.jobs.values()].map((j) => j.done));
    this.historyDb?.close();
    this.historyDb = null;
  }
}

/** Keeps a job's snapshot in step with its events. */
function track(job: ActiveJob, e: EngineEvent): void {
  if (e.type === 'run-started') {
    job.variants = e.variants;
    job.total = e.total;
  } else if (e.type === 'progress') {
    job.stage = e.stage;
    job.message = e.message;
    if (e.stage === 'decode') job.done = e.done;
  }
}

export function createInProcessEngine(opts?: InProcessEngineOptions): EngineApi {
  return new InProcessEngine(opts);
}

export { RESULT_FILES };
