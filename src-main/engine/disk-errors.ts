/** Local file-system failures in words: retrying cannot help, and they are the user's to fix (make room, pick another folder). */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from './errors';

const DISK_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file',
  EISDIR: 'it is a folder',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'an input/output error on the device',
};

/** `err` in words with its code ("no space left on the device (ENOSPC)") when it is a local file-system failure. */
export function diskErrorReason(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const why = code === undefined ? undefined : DISK_ERRORS[code];
  return why && `${why} (${code})`;
}

/** A UserError "cannot write 'path': reason[; advice]" when `err` is a local file-system failure. */
export function diskError(err: unknown, path: string, advice = ''): UserError | undefined {
  const why = diskErrorReason(err);
  return why ? new UserError(`cannot write '${path}': ${why}${advice && `; ${advice}`}`) : undefined;
}

/** Runs `write`; a local file-system failure becomes a user error naming `path` (see diskError). */
export function writingTo<T>(path: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    throw diskError(err, path) ?? err;
  }
}

/**
 * Why folder `dir` could not be made or written, checked on it or on its nearest existing
 * parent without making anything; undefined when it can. `access` reports EROFS on a read-only
 * mount even for root (who passes every permission check).
 */
export function unwritableFolderReason(dir: string): string | undefined {
  let existing = dir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  if (!statSync(existing).isDirectory()) return 'a file is in the way';
  try {
    accessSync(existing, constants.W_OK);
    return undefined;
  } catch (err) {
    return diskErrorReason(err) ?? (err as Error).message;
  }
}
