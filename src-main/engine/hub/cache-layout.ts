import { existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, symlink, copyFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-write';
import { dirname, join, relative, sep } from 'node:path';
import type { RepoType } from './settings';

/**
 * The Hugging Face cache layout, shared with huggingface_hub and transformers:
 *   <cache>/models--org--name/blobs/<etag>            file contents, named by sha256 (LFS) or git oid
 *   <cache>/models--org--name/snapshots/<commit>/<f>  symlinks to ../../blobs/<etag>
 *   <cache>/models--org--name/refs/<revision>         the commit a branch or tag pointed to
 */
export const COMMIT_RE = /^[0-9a-f]{40}$/;

export function repoFolderName(type: RepoType, repoId: string): string {
  return [`${type}s`, ...repoId.split('/')].join('--');
}

export interface RepoCache {
  root: string;
  blobsDir: string;
  snapshotsDir: string;
  refsDir: string;
}

export function repoCache(cacheDir: string, type: RepoType, repoId: string): RepoCache {
  const root = join(cacheDir, repoFolderName(type, repoId));
  return { root, blobsDir: join(root, 'blobs'), snapshotsDir: join(root, 'snapshots'), refsDir: join(root, 'refs') };
}

export function blobPath(rc: RepoCache, etag: string): string {
  return join(rc.blobsDir, etag);
}

export function snapshotDir(rc: RepoCache, commit: string): string {
  return join(rc.snapshotsDir, commit);
}

/** The snapshot file for a repo path; refuses paths that would leave the snapshot folder. */
export function snapshotFile(rc: RepoCache, commit: string, repoPath: string): string {
  const dir = snapshotDir(rc, commit);
  const p = join(dir, repoPath);
  if (!p.startsWith(dir + sep)) throw new Error(`invalid repository file path '${repoPath}'`);
  return p;
}

/** The commit a revision points to in the cache, without the network. */
export function readCachedRef(rc: RepoCache, revision: string): string | undefined {
  if (COMMIT_RE.test(revision)) return existsSync(snapshotDir(rc, revision)) ? revision : undefined;
  const ref = join(rc.refsDir, revision);
  if (!ref.startsWith(rc.refsDir + sep)) return undefined;
  try {
    const commit = readFileSync(ref, 'utf8').trim();
    return COMMIT_RE.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRef(rc: RepoCache, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const ref = join(rc.refsDir, revision);
  if (!ref.startsWith(rc.refsDir + sep)) return;
  await mkdir(dirname(ref), { recursive: true });
  await writeFileAtomic(ref, commit);
}

/** True when a regular (or linked) file exists at p. */
export function fileExists(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

/**
 * Points snapshots/<commit>/<path> at a blob: a relative symlink made under a temporary name and
 * renamed into place, so the snapshot never holds a half-made entry. Where symlinks are not
 * possible (some Windows setups), the blob is copied instead (also through a temporary name).
 */
export async function linkIntoSnapshot(rc: RepoCache, commit: string, repoPath: string, etag: string): Promise<string> {
  const dst = snapshotFile(rc, commit, repoPath);
  await mkdir(dirname(dst), { recursive: true });
  const src = blobPath(rc, etag);
  const tmp = `${dst}.${process.pid}.linking`;
  await rm(tmp, { force: true });
  try {
    await symlink(relative(dirname(dst), src), tmp);
  } catch {
    await copyFile(src, tmp);
  }
  await rename(tmp, dst);
  return dst;
}

/** Bytes the files of a snapshot take (following links to blobs). */
export function snapshotBytes(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else total += fileSize(p);
    }
  };
  try {
    walk(dir);
  } catch {
    /* a missing folder counts as empty */
  }
  return total;
}
