import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { HubApi } from './api';
import { fileExists, readCachedRef, repoCache, snapshotDir, writeRef } from './cache-layout';
import { abortReason, HubNetworkError } from './http';
import { folderHasModel, selectModelFiles, shardsFromIndex } from './model-files';
import { controllerFor, downloadRepoFiles, type DownloadOptions } from './repo-download';
import { hubSettings, type HubOptions, type HubSettings } from './settings';

export interface ModelDownloadOptions extends HubOptions, DownloadOptions {
  /** branch, tag or commit (default main) */
  revision?: string;
}

export interface ModelSnapshot {
  repo: string;
  commit: string;
  /** snapshots/<commit>: a folder transformers and huggingface_hub read as is */
  folder: string;
  /** false when the cache was used without asking the Hub (offline) */
  checkedOnline: boolean;
}

const REPO_ID_RE = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

export function isRepoId(s: string): boolean {
  return REPO_ID_RE.test(s) && !s.includes('..') && !s.endsWith('.');
}

/** A model already in the Hugging Face cache at `revision`, found without the network. */
export function findCachedModel(repoId: string, revision = 'main', opts: HubOptions = {}): ModelSnapshot | undefined {
  const settings = hubSettings(opts);
  const rc = repoCache(settings.cacheDir, 'model', repoId);
  const commit = readCachedRef(rc, revision);
  if (!commit) return undefined;
  const folder = snapshotDir(rc, commit);
  const ok = folderHasModel(
    (n) => fileExists(join(folder, n)),
    (n) => readFileSync(join(folder, n), 'utf8'),
  );
  return ok ? { repo: repoId, commit, folder, checkedOnline: false } : undefined;
}

function offlineMiss(settings: HubSettings, repoId: string, revision: string, why: string): UserError {
  return new UserError(
    `${repoId}@${revision} is not in the Hugging Face cache at ${settings.cacheDir} and ${why}`,
  );
}

/**
 * Makes a model available locally: resolves the revision to a commit, lists the repository,
 * fetches config, tokenizer and weights (never training leftovers) into the Hugging Face cache
 * and returns the snapshot folder. Offline (or with the Hub unreachable) the cache is used.
 */
export async function downloadModel(repoId: string, opts: ModelDownloadOptions = {}): Promise<ModelSnapshot> {
  if (!isRepoId(repoId)) throw new UserError(`'${repoId}' is not a Hugging Face repository id (org/name)`);
  const settings = hubSettings(opts);
  const revision = opts.revision ?? 'main';
  const emit = opts.onProgress ?? (() => undefined);
  if (settings.offline) {
    const cached = findCachedModel(repoId, revision, opts);
    if (!cached) throw offlineMiss(settings, repoId, revision, 'offline mode is on (HF_HUB_OFFLINE / --offline)');
    emit({ type: 'done', folder: cached.folder, commit: cached.commit });
    return cached;
  }
  const { control, done } = controllerFor(opts);
  try {
    const api = new HubApi(settings, (info) => emit({ type: 'retry', ...info }));
    let commit: string;
    try {
      commit = await api.resolveRevision('model', repoId, revision, control.signal);
    } catch (err) {
      if (!(err instanceof HubNetworkError) || control.signal.aborted) throw err;
      const cached = findCachedModel(repoId, revision, opts);
      if (!cached) throw err;
      emit({ type: 'offline', reason: err.message });
      emit({ type: 'done', folder: cached.folder, commit: cached.commit });
      return cached;
    }
    const listing = await api.listFiles('model', repoId, commit, '', control.signal);
    const sel = selectModelFiles(listing);
    if ('missing' in sel) throw new UserError(`${repoId}@${revision} has no ${sel.missing}: it is not a model bild-bench can use`);
    let files = sel.files;
    const dl = { ...opts, controller: control };
    if (sel.weightIndex) {
      const [indexPath] = await downloadRepoFiles(
        settings,
        { repoType: 'model', repoId, commit, files: [sel.weightIndex] },
        dl,
      );
      files = [...files, sel.weightIndex, ...shardsFromIndex(readFileSync(indexPath, 'utf8'), listing, sel.weightIndex.path)];
    }
    await downloadRepoFiles(settings, { repoType: 'model', repoId, commit, files }, dl);
    const rc = repoCache(settings.cacheDir, 'model', repoId);
    await writeRef(rc, revision, commit);
    const folder = snapshotDir(rc, commit);
    emit({ type: 'done', folder, commit });
    return { repo: repoId, commit, folder, checkedOnline: true };
  } catch (err) {
    // Once cancelled, whatever a request threw (an AbortError, a reset connection) means "cancelled".
    if (control.signal.aborted) throw abortReason(control.signal);
    throw err;
  } finally {
    done();
  }
}
