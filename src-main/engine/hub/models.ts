import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { builtinGroups, builtinModels, type CatalogGroup, type CatalogModel, type ModelSource } from './catalog';
import { isRepoId, type ModelDownloadOptions } from './model-download';
import { modelStatus, obtainModel, type LocalModel, type ModelState } from './sources';
import { readUserModels, writeUserModels } from './user-catalog';

export interface ResolveModelOptions extends ModelDownloadOptions {
  /** false: only what is on disk (default true) */
  allowDownload?: boolean;
}

export interface ResolvedModel extends LocalModel {
  /** the catalog name, when the reference was one */
  name?: string;
}

export interface CatalogListing {
  groups: CatalogGroup[];
  user: CatalogModel[];
}

export function listCatalog(): CatalogListing {
  return { groups: builtinGroups(), user: readUserModels() };
}

export function allCatalogModels(): CatalogModel[] {
  return [...builtinModels(), ...readUserModels()];
}

export function findCatalogModel(name: string): CatalogModel | undefined {
  return allCatalogModels().find((m) => m.name === name);
}

export function findCatalogGroup(name: string): CatalogGroup | undefined {
  return builtinGroups().find((g) => g.name === name);
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

function looksLikePath(ref: string): boolean {
  return isAbsolute(ref) || ref.startsWith('.') || ref.startsWith('~') || ref.includes('\\');
}

/**
 * What a reference names: a catalog entry, a local folder or a Hub repository id (in this order;
 * a path that starts with ./, ../, / or ~ is always a folder).
 */
export function parseModelRef(ref: string): { name?: string; source: ModelSource } {
  const trimmed = ref.trim();
  if (trimmed === '') throw new UserError('empty model reference');
  if (!looksLikePath(trimmed)) {
    const entry = findCatalogModel(trimmed);
    if (entry) return { name: entry.name, source: entry.source };
  }
  const asPath = resolve(expandHome(trimmed));
  if (looksLikePath(trimmed) || statSync(asPath, { throwIfNoEntry: false })?.isDirectory())
    return { source: { kind: 'local', path: asPath } };
  if (isRepoId(trimmed)) return { source: { kind: 'hub', repo: trimmed } };
  throw new UserError(`'${ref}' is neither a catalog name, a folder nor a Hugging Face repository id (org/name)`);
}

/** Resolves `<repo-id | catalog-name | local path>` to a local model folder, downloading when needed and allowed. */
export async function resolveModel(ref: string, opts: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const { name, source } = parseModelRef(ref);
  const local = await obtainModel(source, opts);
  return { ...local, name };
}

export interface ModelListEntry {
  name: string;
  group?: string;
  role: CatalogModel['role'];
  source: ModelSource;
  description?: string;
  userAdded: boolean;
  disk: ModelState;
}

/** Every catalog model with what is on disk (no network). */
export function listModelsOnDisk(opts: ModelDownloadOptions = {}): ModelListEntry[] {
  const { groups, user } = listCatalog();
  const rows: ModelListEntry[] = [];
  for (const g of groups)
    for (const m of g.models)
      rows.push({ name: m.name, group: g.name, role: m.role, source: m.source, description: m.description, userAdded: false, disk: modelStatus(m.source, opts) });
  for (const m of user)
    rows.push({ name: m.name, role: m.role, source: m.source, description: m.description, userAdded: true, disk: modelStatus(m.source, opts) });
  return rows;
}

/** Adds a Hub repo id or a local folder to the user's catalog under `name` (default: derived from the ref). */
export async function addUserModel(ref: string, name?: string, revision?: string): Promise<CatalogModel> {
  const { source: parsed, name: existing } = parseModelRef(ref);
  if (existing) throw new UserError(`'${ref}' is already in the catalog`);
  const source: ModelSource = parsed.kind === 'hub' && revision ? { ...parsed, revision } : parsed;
  const entryName = name ?? (source.kind === 'hub' ? source.repo : `local/${basename(source.path)}`);
  if (!/^[\w.@-]+(\/[\w.@-]+)*$/.test(entryName)) throw new UserError(`invalid catalog name '${entryName}'`);
  if (findCatalogModel(entryName)) throw new UserError(`the catalog already has a model named '${entryName}'`);
  const entry: CatalogModel = { name: entryName, role: 'custom', source, userAdded: true };
  await writeUserModels([...readUserModels(), entry]);
  return entry;
}

export async function removeUserModel(name: string): Promise<void> {
  const user = readUserModels();
  if (!user.some((m) => m.name === name)) {
    if (findCatalogModel(name)) throw new UserError(`'${name}' is a built-in catalog entry and cannot be removed`);
    throw new UserError(`no user-added model named '${name}'`);
  }
  await writeUserModels(user.filter((m) => m.name !== name));
}
