import { rm } from 'node:fs/promises';
import { UserError } from '../errors';
import { HubApi, type RepoFile } from './api';
import { downloadBlob } from './blob-download';
import { blobPath, fileExists, fileSize, linkIntoSnapshot, repoCache, type RepoCache } from './cache-layout';
import { DownloadController } from './controller';
import { ensureFreeSpace } from './disk-space';
import { ProgressTracker, type DownloadEvent, type PlannedFile, type ProgressListener } from './progress';
import type { HubSettings, RepoType } from './settings';
import { fileChecksum, type Checksum } from './verify';

/** Options of every download: progress events and control (pause/resume/cancel). */
export interface DownloadOptions {
  onProgress?: ProgressListener;
  /** cancels the download (CancelledError) */
  signal?: AbortSignal;
  /** pause/resume/cancel; made from `signal` when left out */
  controller?: DownloadController;
  /** re-hash blobs already in the cache instead of trusting name and size */
  reverify?: boolean;
}

export interface RepoDownloadRequest {
  repoType: RepoType;
  repoId: string;
  commit: string;
  files: RepoFile[];
}

/** The cache blob name of a repo file: sha256 for LFS files, git oid otherwise (as the Hub's ETag). */
export function etagOf(f: RepoFile): string {
  return f.lfs?.oid ?? f.oid;
}

export function checksumOf(f: RepoFile): Checksum | undefined {
  if (f.lfs && /^[0-9a-f]{64}$/.test(f.lfs.oid)) return { kind: 'sha256', value: f.lfs.oid };
  if (/^[0-9a-f]{40}$/.test(f.oid)) return { kind: 'git-sha1', value: f.oid, size: f.size };
  return undefined;
}

function fileBytes(f: RepoFile): number {
  return f.lfs?.size ?? f.size;
}

/**
 * The download's controller: the caller's, or one made from `opts.signal` for this download
 * only; `done()` unhooks the latter from that signal (which may serve many downloads).
 */
export function controllerFor(opts: DownloadOptions): { control: DownloadController; done(): void } {
  if (opts.controller) return { control: opts.controller, done: () => undefined };
  const control = new DownloadController(opts.signal);
  return { control, done: () => control.release() };
}

/**
 * Puts `files` of one commit into the cache (blobs + snapshot links) and returns their local
 * snapshot paths in the same order. Files whose blob is already there are linked, not fetched.
 */
export async function downloadRepoFiles(
  settings: HubSettings,
  req: RepoDownloadRequest,
  opts: DownloadOptions = {},
): Promise<string[]> {
  const emit: ProgressListener = opts.onProgress ?? (() => undefined);
  const { control, done } = controllerFor(opts);
  const api = new HubApi(settings, (info) => emit({ type: 'retry', ...info }));
  const rc: RepoCache = repoCache(settings.cacheDir, req.repoType, req.repoId);
  const unsubscribe = control.onPauseChange((p) => emit({ type: p ? 'paused' : 'resumed' }));
  try {
    return await fetchPlanned(settings, req, opts, control, api, rc, emit);
  } finally {
    unsubscribe();
    done();
  }
}

async function fetchPlanned(
  settings: HubSettings,
  req: RepoDownloadRequest,
  opts: DownloadOptions,
  control: DownloadController,
  api: HubApi,
  rc: RepoCache,
  emit: ProgressListener,
): Promise<string[]> {

  const planned: PlannedFile[] = [];
  for (const f of req.files) {
    const blob = blobPath(rc, etagOf(f));
    let cached = fileExists(blob) && fileSize(blob) === fileBytes(f);
    if (cached && opts.reverify) {
      const c = checksumOf(f);
      if (c && (await fileChecksum(blob, c, control.signal)) !== c.value) {
        await rm(blob, { force: true });
        cached = false;
      }
    } else if (!cached && fileExists(blob)) {
      await rm(blob, { force: true }); // wrong size: a damaged blob
    }
    planned.push({ path: f.path, size: fileBytes(f), cached });
  }
  const totalBytes = planned.reduce((s, p) => s + p.size, 0);
  const partialBytes = req.files.reduce((s, f, i) => s + (planned[i].cached ? 0 : fileSize(`${blobPath(rc, etagOf(f))}.incomplete`)), 0);
  const bytesToFetch = planned.reduce((s, p) => s + (p.cached ? 0 : p.size), 0) - partialBytes;
  emit({ type: 'plan', repo: req.repoId, commit: req.commit, files: planned, totalBytes, bytesToFetch });
  await ensureFreeSpace(rc.root, bytesToFetch);

  const tracker = new ProgressTracker(totalBytes, req.files.length, emit);
  const out: string[] = [];
  for (let i = 0; i < req.files.length; i++) {
    const f = req.files[i];
    const etag = etagOf(f);
    if (planned[i].cached) {
      tracker.addCached(planned[i].size);
      out.push(await linkIntoSnapshot(rc, req.commit, f.path, etag));
      emit({ type: 'file-done', path: f.path, cached: true });
      continue;
    }
    await control.whileRunning();
    const ctx = { repoType: req.repoType, repoId: req.repoId, revision: req.commit, file: f.path };
    const meta = await api.fileMetadata(req.repoType, req.repoId, req.commit, f.path, control.signal);
    if (meta.etag !== etag || meta.size !== fileBytes(f))
      throw new UserError(
        `the Hub's metadata for ${req.repoId}/${f.path} (etag ${meta.etag}, ${meta.size} bytes) disagrees with its file listing (${etag}, ${fileBytes(f)} bytes); the repository may have changed during the download: try again`,
      );
    const blobFile = blobPath(rc, etag);
    const size = fileBytes(f);
    emit({ type: 'file-start', path: f.path, size, resumeFrom: fileSize(`${blobFile}.incomplete`) });
    const refreshUrl = meta.redirected ? async () => (await api.fileMetadata(req.repoType, req.repoId, req.commit, f.path, control.signal)).location : undefined;
    await downloadBlob(settings, { url: meta.location, refreshUrl, blobFile, size, checksum: checksumOf(f), ctx }, control, {
      onBytes: (delta, have) => tracker.advance(f.path, delta, have, size, have === size),
      onRetry: (info) => emit({ type: 'retry', path: f.path, ...info }),
      onVerify: () => emit({ type: 'verify', path: f.path }),
      onCorrupt: (expected, actual) => emit({ type: 'corrupt', path: f.path, expected, actual }),
    });
    tracker.fileDone();
    out.push(await linkIntoSnapshot(rc, req.commit, f.path, etag));
    emit({ type: 'file-done', path: f.path, cached: false });
  }
  return out;
}

export type { DownloadEvent };
