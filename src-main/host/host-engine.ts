// The engine plus the host extras, as one HostApi. It runs inside the engine worker: onnxruntime
// decodes synchronously, so this object must never live on Electron's main thread or the server's.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { EngineApi } from '../engine/api/engine-api';
import { InProcessEngine, type InProcessEngineOptions } from '../engine/api/in-process';
import type { EngineEventListener } from '../engine/api/types';
import { BILD_DEVIATIONS } from '../engine/decoding/bild';
import { appHome, appVersion } from '../engine/paths';
import { DownloadManager } from './downloads';
import type { AppInfo, DownloadState, ExportedFile, HostApi, HostEventListener } from './protocol';

export class HostEngine implements HostApi {
  private readonly engine: EngineApi;
  private readonly listeners = new Set<HostEventListener>();
  private readonly downloads: DownloadManager;

  constructor(opts: InProcessEngineOptions = {}) {
    this.engine = new InProcessEngine(opts);
    this.engine.subscribe((e) => this.fire(e));
    this.downloads = new DownloadManager((download) => this.fire({ type: 'download', download }));
  }

  private fire(e: Parameters<HostEventListener>[0]): void {
    for (const l of this.listeners) l(e);
  }

  startRun(spec: Parameters<EngineApi['startRun']>[0]) {
    return this.engine.startRun(spec);
  }
  startSweep(spec: Parameters<EngineApi['startSweep']>[0]) {
    return this.engine.startSweep(spec);
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

  /** Uses the engine's own exporter (same bytes as `exportRun`) via a temporary folder. */
  async exportRunFile(req: { runId: string; format: 'csv' | 'json' }): Promise<ExportedFile> {
    const dir = mkdtempSync(join(tmpdir(), 'bild-export-'));
    try {
      const { files } = await this.engine.exportRun({ runId: req.runId, dir, formats: [req.format] });
      const file = files[0]!;
      return {
        fileName: `${req.runId}-${basename(file)}`,
        mimeType: req.format === 'csv' ? 'text/csv' : 'application/json',
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
