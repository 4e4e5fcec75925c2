/** The job folders under the default root (jobs given a --job_dir elsewhere are opened by path). */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultJobsRoot, JOB_FILES, readCollected, readJobSpec } from './job-folder';
import type { Collected } from './types';

/** The root holds one folder per job; a bound keeps a listing cheap however many accumulate. */
const MAX_LISTED = 1000;

export interface SlurmJobEntry {
  folder: string;
  name: string | null;
  kind: 'run' | 'sweep' | null;
  createdAt: string | null;
  shards: number | null;
  sentences: number | null;
  collected: Collected | null;
  /** Why the folder cannot be used (another version wrote it, a damaged job.json); null when it can. */
  error: string | null;
}

/** Newest first (default folder names start with their creation time). */
export function listSlurmJobs(root = defaultJobsRoot()): SlurmJobEntry[] {
  if (!existsSync(root)) return [];
  const folders = readdirSync(root)
    .sort()
    .reverse()
    .map((n) => join(root, n))
    .filter((f) => existsSync(join(f, JOB_FILES.spec)))
    .slice(0, MAX_LISTED);
  return folders.map((folder): SlurmJobEntry => {
    try {
      const s = readJobSpec(folder);
      return { folder, name: s.name, kind: s.kind, createdAt: s.createdAt, shards: s.shards.length, sentences: s.dataset.examples, collected: readCollected(folder), error: null };
    } catch (err) {
      return { folder, name: null, kind: null, createdAt: null, shards: null, sentences: null, collected: null, error: (err as Error).message };
    }
  });
}
