/** Resubmission: only the tasks that failed (or were never submitted, after --dry_run), as one new array. */
import { join } from 'node:path';
import { writeFileAtomicSync } from '../atomic-write';
import { writingTo } from '../disk-errors';
import { UserError } from '../errors';
import { JOB_FILES, readJobSpec } from './job-folder';
import { checkSlurmOptions } from './options';
import { sbatchScript } from './sbatch-script';
import { slurmJobStatus } from './status';
import { builtCli, submitTasks } from './submit';

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
  const spec = readJobSpec(status.folder);
  // The script is written again from job.json, whose programs must be this installation's and
  // whose options pass the same checks as at submission: an edited folder cannot run other code.
  if (spec.node !== process.execPath || spec.cli !== builtCli())
    throw new UserError(`job ${status.folder} was submitted from another installation (${spec.node} ${spec.cli}); resubmit it from there`);
  checkSlurmOptions(spec.slurm);
  const script = join(status.folder, JOB_FILES.script);
  writingTo(script, () => writeFileAtomicSync(script, sbatchScript(spec, status.folder)));
  const jobId = await submitTasks(spec, status.folder, tasks);
  return { folder: status.folder, jobId, tasks };
}
