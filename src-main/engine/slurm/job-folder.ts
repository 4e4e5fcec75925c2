/**
 * A Slurm job's folder on the shared filesystem:
 *   job.json          the spec (SlurmJobSpec), written once at submission
 *   job.sbatch        the array script
 *   submissions.json  every sbatch call (job id, tasks)
 *   tasks/<k>/        task k's run files (sentences.jsonl/csv, summary.json) and done.json, last
 *   logs/<k>-<id>.out task k's output under job id <id>
 *   collected.json    the history run it was collected into
 * Tasks write only into their own tasks/<k>; the submitting host writes the rest.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomicSync } from '../atomic-write';
import { writingTo } from '../disk-errors';
import { UserError } from '../errors';
import { appHome, appVersion } from '../paths';
import { RESULT_FILES } from '../runner/result-files';
import { MAX_SHARDS, sliceShards } from './shards';
import { SLURM_JOB_FORMAT, type Collected, type SlurmJobSpec, type Submission, type TaskDone } from './types';

export const JOB_FILES = { spec: 'job.json', script: 'job.sbatch', submissions: 'submissions.json', collected: 'collected.json', done: 'done.json' } as const;

/** Where job folders go when --job_dir is not given. */
export function defaultJobsRoot(): string {
  return join(appHome(), 'slurm');
}

/** A job's name as `submit` makes them (`job-<run id>`), or one a user gave its folder: no path steps, one line. */
export const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export const taskDir = (folder: string, task: number): string => join(folder, 'tasks', String(task));
export const logsDir = (folder: string): string => join(folder, 'logs');

/** sbatch expands `%` (and `\\` escapes) in --output: a folder path holding one would send the logs elsewhere. */
export function checkJobFolderPath(folder: string): void {
  if (/[%\\]/.test(folder)) throw new UserError(`job_dir: '${folder}' holds '%' or '\\', which sbatch expands in its log file names: choose a folder path without them`);
}

/** sbatch's --output pattern: one log per task and submission. */
export function logPattern(folder: string): string {
  checkJobFolderPath(folder);
  return join(logsDir(folder), '%a-%A.out');
}

export const logOf = (folder: string, task: number, jobId: string): string => join(logsDir(folder), `${task}-${jobId}.out`);

function writeJson(path: string, value: unknown): void {
  writingTo(path, () => writeFileAtomicSync(path, JSON.stringify(value, null, 2) + '\n'));
}

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new UserError(`${path}: cannot read the ${what} (${(err as Error).message})`);
  }
}

/** A job folder given by path, or by name under the default root. */
export function findJobFolder(job: string): string {
  if (!job) throw new UserError('give a job folder (the path `--slurm` printed)');
  for (const candidate of [resolve(job), join(defaultJobsRoot(), job)])
    if (existsSync(join(candidate, JOB_FILES.spec))) return candidate;
  throw new UserError(`'${job}' is not a Slurm job folder (no ${JOB_FILES.spec} in it, nor in ${join(defaultJobsRoot(), job)})`);
}

/** Refuses a job folder that is a file or holds files (a job's files must not mix with others). */
export function checkNewJobFolder(folder: string): void {
  checkJobFolderPath(folder);
  if (!existsSync(folder)) return;
  if (!statSync(folder).isDirectory()) throw new UserError(`job_dir: '${folder}' is a file, not a folder`);
  if (readdirSync(folder).length > 0) throw new UserError(`job_dir: '${folder}' is not empty; give a new or empty folder`);
}

/** Makes a new, empty job folder (checked again: it may have changed while the models downloaded). */
export function createJobFolder(folder: string): void {
  checkNewJobFolder(folder);
  writingTo(folder, () => mkdirSync(logsDir(folder), { recursive: true }));
}

export function writeJobSpec(folder: string, spec: SlurmJobSpec): void {
  writeJson(join(folder, JOB_FILES.spec), spec);
}

