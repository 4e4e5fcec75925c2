// Where an export may be written: `--out DIR` is replaced whole, so it must not be the checkpoint,
// hold it, or be a folder of something else; and what interrupted exports left behind.
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { UserError } from '../errors';
import { processAlive } from '../process-alive';

/** Refuses an output folder whose replacement would delete the checkpoint or files that are not an earlier export (`isExport`). */
export function checkOutDir(outDir: string, checkpointDir: string, isExport: (dir: string) => boolean): void {
  const out = resolve(outDir);
  const rel = relative(out, resolve(checkpointDir));
  if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep)))
    throw new UserError(`--out: '${outDir}' is or holds the checkpoint folder; the export replaces that folder whole`);
  const st = statSync(out, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) throw new UserError(`--out: '${outDir}' is a file, not a folder`);
  if (readdirSync(out).length > 0 && !isExport(out))
    throw new UserError(`--out: '${outDir}' is a folder with other files in it (not an earlier export); give a new or empty folder`);
}

/** The temporary folder an export writes before renaming it to `outDir` (unique: two exports may start in one millisecond). */
export const partialDir = (outDir: string): string => `${outDir}.partial-${process.pid}-${Date.now()}-${randomBytes(3).toString('hex')}`;

/** Removes the temporary folders in `root` of exports whose process is gone (killed mid-export). */
export function sweepPartials(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /\.partial-(\d+)-\d+-[0-9a-f]+$/.exec(name);
    if (m && !processAlive(Number(m[1]))) rmSync(join(root, name), { recursive: true, force: true });
  }
}
