/**
 * The engine API's side of Slurm jobs (engine/slurm does the work): how a request names a job,
 * whether this host can submit, and the job folders the app lists.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { defaultJobsRoot, findOnPath, JOB_FILES, JOB_NAME, listSlurmJobs } from '../slurm';
import type { SlurmInfo, SlurmJobEntry } from './types';

/**
 * The folder a request's job reference names: a job name under the jobs root, or an absolute
 * folder. Relative paths are refused: they would depend on the folder the app started in.
 */
export function slurmJobFolder(job: string): string {
  if (isAbsolute(job)) return resolve(job);
  if (JOB_NAME.test(job)) return join(defaultJobsRoot(), job);
  throw new UserError(`job: '${job}' is neither a job name under ${defaultJobsRoot()} nor an absolute job folder`);
}

/**
 * The folder collect writes the job's results into when job.json names one (the submission's
 * --out): the gate checks it like the job folder. Unreadable, it is none: collect then refuses the job.
 */
export function collectOutDir(folder: string): string | undefined {
  try {
    const outDir = (JSON.parse(readFileSync(join(folder, JOB_FILES.spec), 'utf8')) as { spec?: { outDir?: unknown } }).spec?.outDir;
    return typeof outDir === 'string' ? resolve(folder, outDir) : undefined;
  } catch {
    return undefined;
  }
}

export function slurmInfo(): SlurmInfo {
  return { sbatch: findOnPath('sbatch'), jobsRoot: defaultJobsRoot() };
}

/** The jobs under the jobs root but links, whose targets (anywhere) are not the app's to read or open. */
export function appSlurmJobs(): SlurmJobEntry[] {
  return listSlurmJobs().filter((j) => lstatSync(j.folder, { throwIfNoEntry: false })?.isSymbolicLink() === false);
}
