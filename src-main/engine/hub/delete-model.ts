import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { UserError } from '../errors';
import { repoCache } from './cache-layout';
import { isRepoId } from './model-download';
import { findCatalogModel } from './models';
import { hubSettings, type HubOptions } from './settings';

/** The Hub repo a catalog name or Hub id downloads into; undefined for local and embedded models (and anything else). */
export function hubRepoOf(model: string): string | undefined {
  const entry = findCatalogModel(model);
  if (entry) return entry.source.kind === 'hub' ? entry.source.repo : undefined;
  return isRepoId(model) ? model : undefined;
}

/**
 * Removes a downloaded Hub model's own cache folder (models--owner--name), all revisions. Only a
 * catalog name or a validated Hub id names the folder, so no request can point it at another path.
 */
export async function deleteCachedModel(model: string, opts: HubOptions = {}): Promise<void> {
  const repo = hubRepoOf(model);
  if (!repo) throw new UserError(`'${model}' is not a Hub model: only downloaded Hub models can be deleted`);
  const { root } = repoCache(hubSettings(opts).cacheDir, 'model', repo);
  if (!existsSync(root)) throw new UserError(`'${model}' is not downloaded`);
  await rm(root, { recursive: true, force: true });
}
