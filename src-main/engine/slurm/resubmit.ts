/** Resubmission: only the tasks that failed (or were never submitted, after --dry_run), as one new array. */
import { UserError } from '../errors';
import { readJobSpec } from './job-folder';
import { slurmJobStatus } from './status';
import { submitTasks } from './submit';

export interface Resubmitted {
  folder: string;
  jobId: string;
  tasks: number[];
}

export async function resubmitSlurmJob(job: string): Promise<Resubmitted> {
  const status = await slurmJobStatus(job);
  // after a partial collect, the missing tasks may still be rerun (and the job collected whole once that run is deleted)
  if (status.collected && !status.collected.partial) throw new UserError(`job ${status.folder} was already collected into run ${status.collected.runId}`);
  const tasks = status.tasks.filter((t) => t.state === 'failed' || t.state === 'unsubmitted').map((t) => t.task);
  if (tasks.length === 0) {
    const c = status.counts;
    throw new UserError(`nothing to resubmit in ${status.folder}: ${c.done} done, ${c.running} running, ${c.pending} pending, none failed`);
  }
  const jobId = await submitTasks(readJobSpec(status.folder), status.folder, tasks);
  return { folder: status.folder, jobId, tasks };
}
