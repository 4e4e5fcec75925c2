/**
 * Slurm's client tools, each run with an argument array (no shell). A tool missing from PATH is a
 * UserError naming it; sbatch's refusal is shown in one line as Slurm worded it.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { UserError } from '../errors';

export type SlurmTool = 'sbatch' | 'squeue' | 'scontrol' | 'sacct';

/** Slurm answers in seconds; a wedged controller must not hang status or collect forever. */
const TOOL_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 16 << 20;

/** The tool's path on PATH, or null. */
export function findOnPath(tool: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export function requireTool(tool: SlurmTool): void {
  if (!findOnPath(tool))
    throw new UserError(`${tool} is not on PATH: run this on a Slurm login node${tool === 'sbatch' ? ' (or use --dry_run to write the job folder and submit it elsewhere)' : ''}`);
}

interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(tool: SlurmTool, args: string[]): Promise<ToolResult> {
  requireTool(tool);
  return new Promise((res, rej) => {
    execFile(tool, args, { timeout: TOOL_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
      if (e && typeof e.code !== 'number') {
        rej(new UserError(`${tool} ${e.killed ? `did not answer within ${TOOL_TIMEOUT_MS / 1000} s` : `could not run (${e.message})`}`));
        return;
      }
      res({ code: typeof e?.code === 'number' ? e.code : 0, stdout, stderr });
    });
  });
}

/** Slurm's own words, in one line: its error lines (or its last line) without the tool's prefix. */
function refusal(tool: string, r: ToolResult): string {
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /error/i.test(l)).map((l) => l.replace(new RegExp(`^${tool}: error: `), ''));
  return (errors.length ? errors : lines.slice(-1)).join('; ') || `exit code ${r.code}`;
}

/** Submits `script` as an array; returns the job id. */
export async function sbatch(script: string, args: string[]): Promise<string> {
  const r = await run('sbatch', ['--parsable', ...args, script]);
  const jobId = r.stdout.trim().split(';')[0] ?? '';
  if (r.code !== 0 || !/^\d+$/.test(jobId)) throw new UserError(`sbatch refused the job: ${refusal('sbatch', r)}`);
  return jobId;
}

export interface QueuedTask {
  task: number;
  /** Slurm's state: PENDING, RUNNING, COMPLETING, ... */
  state: string;
  reason: string;
  node: string | null;
}

/** The array's tasks Slurm still lists (pending, running, completing); none once the job has left the queue. */
export async function squeueTasks(jobId: string): Promise<QueuedTask[]> {
  // %i is <job>_<task> with -r (%a, the task alone, prints "(null)" in some versions)
  const r = await run('squeue', ['-h', '-r', '-j', jobId, '-o', '%i|%T|%r|%N']);
  if (r.code !== 0) {
    if (/invalid job id/i.test(r.stderr)) return []; // the whole array has left the queue
    throw new UserError(`squeue failed: ${refusal('squeue', r)}`);
  }
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [id, state, reason, node] = l.split('|');
      const task = /^\d+_(\d+)$/.exec(id?.trim() ?? '')?.[1];
      return { task: task === undefined ? NaN : Number(task), state: state ?? '', reason: reason ?? '', node: node?.trim() || null };
    })
    .filter((t) => Number.isInteger(t.task));
}

export interface FinishedTask {
  state: string;
  exitCode: string | null;
  reason: string | null;
}

/**
 * How the array's tasks that left the queue ended, by task: one scontrol call for the whole array
 * (the controller remembers ended jobs for MinJobAge), else one sacct call where accounting is
 * configured; a task neither knows is missing.
 */
export async function finishedTasks(jobId: string): Promise<Map<number, FinishedTask>> {
  const ended = new Map<number, FinishedTask>();
  const c = await run('scontrol', ['show', 'job', '-o', jobId]);
  if (c.code === 0)
    for (const line of c.stdout.split('\n')) {
      const field = (name: string): string | null => new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(line)?.[1] ?? null;
      const task = field('ArrayTaskId');
      const state = field('JobState');
      // a pending remainder reads ArrayTaskId=3-5: those are squeue's to report
      if (field('ArrayJobId') === jobId && task && /^\d+$/.test(task) && state) ended.set(Number(task), { state, exitCode: field('ExitCode'), reason: field('Reason') });
    }
  if (ended.size > 0 || !findOnPath('sacct')) return ended;
  const a = await run('sacct', ['-n', '-P', '-X', '-j', jobId, '-o', 'JobID,State,ExitCode']);
  if (a.code !== 0) return ended;
  for (const line of a.stdout.split('\n')) {
    const [id, state, exitCode] = line.trim().split('|');
    const task = new RegExp(`^${jobId}_(\\d+)$`).exec(id ?? '')?.[1];
    if (task !== undefined && state) ended.set(Number(task), { state, exitCode: exitCode || null, reason: null });
  }
  return ended;
}
