// Write-then-rename, so that a reader (or a crash) never sees half a file.
import { renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';

let writes = 0;
/** Unique per write: two writes of one file in one process (two exports hashing at once) must not share it. */
const tmpOf = (path: string): string => `${path}.${process.pid}.${writes++}.tmp`;

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = tmpOf(path);
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export function writeFileAtomicSync(path: string, data: string): void {
  const tmp = tmpOf(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
