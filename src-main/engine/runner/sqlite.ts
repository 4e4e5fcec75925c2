/**
 * Node's built-in SQLite (node:sqlite), the history's driver: part of Node and of Electron's Node,
 * so unlike a native addon it loads under any Node ABI that has it (Node >= 22.13, Electron >= 37).
 */
import type { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors';

type Sqlite = typeof import('node:sqlite');
let sqlite: Sqlite | undefined;

function load(): Sqlite {
  if (sqlite) return sqlite;
  const emit = process.emitWarning;
  // Node 22 announces node:sqlite as experimental each time a process loads it; the user can do
  // nothing about it, and it would sit in the middle of the CLI's output.
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (!String(warning).startsWith('SQLite is an experimental feature')) (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    sqlite = process.getBuiltinModule?.('node:sqlite');
  } finally {
    process.emitWarning = emit;
  }
  if (!sqlite) throw new UserError(`the run history needs Node.js >= 22.13 (node:sqlite); this is Node.js ${process.versions.node}`);
  return sqlite;
}

/**
 * How a history is opened: `write`, the usual; `read`, read-only but with its WAL (which needs
 * the -shm file: fine on a read-only or full disk only when a crashed writer left a full one);
 * `snapshot`, SQLite's immutable mode, the main file as it stands (no lock, no -shm or -wal
 * file: opens on a read-only mount or a full disk; complete after a clean close, which folds the
 * WAL into the main file).
 */
export type OpenMode = 'write' | 'read' | 'snapshot';

export function openDatabase(path: string, mode: OpenMode = 'write'): DatabaseSync {
  const { DatabaseSync } = load();
  if (mode === 'snapshot') return new DatabaseSync(`${pathToFileURL(path).href}?immutable=1`, { readOnly: true });
  return new DatabaseSync(path, { readOnly: mode === 'read' });
}
