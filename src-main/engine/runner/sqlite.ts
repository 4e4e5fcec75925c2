/**
 * Node's built-in SQLite (node:sqlite), the history's driver: part of Node and of Electron's Node,
 * so unlike a native addon it loads under any Node ABI that has it (Node >= 22.13, Electron >= 37).
 */
import type { DatabaseSync } from 'node:sqlite';
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

export function openDatabase(path: string): DatabaseSync {
  return new (load().DatabaseSync)(path);
}
