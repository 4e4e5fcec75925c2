// The HostApi (and so EngineApi) as seen from outside the engine worker: every call is a message
// {id, method, args} on a MessagePort, answered by {id, result | error}; events are pushed.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { EngineEventListener, ExportFormat } from '../engine/api/types';
import type {
  AppInfo,
  DownloadState,
  ExportedFile,
  HostApi,
  HostEvent,
  HostEventListener,
  MethodArgs,
  MethodResult,
  RequestMethod,
  RpcReply,
  WorkerMessage,
  ClientMessage,
} from './protocol';
import { unwrapReply } from './rpc';
import { isOutOfMemory, outOfMemoryMessage, workerHeapLimitMb } from './worker-heap';
import { UserError } from '../engine/errors';
import { workerEntry } from '../engine/worker-entry';

export interface WorkerClientOptions {
  /** The worker entry (.ts runs through tsx); default: found beside this module. */
  workerFile?: string;
  /** Environment of the worker (default: a copy of process.env now). */
  env?: Record<string, string | undefined>;
  /** Folders beyond the app's own whose files remote requests may name (`serve --allow`). */
  allowedFolders?: string[];
  /** The worker's JavaScript heap limit in MB (default: BILD_BENCH_WORKER_HEAP_MB, else a quarter of the machine's memory, at least 1024). */
  heapLimitMb?: number;
}

interface Pending {
  resolve(reply: RpcReply): void;
  reject(err: Error): void;
}

export class WorkerEngineClient implements HostApi {
  private worker!: Worker;
  private port!: MessagePort;
  private readonly env: Record<string, string | undefined>;
  private readonly heapLimitMb: number;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<HostEventListener>();
  private nextId = 1;
  private dead: Error | null = null;
  /** Jobs started through this client (every job of its worker) that have not ended: told of the failure if the worker dies. */
  private readonly liveJobs = new Set<string>();
  /**
   * Jobs a dead worker left unfinished: every later worker is told, and marks them interrupted in
   * the history once it can write it (their pid, this process's, looks alive). Kept for good:
   * marking is idempotent, and a worker may die again before it opens the history.
   */
  private readonly orphaned: string[] = [];
  /** The latest state of each download, to tell the page which ones a dead worker took down with it. */
  private readonly downloads = new Map<string, DownloadState>();
  /** Ids of start requests awaiting their reply. */
  private readonly starts = new Set<number>();
  private closing: Promise<void> | null = null;

  constructor(private readonly opts: WorkerClientOptions = {}) {
    this.env = opts.env ?? { ...process.env };
    this.heapLimitMb = workerHeapLimitMb(opts.heapLimitMb, this.env);
    this.spawn();
  }

  /** Starts the engine worker: at construction, and again for the first request after one died. */
  private spawn(): void {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(workerEntry(import.meta.url, 'engine-worker', this.opts.workerFile), {
      env: this.env,
      workerData: { port: port2, allowedFolders: this.opts.allowedFolders ?? [], orphanedRuns: this.orphaned },
      transferList: [port2],
      resourceLimits: { maxOldGenerationSizeMb: this.heapLimitMb },
    });
    this.worker = worker;
    this.port = port1;
    this.dead = null;
    port1.on('message', (m: WorkerMessage) => this.onMessage(m));
    worker.on('error', (err) => this.fail(worker, err));
    worker.on('exit', (code) => this.fail(worker, new Error(`the engine worker exited (code ${code})`)));
  }

  private onMessage(m: WorkerMessage): void {
    // a job is live from its start's reply (its events come after it on the same port)
    if (m.kind === 'reply' && this.starts.delete(m.id) && 'result' in m.reply) this.liveJobs.add((m.reply.result as { runId: string }).runId);
    if (m.kind === 'event') {
      const e = m.event;
      if (e.type === 'run-finished' || e.type === 'error') this.liveJobs.delete(e.runId);
      if (e.type === 'download') this.downloads.set(e.download.downloadId, e.download);
      this.emit(e);
      return;
    }
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    p?.resolve(m.reply);
  }

