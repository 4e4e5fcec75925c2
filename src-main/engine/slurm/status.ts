/**
 * Each task's state: done from its folder (done.json), pending or running from squeue, and
 * otherwise failed, with how it ended (scontrol, or sacct where accounting is configured) and
 * the last error line of its log. A task killed mid-way (scancel, a time limit, a dead node) has
 * no done.json and has left the queue: failed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULT_FILES } from '../runner/result-files';
import { findJobFolder, logOf, readCollected, readJobSpec, readSubmissions, readTaskDone, sentencesWritten, taskDir } from './job-folder';
import { finishedTask, squeueTasks, type QueuedTask } from './slurm-commands';
import type { SlurmJobStatus, Submission, TaskState, TaskStatus } from './types';

/** Log lines read for a failure's reason: the end of the file is what matters. */
const LOG_TAIL_BYTES = 64 * 1024;

/** The last line of a task's log that says what went wrong (bild-bench's own error line first). */
function logReason(path: string): string | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path).subarray(-LOG_TAIL_BYTES).toString('utf8');
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = [...lines].reverse().find((l) => /error|cancelled|killed|time limit|oom/i.test(l));
  return line ? line.slice(0, 300) : null;
}

/** summary.json's error, when the runner got to write it. */
function runnerError(folder: string, task: number): string | null {
  const path = join(taskDir(folder, task), RESULT_FILES.summary);
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { error?: string | null }).error ?? null;
  } catch {
    return null;
  }
}

const LIVE: Record<string, TaskState> = { PENDING: 'pending', CONFIGURING: 'running', RUNNING: 'running', COMPLETING: 'running', SUSPENDED: 'running', REQUEUED: 'pending', RESIZING: 'running' };

/** The latest submission of each task. */
function latestSubmissions(subs: readonly Submission[]): Map<number, Submission> {
  const latest = new Map<number, Submission>();
  for (const s of subs) for (const t of s.tasks) latest.set(t, s);
  return latest;
}

/** Why a task that left the queue without done.json failed; null when the controller says it is still live (it just started or is completing). */
async function failureReason(folder: string, task: number, jobId: string): Promise<string | null> {
  const ended = await finishedTask(jobId, task);
  if (ended && LIVE[ended.state]) return null;
  const parts = [
    ended ? `${ended.state}${ended.exitCode ? ` (exit ${ended.exitCode})` : ''}${ended.reason && ended.reason !== 'None' ? `, ${ended.reason}` : ''}` : 'left the queue without finishing',
    runnerError(folder, task) ?? logReason(logOf(folder, task, jobId)),
  ];
  return parts.filter(Boolean).join(': ');
}

async function taskStatus(folder: string, task: number, sentences: number, sub: Submission | undefined, live: QueuedTask | undefined): Promise<TaskStatus> {
  const base = { task, jobId: sub?.jobId ?? null, sentences, sentencesDone: sentencesWritten(folder, task) };
  // done.json is read after squeue answered: a task that finished in between is done, not failed
  const done = readTaskDone(folder, task);
  if (done && base.sentencesDone === sentences) return { ...base, state: 'done', reason: null, node: done.hostname };
  if (done) return { ...base, state: 'failed', reason: `marked done but its folder holds ${base.sentencesDone} of its ${sentences} sentences`, node: done.hostname };
  if (!sub) return { ...base, state: 'unsubmitted', reason: 'never submitted (a --dry_run job: `bild-bench slurm resubmit` submits it)', node: null };
  if (live) {
    const state = LIVE[live.state] ?? 'running';
    return { ...base, state, reason: state === 'pending' ? live.reason : null, node: live.node };
  }
  const reason = await failureReason(folder, task, sub.jobId);
  if (reason !== null) return { ...base, state: 'failed', reason, node: null };
  return readTaskDone(folder, task) ? taskStatus(folder, task, sentences, sub, live) : { ...base, state: 'running', reason: null, node: null };
}

export async function slurmJobStatus(job: string): Promise<SlurmJobStatus> {
  const folder = findJobFolder(job);
  const spec = readJobSpec(folder);
  const subs = readSubmissions(folder);
  const latest = latestSubmissions(subs);
  const queued = new Map<string, Map<number, QueuedTask>>();
  for (const jobId of new Set([...latest.values()].map((s) => s.jobId))) queued.set(jobId, new Map((await squeueTasks(jobId)).map((t) => [t.task, t])));

  const tasks: TaskStatus[] = [];
  for (const [task, shard] of spec.shards.entries()) {
    const sub = latest.get(task);
    tasks.push(await taskStatus(folder, task, shard.end - shard.start, sub, sub && queued.get(sub.jobId)?.get(task)));
  }
  const counts: Record<TaskState, number> = { unsubmitted: 0, pending: 0, running: 0, done: 0, failed: 0 };
  for (const t of tasks) counts[t.state]++;
  return { folder, name: spec.name, kind: spec.kind, jobIds: subs.map((s) => s.jobId), tasks, counts, collected: readCollected(folder) };
}
