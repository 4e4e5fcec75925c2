import { CancelledError } from '../errors';
import { abortReason } from './http';
import { linkSignal, type LinkedSignal } from './linked-signal';

/** Thrown into an in-flight request when the user pauses; the downloader resumes with Range. */
export class PauseInterrupt extends Error {
  override readonly name = 'PauseInterrupt';
}

/**
 * Pause, resume and cancel for a download. Pausing aborts the request in flight (the partial
 * blob stays in blobs/<etag>.incomplete) and the download waits; resuming continues from the
 * byte where it stopped. Cancelling aborts for good (CancelledError).
 */
export class DownloadController {
  private readonly cancelCtl = new AbortController();
  private pauseCtl = new AbortController();
  private pausedFlag = false;
  private waiters: Array<() => void> = [];
  private listeners: Array<(paused: boolean) => void> = [];
  private readonly unhook: () => void = () => undefined;

  /** `outer` cancels the download; `release()` unhooks from it when the download is over. */
  constructor(outer?: AbortSignal) {
    if (!outer) return;
    if (outer.aborted) {
      this.cancel();
      return;
    }
    const onAbort = (): void => this.cancel();
    outer.addEventListener('abort', onAbort, { once: true });
    this.unhook = () => outer.removeEventListener('abort', onAbort);
  }

  /** Stops following the signal given to the constructor (the caller's, which may outlive this download). */
  release(): void {
    this.unhook();
  }

  /** Fires on cancel only. */
  get signal(): AbortSignal {
    return this.cancelCtl.signal;
  }

  /** Fires on cancel or pause: what a single request should listen to; released when the request ends. */
  requestSignal(): LinkedSignal {
    return linkSignal(this.cancelCtl.signal, this.pauseCtl.signal);
  }

  get isPaused(): boolean {
    return this.pausedFlag;
  }

  /** Calls `fn` on pause and resume; returns a function that stops that. */
  onPauseChange(fn: (paused: boolean) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  pause(): void {
    if (this.pausedFlag || this.cancelCtl.signal.aborted) return;
    this.pausedFlag = true;
    this.pauseCtl.abort(new PauseInterrupt('paused'));
    for (const l of this.listeners) l(true);
  }

  resume(): void {
    if (!this.pausedFlag) return;
    this.pausedFlag = false;
    this.pauseCtl = new AbortController();
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
    for (const l of this.listeners) l(false);
  }

  cancel(): void {
    if (this.cancelCtl.signal.aborted) return;
    this.cancelCtl.abort(new CancelledError());
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  /** Resolves at once when running; while paused, when resumed. Throws when cancelled. */
  async whileRunning(): Promise<void> {
    if (this.cancelCtl.signal.aborted) throw abortReason(this.cancelCtl.signal);
    if (this.pausedFlag) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.cancelCtl.signal.aborted) throw abortReason(this.cancelCtl.signal);
  }
}
