// Model downloads for the UI: one DownloadController per download (pause/resume/cancel) and a
// DownloadState snapshot emitted on every change. A thin adapter over src-main/engine/hub.
import { randomBytes } from 'node:crypto';
import { CancelledError, UserError } from '../engine/errors';
import { DownloadController, downloadModel, findCatalogModel, isRepoId, sameRepo, type DownloadEvent, type HubOptions } from '../engine/hub';
import type { DownloadState } from './protocol';

interface Job {
  state: DownloadState;
  controller: DownloadController;
  done: Promise<void>;
}

export class DownloadManager {
  private readonly jobs = new Map<string, Job>();

  constructor(
    private readonly emit: (state: DownloadState) => void,
    private readonly hub: HubOptions = {},
  ) {}

  /** Starts downloading a catalog model (or Hub repo id); a model already downloading returns its job. */
  start(model: string): DownloadState {
    const entry = findCatalogModel(model);
    let repo: string;
    let revision: string | undefined;
    if (entry) {
      if (entry.source.kind !== 'hub') throw new UserError(`'${model}' is a local model; there is nothing to download`);
      repo = entry.source.repo;
      revision = entry.source.revision;
    } else if (isRepoId(model)) repo = model;
    else throw new UserError(`'${model}' is neither a catalog model nor a Hugging Face repository id`);

    const running = this.activeJob(repo);
    if (running) return { ...running.state };

    const state: DownloadState = {
      downloadId: randomBytes(4).toString('hex'),
      model,
      repo,
      status: 'running',
      bytes: 0,
      totalBytes: 0,
      speed: 0,
      eta: null,
      file: null,
      error: null,
    };
    const controller = new DownloadController();
    const update = (patch: Partial<DownloadState>): void => {
      Object.assign(state, patch);
      this.emit({ ...state });
    };
    const onProgress = (e: DownloadEvent): void => {
      if (e.type === 'plan') update({ totalBytes: e.totalBytes, bytes: e.totalBytes - e.bytesToFetch });
      else if (e.type === 'file-start') update({ file: e.path });
      else if (e.type === 'progress') update({ bytes: e.bytes, totalBytes: e.totalBytes, speed: e.speed, eta: e.eta ?? null, file: e.path });
      else if (e.type === 'paused') update({ status: 'paused', speed: 0, eta: null });
      else if (e.type === 'resumed') update({ status: 'running' });
    };
    const done = downloadModel(repo, { ...this.hub, revision, controller, onProgress }).then(
      () => update({ status: 'done', bytes: state.totalBytes, speed: 0, eta: 0, file: null }),
      (err: unknown) =>
        update(
          err instanceof CancelledError
            ? { status: 'cancelled', speed: 0, eta: null }
            : { status: 'failed', error: (err as Error).message ?? String(err), speed: 0, eta: null },
        ),
    );
    this.jobs.set(state.downloadId, { state, controller, done });
    this.emit({ ...state });
    return { ...state };
  }

  private job(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw new UserError(`no download '${id}'`);
    return job;
  }

  pause(id: string): void {
    this.job(id).controller.pause();
  }

  resume(id: string): void {
    this.job(id).controller.resume();
  }

  cancel(id: string): void {
    this.job(id).controller.cancel();
  }

  /** The running or paused download of a Hub repo. */
  private activeJob(repo: string): Job | undefined {
    return [...this.jobs.values()].find((j) => sameRepo(j.state.repo, repo) && (j.state.status === 'running' || j.state.status === 'paused'));
  }

  busy(repo: string): boolean {
    return this.activeJob(repo) !== undefined;
  }

  list(): DownloadState[] {
    return [...this.jobs.values()].map((j) => ({ ...j.state }));
  }

  /** Cancels every download still going and waits until they have stopped. */
  async close(): Promise<void> {
    for (const j of this.jobs.values()) j.controller.cancel();
    await Promise.allSettled([...this.jobs.values()].map((j) => j.done));
  }
}
