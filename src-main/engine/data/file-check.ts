import { statSync } from 'node:fs';
import { UserError } from '../errors';

/** Fails with a clear message when `path` is missing, a folder, or empty. */
export function checkDataFile(path: string): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new UserError(`${path}: file not found`);
  if (!st.isFile()) throw new UserError(`${path}: not a file`);
  if (st.size === 0) throw new UserError(`${path}: empty file`);
}

export function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}
