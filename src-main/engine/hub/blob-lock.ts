// One writer per blob: `<blob>.lock` holds the writer's token (`<pid> <random>`). Two downloads of
// the same file (the app's Models tab and a run that needs the model, or the CLI beside the app)
// would otherwise append to the same `.incomplete` file. The holder touches the lock while it
// holds it; a lock whose process is gone, or that nobody touched for a while (its pid reused by
// an unrelated process), is taken over.
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { processAlive } from '../process-alive';
import { sleep } from './http';

/** How often a waiting download looks at the lock again. */
const POLL_MS = 200;
/** How often the holder touches its lock, and after how long an untouched lock counts as abandoned. */
const HEARTBEAT_MS = 10_000;
const ABANDONED_MS = 60_000;

/** Locks this process holds (token by path): released on exit too, e.g. after a second Ctrl-C. */
const held = new Map<string, string>();
process.once('exit', () => {
  for (const lock of held.keys()) rmSync(lock, { force: true });
});

function read(lock: string): string | undefined {
  try {
    return readFileSync(lock, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether the lock with this token is abandoned: its process is gone, or is this one but without it, or it was not touched for ABANDONED_MS. */
function abandoned(lock: string, token: string): boolean {
  const pid = Number(token.split(' ')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return held.get(lock) !== token; // left by an earlier process with this pid
  if (!processAlive(pid)) return true;
  const touched = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
  return touched !== undefined && Date.now() - touched > ABANDONED_MS;
}

/** Creates the lock with its content in one step (a reader never sees it empty); false when it exists. */
function tryCreate(lock: string, token: string): boolean {
  const tmp = `${lock}.${token.replace(' ', '-')}.tmp`;
  writeFileSync(tmp, token);
  try {
    linkSync(tmp, lock);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Moves an abandoned lock out of the way, unless another waiter replaced it meanwhile. */
function takeOver(lock: string, stale: string): void {
  const aside = `${lock}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // someone else moved it
  }
  // a waiter that took it over first may already have put its own lock there: give it back
  if (read(aside) !== stale) {
    try {
      linkSync(aside, lock);
    } catch {
      /* the path was taken again: that holder wins */
    }
  }
  rmSync(aside, { force: true });
}

/** Waits until this process holds `<blob>.lock`; returns its release. Rejects with the signal's reason when aborted while waiting. */
export async function lockBlob(blobFile: string, signal: AbortSignal): Promise<() => void> {
  const lock = `${blobFile}.lock`;
  const token = `${process.pid} ${randomBytes(6).toString('hex')}`;
  for (;;) {
    if (tryCreate(lock, token)) break;
    const current = read(lock);
    if (current !== undefined && abandoned(lock, current)) takeOver(lock, current);
    else await sleep(POLL_MS, signal);
  }
  held.set(lock, token);
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      if (read(lock) === token) utimesSync(lock, now, now);
    } catch {
      /* gone meanwhile: the next waiter creates a new one */
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return () => {
    clearInterval(heartbeat);
    held.delete(lock);
    if (read(lock) === token) rmSync(lock, { force: true }); // never another holder's lock
  };
}
