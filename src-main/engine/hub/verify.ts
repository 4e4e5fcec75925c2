import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** How a blob is checked: the sha256 of an LFS file, or the git blob id (sha1) of a small file. */
export type Checksum = { kind: 'sha256'; value: string } | { kind: 'git-sha1'; value: string; size: number };

function newHash(c: Checksum): Hash {
  if (c.kind === 'sha256') return createHash('sha256');
  const h = createHash('sha1');
  h.update(`blob ${c.size}\0`);
  return h;
}

/** The checksum of a file on disk, computed the way `c` is (hex). */
export async function fileChecksum(path: string, c: Checksum, signal?: AbortSignal): Promise<string> {
  const h = newHash(c);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) h.update(chunk as Buffer);
  return h.digest('hex');
}
