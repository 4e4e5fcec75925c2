/**
 * One collect or resubmit at a time per job folder: two would record the job twice or submit its
 * failed tasks twice. The lock is a file created exclusively (O_EXCL) in the job folder, naming
 * its holder; one left by a process that died on this host is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writingTo } from '../disk-errors';
import { UserError } from '../errors';

export const LOCK_FILE = 'job.lock';

interface LockHolder {
  pid: number;
  hostname: string;
  what: string;
  at: string;
}

function readHolder(path: string): LockHolder | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return null; // being written, or already removed
  }
}

/** Whether the holder is a process of this host that no longer exists (another host's cannot be checked). */
function deadHere(h: LockHolder): boolean {
  if (h.hostname !== hostname() || !Number.isInteger(h.pid) || h.pid <= 0) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function tryCreate(path: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Runs `fn` holding the job folder's lock; refused while another collect or resubmit holds it. */
export async function withJobLock<T>(folder: string, what: string, fn: () => Promise<T>): Promise<T> {
  const path = join(folder, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, hostname: hostname(), what, at: new Date().toISOString() };
  const take = (): boolean => writingTo(path, () => tryCreate(path, me));
  if (!take()) {
    const holder = readHolder(path);
    if (!holder || !deadHere(holder))
      throw new UserError(
        `job ${folder} is busy: ${holder ? `a ${holder.what} (process ${holder.pid} on ${holder.hostname}, since ${holder.at})` : 'another collect or resubmit'} holds ${path}; wait for it to end, or delete that file if no such process is running`,
      );
    // its holder died without removing it (two processes taking the same stale lock at the very same moment are not told apart)
    rmSync(path, { force: true });
    if (!take()) throw new UserError(`job ${folder} is busy: another collect or resubmit took ${path} just now`);
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
