import { statfs } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../errors';
import { formatBytes } from './format';

/** Free bytes for an unprivileged user on the file system holding `dir` (or its nearest parent). */
export async function freeBytes(dir: string): Promise<number> {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  const s = await statfs(d);
  return Number(s.bavail) * Number(s.bsize);
}

/** Throws a UserError when `needed` bytes (plus a small margin) do not fit in `dir`. */
export async function ensureFreeSpace(dir: string, needed: number): Promise<void> {
  if (needed <= 0) return;
  const free = await freeBytes(dir);
  const margin = Math.min(64 * 1024 * 1024, Math.ceil(needed * 0.01));
  if (free < needed + margin)
    throw new UserError(
      `not enough free disk space in ${dir}: the download needs ${formatBytes(needed)}, ${formatBytes(free)} are free`,
    );
}
