// Which files the app's page (Electron IPC, `bild-bench serve`) may make the engine read: those
// in the app's own folders and in folders the user allowed. The CLI is not confined.
import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { defaultHubCacheDir } from '../engine/hub/settings';
import { appHome, resourcesDir } from '../engine/paths';
import { appSettingsPath, readAppSettings } from './app-settings';

/** The app's home, the Hugging Face cache, the embedded demo models and data, settings.json's `allowedFolders`, then `extra`. */
export function allowedFolders(extra: readonly string[]): string[] {
  return [...new Set([appHome(), defaultHubCacheDir(), resourcesDir(), ...readAppSettings().allowedFolders, ...extra].map((f) => resolve(f)))];
}

/**
 * Where `path` really is, every symlink resolved as the kernel would when opening it. A path that
 * does not exist (or cannot be read) resolves through its nearest existing ancestor, so that it
 * is judged, and refused, exactly like an existing one.
 */
function realLocation(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    const abs = resolve(path);
    const parent = dirname(abs);
    return parent === abs ? abs : join(realLocation(parent), basename(abs));
  }
}

function within(folder: string, path: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/** Why `path` may not be read, or undefined when it lies in one of `folders`; the reply is the same whether or not it exists. */
export function pathRefusal(path: string, folders: readonly string[]): string | undefined {
  const real = realLocation(path);
  if (folders.some((f) => within(realLocation(f), real))) return undefined;
  return `'${path}': not in a folder this app may read (allowed: ${folders.join(', ')}; add one to "allowedFolders" in ${appSettingsPath()}, or start bild-bench serve with --allow DIR)`;
}
