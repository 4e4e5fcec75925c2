import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { writeFileAtomicSync } from '../atomic-write';
import { UserError } from '../errors';
import { HubApi, type RepoFile } from './api';
import { readCachedRef, repoCache, snapshotDir, writeRef } from './cache-layout';
import { HubNetworkError } from './http';
import { controllerFor, downloadRepoFiles, type DownloadOptions } from './repo-download';
import { hubSettings, type HubOptions, type HubSettings } from './settings';

/** The branch where the Hub keeps its automatic parquet conversion of a dataset. */
export const PARQUET_REVISION = 'refs/convert/parquet';

export interface DatasetParquetRequest {
  /** e.g. IWSLT/iwslt2017 */
  dataset: string;
  /** e.g. iwslt2017-de-en; "default" for datasets without configs */
  config: string;
  /** e.g. validation */
  split: string;
  /** default refs/convert/parquet */
  revision?: string;
}

export interface DatasetParquetOptions extends HubOptions, DownloadOptions {}

export interface DatasetParquetFiles {
  /** local paths (snapshot links) in row order */
  files: string[];
  commit: string;
}

/**
 * Whether a path of the parquet branch belongs to config/split. The converter writes
 * `<config>/<split>/NNNN.parquet` (or `<config>/partial-<split>/...` for large splits cut short);
 * older conversions wrote `<config>/<name>-<split>[-NNNNN-of-NNNNN].parquet`.
 */
export function isSplitParquet(path: string, config: string, split: string): boolean {
  if (!path.endsWith('.parquet') || !path.startsWith(`${config}/`)) return false;
  const rest = path.slice(config.length + 1);
  const parts = rest.split('/');
  if (parts.length === 2) return parts[0] === split || parts[0] === `partial-${split}`;
  if (parts.length === 1) return new RegExp(`-${split.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(-\\d{5}-of-\\d{5})?\\.parquet$`).test(parts[0]);
  return false;
}

function byNaturalPath(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Our note that every file of a split was downloaded at a commit: the cache alone cannot tell a
 * finished split from one whose download was interrupted after a few of its shards. Beside the
 * repository's blobs/refs/snapshots, which Hugging Face's tools leave alone.
 */
function splitRecord(settings: HubSettings, req: DatasetParquetRequest, commit: string): string {
  return join(repoCache(settings.cacheDir, 'dataset', req.dataset).root, '.bild-bench-splits', commit, req.config, `${req.split}.json`);
}

function recordSplit(settings: HubSettings, req: DatasetParquetRequest, commit: string, files: string[]): void {
  const record = splitRecord(settings, req, commit);
  const root = snapshotDir(repoCache(settings.cacheDir, 'dataset', req.dataset), commit);
  mkdirSync(join(record, '..'), { recursive: true });
  writeFileAtomicSync(record, JSON.stringify({ files: files.map((f) => relative(root, f).split(sep).join('/')) }));
}

/** The cached files of a split, or why there are none to use: `missing`, or `incomplete` (no record of a finished download, or a recorded file gone). */
function cachedSplitFiles(settings: HubSettings, req: DatasetParquetRequest, revision: string): DatasetParquetFiles | 'missing' | 'incomplete' {
  const rc = repoCache(settings.cacheDir, 'dataset', req.dataset);
  const commit = readCachedRef(rc, revision);
  if (!commit) return 'missing';
  const root = snapshotDir(rc, commit);
  if (splitFilesIn(root, req).length === 0) return 'missing';
  let recorded: string[];
  try {
    recorded = (JSON.parse(readFileSync(splitRecord(settings, req, commit), 'utf8')) as { files: string[] }).files;
  } catch {
    return 'incomplete';
  }
  if (!recorded.every((f) => existsSync(join(root, f)))) return 'incomplete';
  return { files: recorded.map((f) => join(root, f)), commit };
}

function splitFilesIn(root: string, req: DatasetParquetRequest): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) walk(p);
      else if (isSplitParquet(relative(root, p).split(sep).join('/'), req.config, req.split)) found.push(p);
    }
  };
  try {
    walk(join(root, req.config));
  } catch {
    return [];
  }
  return found.sort(byNaturalPath);
}

function notCachedError(settings: HubSettings, req: DatasetParquetRequest, why: 'missing' | 'incomplete', because: string): UserError {
  const what = `dataset ${req.dataset} (${req.config}/${req.split})`;
  return new UserError(
    why === 'missing'
      ? `${what} is not in the Hugging Face cache at ${settings.cacheDir} and ${because}`
      : `the cached copy of ${what} at ${settings.cacheDir} may lack some of its files (its download did not finish, or another tool made it) and ${because}: run once with the Hub reachable to complete it`,
  );
}

async function missingSplitError(api: HubApi, req: DatasetParquetRequest, signal: AbortSignal): Promise<UserError> {
  let available = '';
  try {
    const index = await api.parquetIndex(req.dataset, signal);
    available = Object.entries(index)
      .flatMap(([c, splits]) => Object.keys(splits).map((s) => `${c}/${s}`))
      .sort()
      .join(', ');
  } catch {
    /* the listing is only for the message */
  }
  return new UserError(
    `dataset ${req.dataset} has no parquet files for config '${req.config}' split '${req.split}'` +
      (available ? ` (available: ${available})` : ''),
  );
}

/**
 * Downloads the Hub's parquet conversion of one dataset split into the Hugging Face cache
 * (datasets--org--name/...) and returns the local files. The file names come from the Hub's
 * listing of the parquet branch, never from a guess.
 */
export async function fetchDatasetParquet(
  req: DatasetParquetRequest,
  opts: DatasetParquetOptions = {},
): Promise<DatasetParquetFiles> {
  const settings = hubSettings(opts);
  const revision = req.revision ?? PARQUET_REVISION;
  const emit = opts.onProgress ?? (() => undefined);
  if (settings.offline) {
    const cached = cachedSplitFiles(settings, req, revision);
    if (typeof cached === 'string') throw notCachedError(settings, req, cached, 'offline mode is on');
    return cached;
  }
  const { control, done } = controllerFor(opts);
  try {
    const api = new HubApi(settings, (info) => emit({ type: 'retry', ...info }));
    let commit: string;
    try {
      commit = await api.resolveRevision('dataset', req.dataset, revision, control.signal);
    } catch (err) {
      if (!(err instanceof HubNetworkError)) throw err;
      const cached = cachedSplitFiles(settings, req, revision);
      if (cached === 'missing') throw err;
      if (cached === 'incomplete') throw notCachedError(settings, req, cached, `the Hub is unreachable (${err.message})`);
      emit({ type: 'offline', reason: err.message });
      return cached;
    }
    let listing: RepoFile[];
    try {
      listing = await api.listFiles('dataset', req.dataset, commit, req.config, control.signal);
    } catch (err) {
      if (err instanceof UserError && !(err instanceof HubNetworkError)) throw await missingSplitError(api, req, control.signal);
      throw err;
    }
    const files = listing.filter((f) => isSplitParquet(f.path, req.config, req.split)).sort((a, b) => byNaturalPath(a.path, b.path));
    if (files.length === 0) throw await missingSplitError(api, req, control.signal);
    const local = await downloadRepoFiles(
      settings,
      { repoType: 'dataset', repoId: req.dataset, commit, files },
      { ...opts, controller: control },
    );
    recordSplit(settings, req, commit, local);
    await writeRef(repoCache(settings.cacheDir, 'dataset', req.dataset), revision, commit);
    return { files: local, commit };
  } finally {
    done();
  }
}
