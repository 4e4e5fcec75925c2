/** Events a download reports, in order: plan, then per file start/progress/verify/done, then done. */
export type DownloadEvent =
  | { type: 'plan'; repo: string; commit: string; files: PlannedFile[]; totalBytes: number; bytesToFetch: number }
  | { type: 'file-start'; path: string; size: number; resumeFrom: number }
  | ({ type: 'progress' } & ProgressSnapshot)
  | { type: 'verify'; path: string }
  | { type: 'corrupt'; path: string; expected: string; actual: string }
  | { type: 'file-done'; path: string; cached: boolean }
  | { type: 'retry'; path?: string; attempt: number; maxRetries: number; delayMs: number; reason: string }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'offline'; reason: string }
  | { type: 'done'; folder: string; commit: string };

export interface PlannedFile {
  path: string;
  size: number;
  /** already complete in the cache */
  cached: boolean;
}

export interface ProgressSnapshot {
  path: string;
  fileBytes: number;
  fileSize: number;
  /** bytes of all planned files that are on disk (cached ones included) */
  bytes: number;
  totalBytes: number;
  filesDone: number;
  filesTotal: number;
  /** bytes per second over the last few seconds */
  speed: number;
  /** seconds left at the current speed; undefined while unknown */
  eta: number | undefined;
}

export type ProgressListener = (e: DownloadEvent) => void;

/** Totals, speed (sliding window) and ETA for a set of files; emits throttled progress events. */
export class ProgressTracker {
  private bytes = 0;
  private filesDone = 0;
  private samples: Array<{ t: number; bytes: number }> = [];
  private lastEmit = 0;

  constructor(
    private readonly totalBytes: number,
    private readonly filesTotal: number,
    private readonly emit: ProgressListener,
    private readonly windowMs = 5000,
    private readonly intervalMs = 100,
  ) {}

  addCached(size: number): void {
    this.bytes += size;
    this.filesDone++;
  }

  fileDone(): void {
    this.filesDone++;
  }

  /** `delta` new bytes of `path` arrived (negative when a corrupt partial file was thrown away). */
  advance(path: string, delta: number, fileBytes: number, fileSize: number, force = false): void {
    this.bytes += delta;
    const now = Date.now();
    if (delta > 0) this.samples.push({ t: now, bytes: delta });
    while (this.samples.length > 0 && this.samples[0].t < now - this.windowMs) this.samples.shift();
    if (!force && now - this.lastEmit < this.intervalMs) return;
    this.lastEmit = now;
    this.emit({ type: 'progress', ...this.snapshot(path, fileBytes, fileSize, now) });
  }

  snapshot(path: string, fileBytes: number, fileSize: number, now = Date.now()): ProgressSnapshot {
    const recent = this.samples.reduce((s, x) => s + x.bytes, 0);
    const span = this.samples.length > 0 ? Math.max(now - this.samples[0].t, 250) : 0;
    const speed = span > 0 ? (recent * 1000) / span : 0;
    const left = Math.max(0, this.totalBytes - this.bytes);
    return {
      path,
      fileBytes,
      fileSize,
      bytes: this.bytes,
      totalBytes: this.totalBytes,
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
      speed,
      eta: left === 0 ? 0 : speed > 0 ? left / speed : undefined,
    };
  }
}
