import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors';
import { repoCache } from './cache-layout';
import { isRepoId } from './model-download';
import { findCatalogModel } from './models';
import { hubSettings, type HubOptions } from './settings';

/** A valid Hub id without `--`: the cache folder models--owner--name would otherwise be another id's (a--b and a/b share it). */
const ownsItsFolder = (repo: string): boolean => isRepoId(repo) && !repo.includes('--');

/** The Hub repo a catalog name or Hub id downloads into; undefined for local and embedded models (and anything else). */
export function hubRepoOf(model: string): string | undefined {
  const entry = findCatalogModel(model);
  const repo = entry ? (entry.source.kind === 'hub' ? entry.source.repo : undefined) : model;
  return repo !== undefined && ownsItsFolder(repo) ? repo : undefined;
}

/** Two names for one cache folder: file systems that ignore case (macOS, Windows) make Org/Name and org/name one. */
export const sameRepo = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * Removes a downloaded Hub model's own cache folder (models--owner--name), all revisions. Only a
 * catalog name or a validated Hub id names the folder, so no request can point it at another path.
 */
export async function deleteCachedModel(model: string, opts: HubOptions = {}): Promise<void> {
  const repo = hubRepoOf(model);
  if (!repo) throw new UserError(`'${model}' is not a Hub model: only downloaded Hub models can be deleted`);
  const cacheDir = resolve(hubSettings(opts).cacheDir);
  const { root } = repoCache(cacheDir, 'model', repo);
  if (dirname(root) !== cacheDir) throw new UserError(`'${model}' is not a Hub model: only downloaded Hub models can be deleted`); // a catalog entry edited by hand
  if (!existsSync(root)) throw new UserError(`'${model}' is not downloaded`);
  await rm(root, { recursive: true, force: true });
}
