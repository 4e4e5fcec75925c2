// The app's own settings file, <appHome>/settings.json. Only the user edits it (no request
// writes it), so what it allows, the page it serves cannot widen.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { UserError } from '../engine/errors';
import { appHome } from '../engine/paths';

export interface AppSettings {
  /** Folders beyond the app's own whose files the app's page may name (absolute paths). */
  allowedFolders: string[];
}

export function appSettingsPath(): string {
  return join(appHome(), 'settings.json');
}

/** Read on each use, so that an edit applies without a restart; a missing file means the defaults. */
export function readAppSettings(): AppSettings {
  const file = appSettingsPath();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { allowedFolders: [] };
    throw new UserError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const folders = (parsed as { allowedFolders?: unknown } | null)?.allowedFolders ?? [];
  if (!Array.isArray(folders) || !folders.every((f): f is string => typeof f === 'string' && isAbsolute(f)))
    throw new UserError(`${file}: "allowedFolders" must be a list of absolute folder paths`);
  return { allowedFolders: folders };
}
