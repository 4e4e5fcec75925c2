/**
 * The engine API's side of Slurm jobs (engine/slurm does the work): how a request names a job,
 * whether this host can submit, and the job folders under the jobs root.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { defaultJobsRoot, findOnPath, type SlurmJobSpec } from '../slurm';
import { JOB_FILES, readCollected, readJobSpec, readSubmissions } from '../slurm/job-folder';
import type { SlurmInfo, SlurmJobEntry } from './types';

/** A job's name as `submit` makes them (`job-<run id>`), or one a user gave its folder: no path steps. */
const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * The folder a request's job reference names: a job name under the jobs root, or an absolute
 * folder. Relative paths are refused: they would depend on the folder the app started in.
 */
export function slurmJobFolder(job: string): string {
  if (isAbsolute(job)) return resolve(job);
  if (JOB_NAME.test(job)) return join(defaultJobsRoot(), job);
  throw new UserError(`job: '${job}' is neither a job name under ${defaultJobsRoot()} nor an absolute job folder`);
}

export function slurmInfo(): SlurmInfo {
  return { sbatch: findOnPath('sbatch'), jobsRoot: defaultJobsRoot() };
}

/** One job folder's listing; a folder this version cannot use is listed with the reason. */
function jobEntry(folder: string, name: string): SlurmJobEntry {
  const base: SlurmJobEntry = { folder, name, kind: null, createdAt: null, models: null, dataset: null, sentences: null, shards: null, jobIds: [], collected: null, problem: null };
  let spec: SlurmJobSpec;
  try {
    spec = readJobSpec(folder);
  } catch (err) {
    const raw = readRawSpec(folder);
    return { ...base, name: raw?.name ?? name, kind: raw?.kind ?? null, createdAt: raw?.createdAt ?? null, problem: (err as Error).message };
  }
  try {
    return {
      ...base,
      name: spec.name,
      kind: spec.kind,
      createdAt: spec.createdAt,
      models: spec.spec.models,
      dataset: `${spec.dataset.id} / ${spec.dataset.split}`,
      sentences: spec.dataset.examples,
      shards: spec.shards.length,
      jobIds: readSubmissions(folder).map((s) => s.jobId),
      collected: readCollected(folder),
    };
  } catch (err) {
    return { ...base, problem: (err as Error).message };
  }
}

/** job.json's plain fields, for listing a folder another version wrote. */
function readRawSpec(folder: string): Partial<SlurmJobSpec> | null {
  try {
    const raw: unknown = JSON.parse(readFileSync(join(folder, JOB_FILES.spec), 'utf8'));
    return typeof raw === 'object' && raw !== null ? (raw as Partial<SlurmJobSpec>) : null;
  } catch {
    return null;
  }
}

/** The job folders under the jobs root, newest first (job names start with their creation time). */
export function listSlurmJobs(): SlurmJobEntry[] {
  const root = defaultJobsRoot();
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, JOB_FILES.spec)))
    .map((d) => jobEntry(join(root, d.name), d.name))
    .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || b.name.localeCompare(a.name));
}
