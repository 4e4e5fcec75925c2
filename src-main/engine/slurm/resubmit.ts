/** Resubmission: only the tasks that failed (or were never submitted, after --dry_run), as one new array. */
import { join } from 'node:path';
import { writeFileAtomicSync } from '../atomic-write';
import { writingTo } from '../disk-errors';
import { UserError } from '../errors';
import { clearTasks, findJobFolder, JOB_FILES, readJobSpec } from './job-folder';
import { withJobLock } from './job-lock';
import { checkSlurmOptions } from './options';
import { sbatchScript } from './sbatch-script';
import { slurmJobStatus } from './status';
import { builtCli, sharedFolders, submitTasks, taskEnv } from './submit';

export interface Resubmitted {
  folder: string;
  jobId: string;
  tasks: number[];
}

export async function resubmitSlurmJob(job: string): Promise<Resubmitted> {
  const folder = findJobFolder(job);
  return withJobLock(folder, 'resubmit', () => resubmitLocked(folder));
}

async function resubmitLocked(folder: string): Promise<Resubmitted> {
  const status = await slurmJobStatus(folder);
  // after a partial collect, the missing tasks may still be rerun (and the job collected whole once that run is deleted)
  if (status.collected && !status.collected.partial) throw new UserError(`job ${status.folder} was already collected into run ${status.collected.runId}`);
  const tasks = status.tasks.filter((t) => t.state === 'failed' || t.state === 'unsubmitted').map((t) => t.task);
  if (tasks.length === 0) {
    const c = status.counts;
    throw new UserError(`nothing to resubmit in ${status.folder}: ${c.done} done, ${c.running} running, ${c.pending} pending, none failed`);
  }
  const written = readJobSpec(status.folder);
  // The script is written again with this installation's Node and CLI (the same version: readJobSpec
  // checks it), so that a job the desktop app submitted can be resubmitted from a login node's CLI.
  // Of job.json's environment only the shared folders are kept: an edited one must not set
  // NODE_OPTIONS, LD_PRELOAD, BASH_ENV or the like for the tasks.
  const spec = { ...written, node: process.execPath, cli: builtCli(), env: taskEnv(sharedFolders(written.env)) };
  checkSlurmOptions(spec.slurm);
  const script = join(status.folder, JOB_FILES.script);
  writingTo(script, () => writeFileAtomicSync(script, sbatchScript(spec, status.folder)));
  clearTasks(status.folder, tasks);
  const jobId = await submitTasks(spec, status.folder, tasks);
  return { folder: status.folder, jobId, tasks };
}
