// Write-then-rename, so that a reader (or a crash) never sees half a file; a write that fails
// (disk full, read-only) removes its temporary file instead of leaving a 0-byte or partial one.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';

let writes = 0;
/** Unique per write: two writes of one file in one process (two exports hashing at once) must not share it. */
const tmpOf = (path: string): string => `${path}.${process.pid}.${writes++}.tmp`;

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = tmpOf(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

export function writeFileAtomicSync(path: string, data: string): void {
  const tmp = tmpOf(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the write's own error says more
    }
    throw err;
  }
}
