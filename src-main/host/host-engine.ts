// The engine plus the host extras, as one HostApi. It runs inside the engine worker: onnxruntime
// decodes synchronously, so this object must never live on Electron's main thread or the server's.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { EngineApi } from '../engine/api/engine-api';
import { InProcessEngine, type InProcessEngineOptions } from '../engine/api/in-process';
import type { EngineEventListener, ExportFormat } from '../engine/api/types';
import { BILD_DEVIATIONS } from '../engine/decoding/bild';
import { appHome, appVersion } from '../engine/paths';
import { deleteCachedModel, hubRepoOf, sameRepo } from '../engine/hub';
import { UserError } from '../engine/errors';
import { DownloadManager } from './downloads';
import type { AppInfo, DownloadState, ExportedFile, HostApi, HostEventListener } from './protocol';

export class HostEngine implements HostApi {
  private readonly engine: EngineApi;
  private readonly listeners = new Set<HostEventListener>();
  private readonly downloads: DownloadManager;
  /** The model references of the jobs started here, by run id: deleteModel refuses a model a running one uses. */
  private readonly jobModels = new Map<string, string[]>();

  constructor(opts: InProcessEngineOptions = {}) {
    this.engine = new InProcessEngine(opts);
    this.engine.subscribe((e) => this.fire(e));
    this.downloads = new DownloadManager((download) => this.fire({ type: 'download', download }));
  }

  private fire(e: Parameters<HostEventListener>[0]): void {
    for (const l of this.listeners) l(e);
  }

  async startRun(spec: Parameters<EngineApi['startRun']>[0]) {
    return this.track(spec, await this.engine.startRun(spec));
  }
  async startSweep(spec: Parameters<EngineApi['startSweep']>[0]) {
    return this.track(spec, await this.engine.startSweep(spec));
  }
  private track(spec: { models: { small?: string; large?: string } }, started: { runId: string }): { runId: string } {
    this.jobModels.set(started.runId, [spec.models.small, spec.models.large].filter((m): m is string => m !== undefined));
    return started;
  }
  activeJobs() {
    return this.engine.activeJobs();
  }
  cancelRun(runId: string) {
    return this.engine.cancelRun(runId);
  }
  waitForRun(runId: string) {
    return this.engine.waitForRun(runId);
  }
  listRuns(query?: Parameters<EngineApi['listRuns']>[0]) {
    return this.engine.listRuns(query);
  }
  getRun(runId: string) {
    return this.engine.getRun(runId);
  }
  compareRuns(runIds: string[]) {
    return this.engine.compareRuns(runIds);
  }
  exportRun(req: Parameters<EngineApi['exportRun']>[0]) {
    return this.engine.exportRun(req);
  }
  deleteRun(runId: string) {
    return this.engine.deleteRun(runId);
  }
  listModels() {
    return this.engine.listModels();
  }
  listDatasets() {
    return this.engine.listDatasets();
  }
  slurmInfo() {
    return this.engine.slurmInfo();
  }
  submitSlurm(req: Parameters<EngineApi['submitSlurm']>[0]) {
    return this.engine.submitSlurm(req);
  }
  cancelSlurmSubmit(submissionId: string) {
    return this.engine.cancelSlurmSubmit(submissionId);
  }
  listSlurmJobs() {
    return this.engine.listSlurmJobs();
  }
  slurmStatus(job: string) {
    return this.engine.slurmStatus(job);
  }
  resubmitSlurm(job: string) {
    return this.engine.resubmitSlurm(job);
  }
  collectSlurm(job: string, options?: { partial?: boolean }) {
    return this.engine.collectSlurm(job, options);
  }

  async startDownload(model: string): Promise<DownloadState> {
    return this.downloads.start(model);
  }
  async pauseDownload(id: string): Promise<void> {
    this.downloads.pause(id);
  }
  async resumeDownload(id: string): Promise<void> {
    this.downloads.resume(id);
  }
  async cancelDownload(id: string): Promise<void> {
    this.downloads.cancel(id);
  }
  async listDownloads(): Promise<DownloadState[]> {
    return this.downloads.list();
  }
  async deleteModel(model: string): Promise<void> {
    const repo = hubRepoOf(model);
    if (repo && this.downloads.busy(repo)) throw new UserError(`'${model}' is being downloaded: cancel the download before deleting it`);
    const running = new Set((await this.engine.activeJobs()).map((j) => j.runId));
    for (const runId of this.jobModels.keys()) if (!running.has(runId)) this.jobModels.delete(runId);
    for (const [runId, models] of this.jobModels)
      if (repo && models.some((m) => sameRepo(hubRepoOf(m), repo))) throw new UserError(`'${model}' is used by run ${runId}: cancel it or wait until it ends`);
    await deleteCachedModel(model);
  }

  /** Uses the engine's own exporter (same bytes as `exportRun`) via a temporary folder. */
  async exportRunFile(req: { runId: string; format: ExportFormat }): Promise<ExportedFile> {
    const dir = mkdtempSync(join(tmpdir(), 'bild-export-'));
    try {
      const { files } = await this.engine.exportRun({ runId: req.runId, dir, formats: [req.format] });
      const file = files[0]!;
      return {
        fileName: `${req.runId}-${basename(file)}`,
        mimeType: req.format === 'json' ? 'application/json' : 'text/csv',
        content: readFileSync(file, 'utf8'),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async appInfo(): Promise<AppInfo> {
    return { version: appVersion(), home: appHome(), deviations: [...BILD_DEVIATIONS] };
  }

  subscribe(listener: EngineEventListener): () => void {
    return this.engine.subscribe(listener);
  }

  subscribeAll(listener: HostEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.downloads.close();
    await this.engine.close();
  }
}
