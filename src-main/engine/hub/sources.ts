import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import type { ModelSource } from './catalog';
import { snapshotBytes } from './cache-layout';
import { downloadModel, findCachedModel, type ModelDownloadOptions } from './model-download';
import { folderHasModel } from './model-files';

/** A model that is on disk and ready to load. */
export interface LocalModel {
  folder: string;
  source: ModelSource;
  /** the Hub commit, for Hub models */
  commit?: string;
}

/** What is on disk for a source, without the network. */
export type ModelState =
  | { state: 'embedded' | 'local'; folder: string; bytes: number }
  | { state: 'cached'; folder: string; commit: string; bytes: number }
  | { state: 'not-downloaded' }
  | { state: 'missing'; reason: string };

/** One kind of model source: where its files are and how to get them. */
export interface ModelBackend<S extends ModelSource> {
  status(source: S, opts: ModelDownloadOptions): ModelState;
  obtain(source: S, opts: ModelDownloadOptions & { allowDownload?: boolean }): Promise<LocalModel>;
}

export function localFolderHasModel(folder: string): boolean {
  return folderHasModel(
    (n) => existsSync(join(folder, n)),
    (n) => readFileSync(join(folder, n), 'utf8'),
  );
}

type LocalSource = Extract<ModelSource, { kind: 'local' }>;
type HubSource = Extract<ModelSource, { kind: 'hub' }>;

export const localBackend: ModelBackend<LocalSource> = {
  status(source) {
    if (!statSync(source.path, { throwIfNoEntry: false })?.isDirectory())
      return { state: 'missing', reason: `folder ${source.path} does not exist` };
    if (!localFolderHasModel(source.path))
      return { state: 'missing', reason: `${source.path} has no config.json and model weights` };
    return { state: source.embedded ? 'embedded' : 'local', folder: source.path, bytes: snapshotBytes(source.path) };
  },
  async obtain(source, opts) {
    const s = this.status(source, opts);
    if (s.state === 'missing') throw new UserError(s.reason);
    return { folder: source.path, source };
  },
};

export const hubBackend: ModelBackend<HubSource> = {
  status(source, opts) {
    const cached = findCachedModel(source.repo, opts.revision ?? source.revision ?? 'main', opts);
    if (!cached) return { state: 'not-downloaded' };
    return { state: 'cached', folder: cached.folder, commit: cached.commit, bytes: snapshotBytes(cached.folder) };
  },
  async obtain(source, opts) {
    const revision = opts.revision ?? source.revision ?? 'main';
    if (opts.allowDownload === false) {
      const cached = findCachedModel(source.repo, revision, opts);
      if (!cached) throw new UserError(`${source.repo}@${revision} is not downloaded yet (run: bild-bench download ${source.repo})`);
      return { folder: cached.folder, source, commit: cached.commit };
    }
    const snap = await downloadModel(source.repo, { ...opts, revision });
    return { folder: snap.folder, source, commit: snap.commit };
  },
};

export function modelStatus(source: ModelSource, opts: ModelDownloadOptions = {}): ModelState {
  return source.kind === 'hub' ? hubBackend.status(source, opts) : localBackend.status(source, opts);
}

export function obtainModel(
  source: ModelSource,
  opts: ModelDownloadOptions & { allowDownload?: boolean } = {},
): Promise<LocalModel> {
  return source.kind === 'hub' ? hubBackend.obtain(source, opts) : localBackend.obtain(source, opts);
}
