// The app's own settings file, <appHome>/settings.json. Only the user changes it: by hand, or by
// picking a file in the desktop app's native dialog (the main process adds its folder). No request
// from the page writes it, so what it allows, the page cannot widen.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomicSync } from '../engine/atomic-write';
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
  return { allowedFolders: allowedList(readSettingsObject()) };
}

/** Adds `folder` to `allowedFolders` (kept once), leaving the file's other settings as they are. */
export function allowFolder(folder: string): void {
  const settings = readSettingsObject();
  const folders = allowedList(settings);
  const abs = resolve(folder);
  if (folders.includes(abs)) return;
  mkdirSync(dirname(appSettingsPath()), { recursive: true });
  writeFileAtomicSync(appSettingsPath(), JSON.stringify({ ...settings, allowedFolders: [...folders, abs] }, null, 2) + '\n');
}

function allowedList(settings: Record<string, unknown>): string[] {
  const folders = settings.allowedFolders ?? [];
  if (!Array.isArray(folders) || !folders.every((f): f is string => typeof f === 'string' && isAbsolute(f)))
    throw new UserError(`${appSettingsPath()}: "allowedFolders" must be a list of absolute folder paths`);
  return folders;
}

function readSettingsObject(): Record<string, unknown> {
  const file = appSettingsPath();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UserError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UserError(`${file}: must hold a JSON object`);
  return parsed as Record<string, unknown>;
}
