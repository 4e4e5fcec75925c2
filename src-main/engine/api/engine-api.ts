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
  Resubmitted,
  RunSummary,
  SlurmInfo,
  SlurmJobEntry,
  SlurmJobStatus,
  SlurmSubmitRequest,
  SubmittedJob,
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
  /** Whether sbatch is on PATH, and where job folders go. */
  slurmInfo(): Promise<SlurmInfo>;
  /**
   * Fetches the models and data, exports the models to ONNX, writes the job folder and submits it
   * as a Slurm job array (`slurm.dryRun`: writes it only). Resolves when submitted.
   */
  submitSlurm(req: SlurmSubmitRequest): Promise<SubmittedJob>;
  /** Stops a submission still fetching or exporting (named by its `submissionId`); nothing is submitted. */
  cancelSlurmSubmit(submissionId: string): Promise<void>;
  /** The job folders under the jobs root, newest first. */
  listSlurmJobs(): Promise<SlurmJobEntry[]>;
  /** `job`: a job name under the jobs root or an absolute job folder. */
  slurmStatus(job: string): Promise<SlurmJobStatus>;
  /** Submits the job's failed (or never submitted) tasks again. */
  resubmitSlurm(job: string): Promise<Resubmitted>;
  /** Merges the done tasks into one run (or sweep) in the history; `partial` allows tasks to be missing. */
  collectSlurm(job: string, options?: { partial?: boolean }): Promise<RunSummary>;
  /** Returns the unsubscribe function. */
  subscribe(listener: EngineEventListener): () => void;
  /** Releases the history database (and waits for running jobs to stop after cancelling them). */
  close(): Promise<void>;
}
