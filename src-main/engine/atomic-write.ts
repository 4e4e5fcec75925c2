// Write-then-rename, so that a reader (or a crash) never sees half a file.
import { renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';

const tmpOf = (path: string): string => `${path}.${process.pid}.tmp`;

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  await writeFile(tmpOf(path), data);
  await rename(tmpOf(path), path);
}

export function writeFileAtomicSync(path: string, data: string): void {
  writeFileSync(tmpOf(path), data);
  renameSync(tmpOf(path), path);
}
