import type {
  ActiveJob,
  DatasetCatalogEntry,
  EngineEventListener,
  ExportRequest,
  ListRunsQuery,
  ModelCatalogEntry,
  RunComparison,
  RunDetail,
  RunListEntry,
  RunSpec,
  RunSummary,
  SweepSpec,
} from './types';

/**
 * What a front end can ask of the engine. Every argument and result is plain JSON, so the same
 * interface serves the in-process implementation (CLI), Electron IPC and an HTTP/SSE server.
 *
 * Runs and sweeps are jobs: `startRun`/`startSweep` check the request (rejecting with a user
 * error before anything heavy happens), then return the job id at once while the job continues;
 * its events go to every subscriber, and `waitForRun` resolves with its final summary (also for
 * cancelled runs, whose partial results are valid).
 */
export interface EngineApi {
  startRun(spec: RunSpec): Promise<{ runId: string }>;
  startSweep(spec: SweepSpec): Promise<{ runId: string }>;
  /** The job running now (at most one: a second start is refused while it runs), or none. */
  activeJobs(): Promise<ActiveJob[]>;
  /** Cancels a run or sweep; it stops after the current sentence step and keeps what finished. */
  cancelRun(runId: string): Promise<void>;
  /** The final summary of a job started by this engine (rejects with the job's error if it failed). */
  waitForRun(runId: string): Promise<RunSummary>;
  listRuns(query?: ListRunsQuery): Promise<RunListEntry[]>;
  getRun(runId: string): Promise<RunDetail>;
  compareRuns(runIds: string[]): Promise<RunComparison>;
  /** Writes sentences.csv, summary.csv and/or summary.json of a stored run to `dir`; returns the file paths. */
  exportRun(req: ExportRequest): Promise<{ files: string[] }>;
  deleteRun(runId: string): Promise<void>;
  listModels(): Promise<ModelCatalogEntry[]>;
  listDatasets(): Promise<DatasetCatalogEntry[]>;
  /** Returns the unsubscribe function. */
  subscribe(listener: EngineEventListener): () => void;
  /** Releases the history database (and waits for running jobs to stop after cancelling them). */
  close(): Promise<void>;
}
