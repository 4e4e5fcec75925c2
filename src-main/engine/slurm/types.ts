/** The Slurm job's shapes: what `submit` writes into the job folder and what `status` reports. */
import type { RunSpec, SweepSpec } from '../api/types';

/** Bumped whenever the job folder's layout or job.json changes: a folder of another format is refused. */
export const SLURM_JOB_FORMAT = 1;

/** What the user chooses about the Slurm side of a job (the CLI's --shards, --partition, ...). */
export interface SlurmOptions {
  /** Array tasks, each decoding a contiguous slice of the sentences with every variant. */
  shards: number;
  partition?: string;
  /** e.g. `gpu:1` */
  gres?: string;
  /** Slurm's time formats: `minutes`, `HH:MM:SS`, `D-HH:MM`, ... */
  time?: string;
  cpusPerTask?: number;
  /** At most this many tasks run at once (`--array=...%K`). */
  arrayParallel?: number;
  /** Passed to sbatch as they are (each one argument, e.g. `--account=lab`). */
  sbatchArgs?: string[];
  /** Write the job folder, do not submit. */
  dryRun?: boolean;
  /** The job folder (on a filesystem every node sees); default <appHome>/slurm/<name>. */
  jobDir?: string;
}

/** A task's share of the sentences: positions [start, end) of the run's examples. */
export interface Shard {
  start: number;
  end: number;
}

/** job.json: everything a task needs, fixed at submission. */
export interface SlurmJobSpec {
  format: 'bild-bench-slurm-job';
  version: number;
  appVersion: string;
  name: string;
  createdAt: string;
  kind: 'run' | 'sweep';
  spec: RunSpec | SweepSpec;
  /** The sentences as loaded on the submitting host: tasks refuse a dataset that differs. */
  dataset: { id: string; split: string; examples: number; fingerprint: string };
  shards: Shard[];
  slurm: Omit<SlurmOptions, 'dryRun' | 'jobDir'>;
  /** The Node.js binary and bild-bench entry the tasks run (the submitting installation). */
  node: string;
  cli: string;
  /** Set in every task: the shared app home (exported models) and Hugging Face cache. */
  env: Record<string, string>;
}

/** One sbatch call: the job id Slurm gave and the array tasks it submitted. */
export interface Submission {
  jobId: string;
  tasks: number[];
  at: string;
}

/** done.json, written last (atomically) by a task that finished its whole slice. */
export interface TaskDone {
  task: number;
  sentences: number;
  hostname: string;
  slurmJobId: string | null;
  finishedAt: string;
}

/** collected.json: the run a job was collected into. */
export interface Collected {
  runId: string;
  partial: boolean;
  at: string;
}

export type TaskState = 'unsubmitted' | 'pending' | 'running' | 'done' | 'failed';

export interface TaskStatus {
  task: number;
  state: TaskState;
  /** Why a task is pending (Slurm's reason) or failed (Slurm's state and exit code, the log's last error); null otherwise. */
  reason: string | null;
  /** The latest job id it was submitted under. */
  jobId: string | null;
  node: string | null;
  sentencesDone: number;
  sentences: number;
}

export interface SlurmJobStatus {
  folder: string;
  name: string;
  kind: 'run' | 'sweep';
  jobIds: string[];
  tasks: TaskStatus[];
  counts: Record<TaskState, number>;
  collected: Collected | null;
}

/** `task 3` or `tasks 1, 4`, as a message names them. */
export const taskList = (tasks: readonly number[]): string => `${tasks.length === 1 ? 'task' : 'tasks'} ${tasks.join(', ')}`;
