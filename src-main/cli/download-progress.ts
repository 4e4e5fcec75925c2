import { formatBytes, formatDuration } from '../engine/hub/format';
import type { DownloadEvent, ProgressSnapshot } from '../engine/hub/progress';

/** One status line: bar, percent, files, bytes, speed, ETA and the current file. */
function progressLine(p: ProgressSnapshot, width = 24): string {
  const frac = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 1;
  const fill = Math.round(frac * width);
  const bar = '='.repeat(Math.max(0, fill - 1)) + (fill > 0 ? (frac >= 1 ? '=' : '>') : '') + ' '.repeat(width - fill);
  return (
    `[${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
    `${p.filesDone}/${p.filesTotal} files ` +
    `${formatBytes(p.bytes)}/${formatBytes(p.totalBytes)} ` +
    `${formatBytes(p.speed)}/s ETA ${formatDuration(p.eta)} ${p.path}`
  );
}

/**
 * Draws download events on a terminal stream: a redrawn line on a TTY, occasional plain lines
 * otherwise (logs, pipes). Messages never include request headers, so no token can show up.
 */
export class TerminalProgress {
  private lastLine = 0;
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean; columns?: number },
    private readonly quiet = false,
  ) {}

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  private clear(): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }

  private message(text: string): void {
    this.clear();
    this.out.write(text + '\n');
  }

  handle = (e: DownloadEvent): void => {
    if (this.quiet) return;
    switch (e.type) {
      case 'plan': {
        const todo = e.files.filter((f) => !f.cached).length;
        this.message(
          `${e.repo} @ ${e.commit.slice(0, 10)}: ${e.files.length} files, ${formatBytes(e.totalBytes)}` +
            (todo > 0 ? `, ${todo} to fetch (${formatBytes(e.bytesToFetch)})` : ', all in the cache'),
        );
        break;
      }
      case 'file-start':
        if (e.resumeFrom > 0) this.message(`resuming ${e.path} at ${formatBytes(e.resumeFrom)} of ${formatBytes(e.size)}`);
        break;
      case 'progress': {
        const now = Date.now();
        if (this.tty) {
          if (now - this.lastLine < 100 && e.fileBytes < e.fileSize) return;
          this.lastLine = now;
          const cols = (this.out as { columns?: number }).columns ?? 100;
          this.out.write('\r\x1b[2K' + progressLine(e).slice(0, Math.max(20, cols - 1)));
          this.drawn = true;
        } else if (now - this.lastPlain > 5000) {
          this.lastPlain = now;
          this.out.write(progressLine(e) + '\n');
        }
        break;
      }
      case 'corrupt':
        this.message(`${e.path}: checksum mismatch (expected ${e.expected.slice(0, 12)}…, got ${e.actual.slice(0, 12)}…); fetching it again`);
        break;
      case 'retry':
        this.message(`${e.path ?? 'request'}: ${e.reason}; retry ${e.attempt}/${e.maxRetries} in ${(e.delayMs / 1000).toFixed(1)} s`);
        break;
      case 'file-done':
        if (!this.tty) this.message(`${e.cached ? 'cached ' : 'fetched'} ${e.path}`);
        break;
      case 'paused':
        this.message('paused');
        break;
      case 'resumed':
        this.message('resumed');
        break;
      case 'offline':
        this.message(`the Hub is unreachable (${e.reason}); using the cached copy`);
        break;
      case 'verify':
        break;
      case 'done':
        this.clear();
        break;
    }
  };

  finish(): void {
    this.clear();
  }
}
