/**
 * Each task's state: done from its folder (done.json), pending or running from squeue, and
 * otherwise failed, with how it ended (scontrol, or sacct where accounting is configured) and
 * the last error line of its log; a task Slurm saw exit cleanly whose done.json is not visible yet is
 * still running (finishing). A task killed mid-way (scancel, a time limit, a dead node) has
 * no done.json and has left the queue: failed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULT_FILES } from '../runner/result-files';
import { findJobFolder, logOf, readCollected, readJobSpec, readSubmissions, readTaskDone, sentencesWritten, taskDir } from './job-folder';
import { finishedTasks, squeueTasks, type FinishedTask, type QueuedTask } from './slurm-commands';
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

const LIVE: Record<string, TaskState> = { PENDING: 'pending', CONFIGURING: 'running', RUNNING: 'running', COMPLETING: 'running', SUSPENDED: 'running', REQUEUED: 'pending', RESIZING: 'running', STAGE_OUT: 'running' };

/** A listed task's state; held (REQUEUE_HOLD, SPECIAL_EXIT, RESV_DEL_HOLD, ...) and unknown states are pending, the state named as the reason. */
export function queuedState(q: QueuedTask): { state: TaskState; reason: string | null } {
  const state = LIVE[q.state];
  if (state === 'running') return { state, reason: null };
  if (state === 'pending') return { state, reason: q.reason || null };
  return { state: 'pending', reason: [q.state, q.reason && q.reason !== 'None' ? q.reason : ''].filter(Boolean).join(': ') || null };
}

/** The latest submission of each task. */
function latestSubmissions(subs: readonly Submission[]): Map<number, Submission> {
  const latest = new Map<number, Submission>();
  for (const s of subs) for (const t of s.tasks) latest.set(t, s);
  return latest;
}

/** How a task that left the queue without done.json ended: null while the controller says it is live (just started, or completing). */
async function endOf(folder: string, task: number, jobId: string, ends: EndsOf): Promise<{ finishing: boolean; reason: string } | null> {
  const ended = (await ends(jobId)).get(task);
  if (ended && LIVE[ended.state]) return null;
  // it exited cleanly: its done.json is written but not yet visible here (a network filesystem's attribute cache)
  if (ended?.state === 'COMPLETED' && ended.exitCode === '0:0')
    return { finishing: true, reason: 'COMPLETED (exit 0:0); its done.json is not visible here yet (network filesystem lag): check again shortly' };
  const parts = [
    ended ? `${ended.state}${ended.exitCode ? ` (exit ${ended.exitCode})` : ''}${ended.reason && ended.reason !== 'None' ? `, ${ended.reason}` : ''}` : 'left the queue without finishing',
    runnerError(folder, task) ?? logReason(logOf(folder, task, jobId)),
  ];
  return { finishing: false, reason: parts.filter(Boolean).join(': ') };
}

/** done.json is read before the sentences are counted, and both after squeue answered: a task that finishes meanwhile is done, not failed. */
function doneStatus(folder: string, task: number, sentences: number, jobId: string | null): TaskStatus | null {
  const done = readTaskDone(folder, task);
  if (!done) return null;
  const sentencesDone = sentencesWritten(folder, task);
  const base = { task, jobId, sentences, sentencesDone, node: done.hostname };
  if (sentencesDone === sentences) return { ...base, state: 'done', reason: null };
  return { ...base, state: 'failed', reason: `marked done but its folder holds ${sentencesDone} of its ${sentences} sentences` };
}

/** How each task of a submission ended, asked of Slurm once per job id, and only when a task needs it. */
type EndsOf = (jobId: string) => Promise<Map<number, FinishedTask>>;

function endsOnce(): EndsOf {
  const asked = new Map<string, Promise<Map<number, FinishedTask>>>();
  return (jobId) => {
    let ends = asked.get(jobId);
    if (!ends) asked.set(jobId, (ends = finishedTasks(jobId)));
    return ends;
  };
}

async function taskStatus(folder: string, task: number, sentences: number, sub: Submission | undefined, live: QueuedTask | undefined, ends: EndsOf): Promise<TaskStatus> {
  const jobId = sub?.jobId ?? null;
  const base = (): Pick<TaskStatus, 'task' | 'jobId' | 'sentences' | 'sentencesDone'> => ({ task, jobId, sentences, sentencesDone: sentencesWritten(folder, task) });
  // the latest submission, still queued, wins over a done.json an earlier attempt may have left
  if (live) return { ...base(), ...queuedState(live), node: live.node };
  const done = doneStatus(folder, task, sentences, jobId);
  if (done) return done;
  if (!sub) return { ...base(), state: 'unsubmitted', reason: 'never submitted (a --dry_run job: `bild-bench slurm resubmit` submits it)', node: null };
  const end = await endOf(folder, task, sub.jobId, ends);
  // done.json read again: the task may have finished while the controller was asked
  const late = doneStatus(folder, task, sentences, jobId);
  if (late) return late;
  if (end === null) return { ...base(), state: 'running', reason: null, node: null };
  return { ...base(), state: end.finishing ? 'running' : 'failed', reason: end.reason, node: null };
}

export async function slurmJobStatus(job: string): Promise<SlurmJobStatus> {
  const folder = findJobFolder(job);
  const spec = readJobSpec(folder);
  const subs = readSubmissions(folder);
  const latest = latestSubmissions(subs);
  const queued = new Map<string, Map<number, QueuedTask>>();
  for (const jobId of new Set([...latest.values()].map((s) => s.jobId))) queued.set(jobId, new Map((await squeueTasks(jobId)).map((t) => [t.task, t])));

  const tasks: TaskStatus[] = [];
  const ends = endsOnce();
  for (const [task, shard] of spec.shards.entries()) {
    const sub = latest.get(task);
    tasks.push(await taskStatus(folder, task, shard.end - shard.start, sub, sub && queued.get(sub.jobId)?.get(task), ends));
  }
  const counts: Record<TaskState, number> = { unsubmitted: 0, pending: 0, running: 0, done: 0, failed: 0 };
  for (const t of tasks) counts[t.state]++;
  return { folder, name: spec.name, kind: spec.kind, jobIds: subs.map((s) => s.jobId), tasks, counts, collected: readCollected(folder) };
}
