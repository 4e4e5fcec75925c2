/**
 * Content hash of a checkpoint (weights + config.json), identifying exported models. Hashing a
 * 5 GB file takes seconds, so per-file digests are memoized by (absolute path, size, mtime).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-write';
import { diskError } from '../disk-errors';
import { basename, dirname, join, resolve } from 'node:path';
import type { CheckpointReader } from './types';

interface MemoEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

const MEMO_FILE = 'checkpoint-hashes.json';

/** sha256 of a file's content, streamed. */
export function fileSha256(file: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(file, { highWaterMark: 4 << 20 })
      .on('data', (chunk) => h.update(chunk))
      .on('error', rej)
      .on('end', () => res(h.digest('hex')));
  });
}

async function loadMemo(path: string): Promise<Record<string, MemoEntry>> {
  try {
    const raw: unknown = JSON.parse(await readFile(path, 'utf8'));
    return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, MemoEntry>) : {};
  } catch {
    return {}; // missing or corrupt memo: rehash
  }
}

/**
 * Hash of the weight files (a reader's `files`, or explicit paths) plus the config.json next to
 * the first of them (or `configPath`). `cacheDir` holds the memo file.
 */
export async function checkpointHash(
  source: CheckpointReader | readonly string[],
  cacheDir: string,
  configPath?: string,
): Promise<string> {
  const files = ('files' in source ? source.files : source).map((f) => resolve(f));
  if (files.length === 0) throw new Error('checkpointHash: no files');
  const memoPath = join(cacheDir, MEMO_FILE);
  const memo = await loadMemo(memoPath);
  let changed = false;
  const total = createHash('sha256');
  for (const file of files) {
    const st = await stat(file);
    let entry = memo[file];
    if (!entry || entry.size !== st.size || entry.mtimeMs !== st.mtimeMs) {
      entry = { size: st.size, mtimeMs: st.mtimeMs, sha256: await fileSha256(file) };
      memo[file] = entry;
      changed = true;
    }
    total.update(`${basename(file)}\0${entry.sha256}\n`);
  }
  const config = configPath ?? join(dirname(files[0]), 'config.json');
  if (existsSync(config)) total.update(`config.json\0${createHash('sha256').update(await readFile(config)).digest('hex')}\n`);
  if (changed) {
    try {
      await mkdir(cacheDir, { recursive: true });
      await writeFileAtomic(memoPath, JSON.stringify(memo)); // a concurrent reader never sees half a file
    } catch (err) {
      throw diskError(err, memoPath) ?? err; // the memo named, not the folder the caller was writing
    }
  }
  return total.digest('hex');
}
