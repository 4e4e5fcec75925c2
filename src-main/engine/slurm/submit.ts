/**
 * Submission: plan and check the run or sweep, fetch its models and data on this host (into the
 * shared caches the tasks read offline), export the models to ONNX once, slice the sentences into
 * shards, write the job folder and submit it as one sbatch job array.
 */
import { existsSync, rmSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { RunSpec, SweepSpec } from '../api/types';
import { newRunId } from '../api/in-process';
import { writeFileAtomicSync } from '../atomic-write';
import { writingTo } from '../disk-errors';
import { UserError } from '../errors';
import { defaultHubCacheDir } from '../hub/settings';
import { computeTypeFor } from '../model';
import { ensureExported } from '../onnx/export-t5';
import { appHome, appRoot, appVersion } from '../paths';
import type { RunnerDeps } from '../runner/deps';
import { runnerDeps } from '../api/runner-deps';
import { planRun, planSweep, type RunPlan } from '../runner/plan';
import { exportsOf, prepareRun } from '../runner/prepare';
import { checkNewJobFolder, createJobFolder, defaultJobsRoot, JOB_FILES, logPattern, addSubmission, writeJobSpec } from './job-folder';
import { checkSlurmOptions } from './options';
import { sbatchScript } from './sbatch-script';
import { examplesFingerprint, sliceShards } from './shards';
import { requireTool, sbatch } from './slurm-commands';
import { SLURM_JOB_FORMAT, taskList, type Shard, type SlurmJobSpec, type SlurmOptions } from './types';

export interface SlurmRequest {
  kind: 'run' | 'sweep';
  spec: RunSpec | SweepSpec;
}

export interface SlurmContext {
  /** Replaces the Hub, data and model loaders (tests). */
  deps?: Partial<RunnerDeps>;
  signal?: AbortSignal;
  /** A line per step (resolving, downloading, exporting, submitting). */
  onProgress?: (message: string) => void;
}

export interface SubmittedJob {
  folder: string;
  /** null for a dry run. */
  jobId: string | null;
  name: string;
  sentences: number;
  shards: Shard[];
  /** The sbatch command line that submits (or submitted) the job. */
  command: string[];
}

export const planOf = (r: SlurmRequest): RunPlan => (r.kind === 'run' ? planRun(r.spec as RunSpec) : planSweep(r.spec as SweepSpec));

/**
 * In the desktop app the engine runs inside Electron, whose binary is process.execPath: tasks run
 * it as plain Node (ELECTRON_RUN_AS_NODE), as the CLI would run under Node.
 */
export function nodeModeEnv(versions: NodeJS.ProcessVersions = process.versions): Record<string, string> {
  return versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {};
}

/** The shared folders the tasks read: the app home (exported models) and the Hugging Face cache. */
export interface SharedFolders {
  BILD_BENCH_HOME: string;
  HF_HUB_CACHE: string;
}

/** A job's shared folders as job.json records them (where its models were prepared), this installation's where one is missing or not an absolute path. */
export function sharedFolders(env: Record<string, unknown> = {}): SharedFolders {
  const pick = (key: keyof SharedFolders, mine: string): string => {
    const v = env[key];
    return typeof v === 'string' && isAbsolute(v) ? v : mine;
  };
  return { BILD_BENCH_HOME: pick('BILD_BENCH_HOME', resolve(appHome())), HF_HUB_CACHE: pick('HF_HUB_CACHE', resolve(defaultHubCacheDir())) };
}

/** Every variable the job script exports (besides HF_HUB_OFFLINE): the shared folders and how this installation's binary runs as Node. */
export function taskEnv(folders: SharedFolders = sharedFolders()): Record<string, string> {
  return { ...folders, ...nodeModeEnv() };
}

/** `0-2,5,7-8` for the tasks, `%K` appended to run at most K at once. */
export function arraySpec(tasks: readonly number[], parallel?: number): string {
  const parts: string[] = [];
  for (let i = 0; i < tasks.length; ) {
    let j = i;
    while (j + 1 < tasks.length && tasks[j + 1] === tasks[j]! + 1) j++;
    parts.push(i === j ? String(tasks[i]) : `${tasks[i]}-${tasks[j]}`);
    i = j + 1;
  }
  return parts.join(',') + (parallel ? `%${parallel}` : '');
}

/** sbatch's arguments (before the script) for these tasks of the job. */
export function sbatchArgs(job: SlurmJobSpec, folder: string, tasks: readonly number[]): string[] {
  return [`--job-name=bild-bench-${job.name}`, `--output=${logPattern(folder)}`, `--array=${arraySpec(tasks, job.slurm.arrayParallel)}`, ...(job.slurm.sbatchArgs ?? [])];
}

/** Submitted, but not recorded in the job folder: the folder must stay, its tasks are queued. */
export class UnrecordedSubmissionError extends UserError {}

/** Submits tasks of a written job folder and records the submission. */
export async function submitTasks(job: SlurmJobSpec, folder: string, tasks: readonly number[]): Promise<string> {
  const jobId = await sbatch(join(folder, JOB_FILES.script), sbatchArgs(job, folder, tasks));
  try {
    addSubmission(folder, { jobId, tasks: [...tasks], at: new Date().toISOString() });
  } catch (err) {
    throw new UnrecordedSubmissionError(
      `Slurm job ${jobId} was submitted (${taskList(tasks)} of ${folder}) but could not be recorded in ${join(folder, JOB_FILES.submissions)}: ${(err as Error).message}. Its tasks run; \`scancel ${jobId}\` stops them`,
    );
  }
  return jobId;
}

/** The built CLI the tasks run: bin/bild-bench.js loads out/main/cli.js. */
export function builtCli(): string {
  const root = appRoot();
  if (!existsSync(join(root, 'out', 'main', 'cli.js'))) throw new UserError(`the CLI is not built (no out/main/cli.js in ${root}): run \`npm run build\` there first; the Slurm tasks run it`);
  return join(root, 'bin', 'bild-bench.js');
}

export async function submitSlurmJob(request: SlurmRequest, options: SlurmOptions, ctx: SlurmContext = {}): Promise<SubmittedJob> {
  const plan = planOf(request);
  const slurm = checkSlurmOptions(options);
  if (!slurm.dryRun) requireTool('sbatch');
  const cli = builtCli();
  const signal = ctx.signal ?? new AbortController().signal;
  const say = ctx.onProgress ?? (() => undefined);
  const name = newRunId();
  const folder = resolve(slurm.jobDir ?? join(defaultJobsRoot(), `job-${name}`));
  checkNewJobFolder(folder); // before the downloads and exports
  const deps = await runnerDeps(ctx.deps);

  // The execution provider is the compute nodes' to check (a login node seldom has their GPUs).
  const { resolved, dataset } = await prepareRun({ ...plan, ep: 'cpu', allowCpuFallback: true }, deps, signal, (stage, m) => say(`${stage}: ${m}`));
  const examples = dataset.examples;
  const shards = sliceShards(examples.length, slurm.shards);
  const smallest = Math.min(...shards.map((s) => s.end - s.start));
  if (plan.warmup > smallest) throw new UserError(`warmup: ${plan.warmup} is above the bound of the smallest shard's ${smallest} sentences (lower --warmup or --shards)`);
  for (const { role, dtype } of exportsOf(plan)) {
    const quant = plan.formats[dtype]!.quant;
    say(`exporting the ${role} model to ONNX at ${dtype} (once, for every task)`);
    await ensureExported(resolved[role]!.folder, { dtype, blockSize: quant?.blockSize, accuracyLevel: quant?.accuracyLevel, compute: computeTypeFor(plan.ep, dtype), signal });
  }

  const job: SlurmJobSpec = {
    format: 'bild-bench-slurm-job',
    version: SLURM_JOB_FORMAT,
    appVersion: appVersion(),
    name,
    createdAt: new Date().toISOString(),
    kind: plan.kind,
    spec: { ...request.spec, ...(request.spec.outDir ? { outDir: resolve(request.spec.outDir) } : {}) },
    dataset: { id: dataset.id, split: dataset.split, examples: examples.length, fingerprint: examplesFingerprint(examples) },
    shards,
    slurm: { shards: slurm.shards, partition: slurm.partition, gres: slurm.gres, time: slurm.time, cpusPerTask: slurm.cpusPerTask, arrayParallel: slurm.arrayParallel, sbatchArgs: slurm.sbatchArgs },
    node: process.execPath,
    cli,
    env: taskEnv(),
  };
  const tasks = shards.map((_, k) => k);
  const command = ['sbatch', '--parsable', ...sbatchArgs(job, folder, tasks), join(folder, JOB_FILES.script)];
  const existed = existsSync(folder);
  createJobFolder(folder);
  try {
    writeJobSpec(folder, job);
    const script = join(folder, JOB_FILES.script);
    writingTo(script, () => writeFileAtomicSync(script, sbatchScript(job, folder)));
    if (slurm.dryRun) return { folder, jobId: null, name, sentences: examples.length, shards, command };
    say('submitting');
    const jobId = await submitTasks(job, folder, tasks);
    return { folder, jobId, name, sentences: examples.length, shards, command };
  } catch (err) {
    if (err instanceof UnrecordedSubmissionError) throw err; // its array is queued: the folder stays
    // a refused submission leaves no job folder behind (an empty one given by --job_dir stays, emptied)
    if (existed) for (const f of [JOB_FILES.spec, JOB_FILES.script, JOB_FILES.submissions, 'logs']) rmSync(join(folder, f), { recursive: true, force: true });
    else rmSync(folder, { recursive: true, force: true });
    throw err;
  }
}