  private emit(e: HostEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** `worker` died (an 'error' comes before its 'exit'; a worker already replaced is past caring about). */
  private fail(worker: Worker, err: Error): void {
    if (worker !== this.worker || this.dead) return;
    // out of memory: the request was too big for the engine, not a bug, and the engine recovers
    const oom = isOutOfMemory(err);
    this.dead = oom ? new UserError(outOfMemoryMessage(this.heapLimitMb)) : err;
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
    this.starts.clear();
    this.port.close();
    // a job's own events end with run-finished or error; a dead worker sends neither
    const message = oom ? this.dead.message : `the engine stopped: ${err.message}`;
    for (const runId of this.liveJobs) this.emit({ type: 'error', runId, kind: oom ? 'user' : 'internal', message });
    this.orphaned.push(...this.liveJobs);
    this.liveJobs.clear();
    for (const d of this.downloads.values())
      if (d.status === 'running' || d.status === 'paused') this.emit({ type: 'download', download: { ...d, status: 'failed', speed: 0, eta: null, error: message } });
    this.downloads.clear();
  }

  private send(id: number, msg: ClientMessage): Promise<RpcReply> {
    if (this.dead && this.closing) return Promise.reject(this.dead);
    if (this.dead) this.spawn(); // so that `serve` and the app stay usable after a job killed the worker
    return new Promise<RpcReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage(msg);
    });
  }

  /** The raw envelope of a trusted caller's request (no checks beyond the engine's own). `args` must be plain JSON. */
  request(method: RequestMethod, args: unknown[], remote = false): Promise<RpcReply> {
    const id = this.nextId++;
    if (method === 'startRun' || method === 'startSweep') this.starts.add(id);
    return this.send(id, { kind: 'request', request: { id, method, args, remote } });
  }

  /** The raw envelope, for bridges (IPC, HTTP) that pass on the app page's requests: the worker checks them first (host/remote-gate.ts). */
  remoteRequest(method: RequestMethod, args: unknown[]): Promise<RpcReply> {
    return this.request(method, args, true);
  }

  /** A typed call; rejects with a UserError when the engine raised one. */
  async call<M extends RequestMethod>(method: M, ...args: MethodArgs<M>): Promise<MethodResult<M>> {
    return unwrapReply(await this.request(method, args)) as MethodResult<M>;
  }

  startRun(...a: MethodArgs<'startRun'>) {
    return this.call('startRun', ...a);
  }
  startSweep(...a: MethodArgs<'startSweep'>) {
    return this.call('startSweep', ...a);
  }
  activeJobs() {
    return this.call('activeJobs');
  }
  cancelRun(...a: MethodArgs<'cancelRun'>) {
    return this.call('cancelRun', ...a);
  }
  waitForRun(...a: MethodArgs<'waitForRun'>) {
    return this.call('waitForRun', ...a);
  }
  listRuns(...a: MethodArgs<'listRuns'>) {
    return this.call('listRuns', ...a);
  }
  getRun(...a: MethodArgs<'getRun'>) {
    return this.call('getRun', ...a);
  }
  compareRuns(...a: MethodArgs<'compareRuns'>) {
    return this.call('compareRuns', ...a);
  }
  exportRun(...a: MethodArgs<'exportRun'>) {
    return this.call('exportRun', ...a);
  }
  deleteRun(...a: MethodArgs<'deleteRun'>) {
    return this.call('deleteRun', ...a);
  }
  listModels() {
    return this.call('listModels');
  }
  listDatasets() {
    return this.call('listDatasets');
  }
  startDownload(model: string): Promise<DownloadState> {
    return this.call('startDownload', model);
  }
  pauseDownload(id: string): Promise<void> {
    return this.call('pauseDownload', id);
  }
  resumeDownload(id: string): Promise<void> {
    return this.call('resumeDownload', id);
  }
  cancelDownload(id: string): Promise<void> {
    return this.call('cancelDownload', id);
  }
  listDownloads(): Promise<DownloadState[]> {
    return this.call('listDownloads');
  }
  deleteModel(model: string): Promise<void> {
    return this.call('deleteModel', model);
  }
  exportRunFile(req: { runId: string; format: ExportFormat }): Promise<ExportedFile> {
    return this.call('exportRunFile', req);
  }
  appInfo(): Promise<AppInfo> {
    return this.call('appInfo');
  }
  slurmInfo() {
    return this.call('slurmInfo');
  }
  submitSlurm(...a: MethodArgs<'submitSlurm'>) {
    return this.call('submitSlurm', ...a);
  }
  cancelSlurmSubmit(...a: MethodArgs<'cancelSlurmSubmit'>) {
    return this.call('cancelSlurmSubmit', ...a);
  }
  listSlurmJobs() {
    return this.call('listSlurmJobs');
  }
  slurmStatus(...a: MethodArgs<'slurmStatus'>) {
    return this.call('slurmStatus', ...a);
  }
  resubmitSlurm(...a: MethodArgs<'resubmitSlurm'>) {
    return this.call('resubmitSlurm', ...a);
  }
  collectSlurm(...a: MethodArgs<'collectSlurm'>) {
    return this.call('collectSlurm', ...a);
  }

  subscribe(listener: EngineEventListener): () => void {
    return this.subscribeAll((e: HostEvent) => {
      if (e.type !== 'download') listener(e);
    });
  }

  subscribeAll(listener: HostEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Cancels running jobs, releases the history and stops the worker. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.dead) {
        const released = this.send(-1, { kind: 'close' }).catch(() => undefined);
        await Promise.race([released, new Promise((r) => setTimeout(r, 15_000).unref())]);
      }
      this.listeners.clear();
      await this.worker.terminate();
    })();
    return this.closing;
  }
}
