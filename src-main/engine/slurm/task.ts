/**
 * One array task on a compute node: decodes its shard with every variant of the job through the
 * local runner (runner.ts), into its own task folder, and writes done.json last. It never opens
 * the run history (SQLite on a network filesystem is not safe); `collect` merges the task folders.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { EngineEvent } from '../api/types';
import { writingTo } from '../disk-errors';
import { UserError } from '../errors';
import { executeRun } from '../runner/runner';
import { readJobSpec, taskDir, writeTaskDone } from './job-folder';
import { examplesFingerprint } from './shards';
import { runnerDeps } from '../api/runner-deps';
import { planOf, type SlurmContext } from './submit';
import type { TaskDone } from './types';

/** The array task: given, or Slurm's SLURM_ARRAY_TASK_ID. */
function taskIndex(given: number | undefined, shards: number): number {
  const raw = given ?? (process.env.SLURM_ARRAY_TASK_ID === undefined ? undefined : Number(process.env.SLURM_ARRAY_TASK_ID));
  if (raw === undefined) throw new UserError('no array task: SLURM_ARRAY_TASK_ID is not set (give --task K to run one by hand)');
  if (!Number.isInteger(raw) || raw < 0 || raw >= shards) throw new UserError(`task: ${raw} is not one of the job's tasks 0..${shards - 1}`);
  return raw;
}

/** Progress lines for the task's log: the start, then about every 5% of its sentences. */
function logEvent(task: number, e: EngineEvent): void {
  if (e.type === 'run-started') process.stderr.write(`task ${task} on ${hostname()}: ${e.total} sentences x ${e.variants.length} variants -> ${e.outDir}\n`);
  else if (e.type === 'progress' && e.stage === 'decode' && (e.done === e.total || e.done % Math.max(1, Math.floor(e.total / 20)) === 0))
    process.stderr.write(`task ${task}: ${e.done}/${e.total} sentences\n`);
}

export async function runSlurmTask(jobFolder: string, given: number | undefined, ctx: SlurmContext = {}): Promise<TaskDone> {
  const folder = resolve(jobFolder);
  const job = readJobSpec(folder);
  const task = taskIndex(given, job.shards.length);
  const shard = job.shards[task]!;
  const dir = taskDir(folder, task);
  // a rerun (resubmit) starts its folder afresh: nothing of a killed attempt may be merged
  writingTo(dir, () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  });
  const deps = await runnerDeps(ctx.deps);
  const sliced = {
    ...deps,
    loadDataset: async (...args: Parameters<typeof deps.loadDataset>) => {
      const d = await deps.loadDataset(...args);
      if (d.examples.length !== job.dataset.examples || examplesFingerprint(d.examples) !== job.dataset.fingerprint)
        throw new UserError(`dataset ${d.id} (${d.split}) on ${hostname()} differs from the one the job was submitted with (${job.dataset.examples} sentences then, ${d.examples.length} now)`);
      return { ...d, examples: d.examples.slice(shard.start, shard.end) };
    },
  };
  const summary = await executeRun(planOf(job), {
    runId: `${job.name}-task-${task}`,
    outDir: dir,
    deps: sliced,
    signal: ctx.signal ?? new AbortController().signal,
    emit: (e) => logEvent(task, e),
  });
  if (summary.status !== 'completed') throw new UserError(`task ${task} ended ${summary.status} after ${summary.sentences} of ${shard.end - shard.start} sentences`);
  const done: TaskDone = { task, sentences: summary.sentences, hostname: hostname(), slurmJobId: process.env.SLURM_ARRAY_JOB_ID ?? null, finishedAt: new Date().toISOString() };
  writeTaskDone(folder, done);
  return done;
}
