/**
 * The front ends' contract on top of the engine API: which methods a transport (worker RPC,
 * Electron IPC, HTTP) may call, the reply envelope, the extra host operations (model downloads,
 * exports as file contents) and the events. Type-only imports from the engine keep this file
 * DOM-free and engine-free, so the renderer, the preload and Node code all include it.
 */
import type { EngineApi } from '../engine/api/engine-api';
import type { EngineEvent, ExportFormat } from '../engine/api/types';

export type DownloadStatus = 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

/** A model download as the UI shows it; sent whole on every change. */
export interface DownloadState {
  downloadId: string;
  /** Catalog name (or the Hub repo id when the model is not in the catalog). */
  model: string;
  repo: string;
  status: DownloadStatus;
  /** Bytes on disk of all planned files, and their total (0 until the plan is known). */
  bytes: number;
  totalBytes: number;
  /** Bytes per second over the last few seconds. */
  speed: number;
  /** Seconds left at the current speed; null while unknown. */
  eta: number | null;
  /** The file being fetched. */
  file: string | null;
  error: string | null;
}

export interface ExportedFile {
  fileName: string;
  mimeType: string;
  content: string;
}

export interface AppInfo {
  version: string;
  /** BILD_BENCH_HOME: exports, run history, exported ONNX models. */
  home: string;
  /** The deliberate differences from the official BiLD code. */
  deviations: string[];
}

/** Operations the front ends need beyond EngineApi (thin adapters over src-main/engine/hub and the exporter). */
export interface HostExtras {
  startDownload(model: string): Promise<DownloadState>;
  pauseDownload(downloadId: string): Promise<void>;
  resumeDownload(downloadId: string): Promise<void>;
  cancelDownload(downloadId: string): Promise<void>;
  listDownloads(): Promise<DownloadState[]>;
  /** Removes a downloaded Hub model (catalog name or Hub id) from the Hugging Face cache; refused while it downloads or a running job uses it. */
  deleteModel(model: string): Promise<void>;
  /** A stored run's sentences.csv, summary.csv or summary.json as text, for a browser/Electron download. */
  exportRunFile(req: { runId: string; format: ExportFormat }): Promise<ExportedFile>;
  appInfo(): Promise<AppInfo>;
}

export type HostEvent = EngineEvent | { type: 'download'; download: DownloadState };
export type HostEventListener = (event: HostEvent) => void;

export interface HostApi extends EngineApi, HostExtras {
  /** Engine events and download events (`subscribe` gives engine events only). */
  subscribeAll(listener: HostEventListener): () => void;
}

/** Every method a remote caller may invoke (subscribe and close stay local to each side). */
export const REQUEST_METHODS = [
  'startRun',
  'startSweep',
  'activeJobs',
  'cancelRun',
  'waitForRun',
  'listRuns',
  'getRun',
  'compareRuns',
  'exportRun',
  'deleteRun',
  'listModels',
  'listDatasets',
  'startDownload',
  'pauseDownload',
  'resumeDownload',
  'cancelDownload',
  'listDownloads',
  'deleteModel',
  'exportRunFile',
  'appInfo',
  'slurmInfo',
  'submitSlurm',
  'cancelSlurmSubmit',
  'listSlurmJobs',
  'slurmStatus',
  'resubmitSlurm',
  'collectSlurm',
] as const satisfies readonly (keyof HostApi)[];

export type RequestMethod = (typeof REQUEST_METHODS)[number];
export type MethodArgs<M extends RequestMethod> = Parameters<HostApi[M]>;
export type MethodResult<M extends RequestMethod> = Awaited<ReturnType<HostApi[M]>>;

const METHOD_SET: ReadonlySet<string> = new Set(REQUEST_METHODS);
export function isRequestMethod(m: unknown): m is RequestMethod {
  return typeof m === 'string' && METHOD_SET.has(m);
}

/**
 * What the renderer and HTTP clients may call: every request method but `exportRun`, which writes
 * into any folder (the app gets exports as file contents: `exportRunFile`).
 */
export function isRemoteMethod(m: unknown): m is RequestMethod {
  return isRequestMethod(m) && m !== 'exportRun';
}

const has = (v: unknown, field: string): boolean => typeof v === 'object' && v !== null && field in v;

/**
 * Why a remote request must be refused although the engine would take it (one of the
 * host/remote-gate.ts checks): a run's `outDir` is any folder too, and so is a Slurm job's (its
 * collect writes there); sbatch's own arguments can move its output files and working directory.
 */
export function remoteArgsRefusal(method: RequestMethod, args: unknown[]): string | undefined {
  const [first] = args;
  const runSpec = method === 'startRun' || method === 'startSweep' ? first : method === 'submitSlurm' && has(first, 'spec') ? (first as { spec: unknown }).spec : undefined;
  if (has(runSpec, 'outDir')) return `${method}: outDir is for the CLI; runs started from the app are written under its home folder`;
  if (method === 'submitSlurm' && has(first, 'slurm') && has((first as { slurm: unknown }).slurm, 'sbatchArgs'))
    return `${method}: slurm.sbatchArgs (sbatch's own arguments, which can redirect its output files or change its directory) are for the CLI's --sbatch_arg`;
  return undefined;
}

/** `userError`: caused by the request (bad path, bad option); shown as is, HTTP 400. */
export interface RpcError {
  message: string;
  userError: boolean;
}
export type RpcReply = { result: unknown } | { error: RpcError };

export interface RpcRequest {
  id: number;
  method: RequestMethod;
  args: unknown[];
  /** From the app's page (IPC, HTTP): the worker checks it first (host/remote-gate.ts). */
  remote?: boolean;
}

/** Worker → client messages. */
export type WorkerMessage = { kind: 'reply'; id: number; reply: RpcReply } | { kind: 'event'; event: HostEvent };
/** Client → worker messages (`close` releases the engine before the worker is terminated). */
export type ClientMessage = { kind: 'request'; request: RpcRequest } | { kind: 'close' };

/** What the sandboxed preload exposes as `window.bild`. */
export interface BildBridge {
  request(method: RequestMethod, args: unknown[]): Promise<RpcReply>;
  onEvent(listener: HostEventListener): () => void;
  /** A data file the user picks in a native dialog (its folder becomes readable to the page), or null when cancelled. */
  pickFile(): Promise<string | null>;
  /** A Slurm job folder the user picks in a native dialog (it becomes readable to the page), or null when cancelled. */
  pickJobFolder(): Promise<string | null>;
}

/** Electron IPC channel names. */
export const IPC_REQUEST = 'bild:request';
export const IPC_EVENT = 'bild:event';
/** Electron only: the main process's native file dialog (host/app-settings.ts allows the picked file's folder). */
export const IPC_PICK_FILE = 'bild:pick-file';
/** Electron only: the native folder dialog for a Slurm job folder (allowed like a picked file's folder). */
export const IPC_PICK_JOB_FOLDER = 'bild:pick-job-folder';