/** job.json, refused when another version of bild-bench wrote it (tasks and collect must run the code that planned the job). */
export function readJobSpec(folder: string): SlurmJobSpec {
  const path = join(folder, JOB_FILES.spec);
  const spec = readJson<Partial<SlurmJobSpec>>(path, 'job spec');
  if (spec.format !== 'bild-bench-slurm-job') throw new UserError(`${path} is not a bild-bench Slurm job spec`);
  if (spec.version !== SLURM_JOB_FORMAT || spec.appVersion !== appVersion())
    throw new UserError(
      `${path} was written by bild-bench ${String(spec.appVersion)} (job format ${String(spec.version)}); this is bild-bench ${appVersion()} (job format ${SLURM_JOB_FORMAT}): submit the job again with this version, or use the version that wrote it`,
    );
  // name and kind reach the job script's comment line and sbatch's --job-name: an edited one must not add lines
  if (typeof spec.name !== 'string' || !JOB_NAME.test(spec.name)) throw new UserError(`${path}: its name ${JSON.stringify(spec.name)} is not a job name (an edited job spec)`);
  if (spec.kind !== 'run' && spec.kind !== 'sweep') throw new UserError(`${path}: its kind ${JSON.stringify(spec.kind)} is neither run nor sweep (an edited job spec)`);
  // an edited job.json must not make tasks overlap, miss sentences or number in the millions
  const n = spec.dataset?.examples;
  const k = Array.isArray(spec.shards) ? spec.shards.length : 0;
  if (!Number.isInteger(n) || k < 1 || k > MAX_SHARDS || k > n! || JSON.stringify(spec.shards) !== JSON.stringify(sliceShards(n!, k)))
    throw new UserError(`${path}: its shards do not split its ${String(n)} sentences as bild-bench does (an edited job spec)`);
  return spec as SlurmJobSpec;
}

export function readSubmissions(folder: string): Submission[] {
  const path = join(folder, JOB_FILES.submissions);
  return existsSync(path) ? readJson<Submission[]>(path, 'submission list') : [];
}

export function addSubmission(folder: string, s: Submission): void {
  writeJson(join(folder, JOB_FILES.submissions), [...readSubmissions(folder), s]);
}

export function readCollected(folder: string): Collected | null {
  const path = join(folder, JOB_FILES.collected);
  return existsSync(path) ? readJson<Collected>(path, 'collect record') : null;
}

export function writeCollected(folder: string, c: Collected): void {
  writeJson(join(folder, JOB_FILES.collected), c);
}

export function readTaskDone(folder: string, task: number): TaskDone | null {
  const path = join(taskDir(folder, task), JOB_FILES.done);
  return existsSync(path) ? readJson<TaskDone>(path, 'done marker') : null;
}

/** Empties task folders before they are submitted again: an old done.json must not pass for the new attempt's. */
export function clearTasks(folder: string, tasks: readonly number[]): void {
  for (const k of tasks) {
    const dir = taskDir(folder, k);
    writingTo(dir, () => rmSync(dir, { recursive: true, force: true }));
  }
}

export function writeTaskDone(folder: string, done: TaskDone): void {
  writeJson(join(taskDir(folder, done.task), JOB_FILES.done), done);
}

/** A sentences.jsonl as last counted: the app asks every few seconds, and a done task's file no longer changes. */
interface Counted {
  ino: number;
  size: number;
  mtimeMs: number;
  lines: number;
}
const counted = new Map<string, Counted>();
/** Files remembered at most (a few large jobs' tasks); past it the memory starts again. */
const MAX_COUNTED = 10_000;

/** Newlines in the file's first `size` bytes, read in chunks (the file may be large). */
function countLines(fd: number, size: number): number {
  const buf = Buffer.alloc(1 << 16);
  let lines = 0;
  for (let pos = 0, n; pos < size && (n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos)) > 0; pos += n) for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
  return lines;
}

/**
 * Sentences a task has written so far: the whole lines of its sentences.jsonl, counted again only
 * when the file changed (another file, size or modification time) since the last count.
 */
export function sentencesWritten(folder: string, task: number): number {
  const path = join(taskDir(folder, task), RESULT_FILES.jsonl);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    counted.delete(path);
    return 0;
  }
  try {
    const st = fstatSync(fd);
    const prior = counted.get(path);
    if (prior && prior.ino === st.ino && prior.size === st.size && prior.mtimeMs === st.mtimeMs) return prior.lines;
    const lines = countLines(fd, st.size);
    if (counted.size >= MAX_COUNTED) counted.clear();
    counted.set(path, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, lines });
    return lines;
  } finally {
    closeSync(fd);
  }
}
