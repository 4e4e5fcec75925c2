/**
 * Real file systems for disk-failure tests: small tmpfs mounts (filled up to test "no space
 * left") and read-only bind mounts (root ignores permission bits, so a 0555 folder is no test).
 * Needs root or CAP_SYS_ADMIN; `MOUNT_SKIP` says why not where mounting is refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const mount = (...args: string[]): boolean => spawnSync('mount', args, { stdio: 'ignore' }).status === 0;

export class Mounts {
  readonly root = mkdtempSync(join(tmpdir(), 'bild-mounts-'));
  private readonly mounted: string[] = [];

  /** A tmpfs of `size` (e.g. '4m') at a new folder; undefined when mounting is refused. */
  tmpfs(name: string, size: string): string | undefined {
    const dir = join(this.root, name);
    mkdirSync(dir);
    if (!mount('-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir)) return undefined;
    this.mounted.unshift(dir);
    return dir;
  }

  /** `dir` again, read-only, at a new folder. */
  readOnlyView(dir: string, name: string): string {
    const view = join(this.root, name);
    mkdirSync(view);
    if (!mount('--bind', '-o', 'ro', dir, view)) throw new Error(`cannot bind-mount ${dir} read-only`);
    this.mounted.unshift(view);
    return view;
  }

  /** Unmounts everything (lazily where a file is still open) and removes the folders. */
  release(): void {
    for (const dir of this.mounted.splice(0)) if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Fills the file system of `dir` up to `leave` free bytes; returns the filler file. */
export function fill(dir: string, leave: number): string {
  const fs = statfsSync(dir);
  const filler = join(dir, 'filler');
  writeFileSync(filler, Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - leave)));
  return filler;
}

/** False where a tmpfs can be mounted, else the reason to skip (for describe.skipIf). */
export function mountSkipReason(): false | string {
  const probe = new Mounts();
  const ok = probe.tmpfs('probe', '1m') !== undefined;
  probe.release();
  return ok ? false : 'mounting a tmpfs is not permitted here (needs root or CAP_SYS_ADMIN)';
}
