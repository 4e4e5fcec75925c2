import { CancelledError } from '../errors';
import { abortReason } from './http';

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

  constructor(outer?: AbortSignal) {
    if (outer) {
      if (outer.aborted) this.cancel();
      else outer.addEventListener('abort', () => this.cancel(), { once: true });
    }
  }

  /** Fires on cancel only. */
  get signal(): AbortSignal {
    return this.cancelCtl.signal;
  }

  /**
   * Fires on cancel or pause: what a single request should listen to. Built by hand rather than
   * with AbortSignal.any: on Node 20 a composite signal can be collected while a request still
   * depends on it, and a cancel then never reaches that request.
   */
  get requestSignal(): AbortSignal {
    const ctl = new AbortController();
    for (const s of [this.cancelCtl.signal, this.pauseCtl.signal]) {
      if (s.aborted) ctl.abort(s.reason);
      else s.addEventListener('abort', () => ctl.abort(s.reason), { once: true });
    }
    return ctl.signal;
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
