/**
 * Runs and sweeps as Slurm job arrays (docs/slurm.md): submit writes a job folder and submits it,
 * each array task decodes a slice of the sentences with every variant (runSlurmTask, on a node),
 * status reports each task, resubmit reruns the failed ones, collect merges them into the history.
 * No Electron here: the CLI and the app's engine both call these.
 */
export { submitSlurmJob, type SlurmContext, type SlurmRequest, type SubmittedJob } from './submit';
export { runSlurmTask } from './task';
export { slurmJobStatus } from './status';
export { resubmitSlurmJob, type Resubmitted } from './resubmit';
export { collectSlurmJob, type CollectedJob, type CollectOptions } from './collect';
export { findJobFolder, defaultJobsRoot, JOB_FILES, JOB_NAME } from './job-folder';
export { listSlurmJobs, type SlurmJobEntry } from './list-jobs';
export { findOnPath } from './slurm-commands';
export { sbatchScript } from './sbatch-script';
export { sliceShards, MAX_SHARDS } from './shards';
export * from './types';
