// One writer per blob: `<blob>.lock`, created exclusively, holds the writer's pid. Two downloads of
// the same file (the app's Models tab and a run that needs the model, or the CLI beside the app)
// would otherwise append to the same `.incomplete` file. A lock whose process is gone is taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { sleep } from './http';

/** How often a waiting download looks at the lock again. */
const POLL_MS = 200;

function holderAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, 'utf8'));
  } catch {
    return false; // gone meanwhile
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/** Waits until this process holds `<blob>.lock`; returns its release. Rejects with the signal's reason when aborted while waiting. */
export async function lockBlob(blobFile: string, signal: AbortSignal): Promise<() => void> {
  const lock = `${blobFile}.lock`;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => rmSync(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!holderAlive(lock)) {
      rmSync(lock, { force: true });
      continue;
    }
    await sleep(POLL_MS, signal);
  }
}
