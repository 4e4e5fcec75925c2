import { createWriteStream, statSync } from 'node:fs';
import { lockBlob } from './blob-lock';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { diskError } from '../disk-errors';
import { UserError } from '../errors';
import type { DownloadController } from './controller';
import { PauseInterrupt } from './controller';
import { fileSize } from './cache-layout';
import {
  abortReason,
  backoffDelay,
  describeNetworkError,
  hubHttpError,
  HubNetworkError,
  isRetryableStatus,
  sleep,
  type RequestContext,
  type RetryInfo,
} from './http';
import type { HubSettings } from './settings';
import { authHeaders } from './http';
import { fileChecksum, type Checksum } from './verify';

export interface BlobJob {
  /** where to GET the bytes (a resolve URL or the CDN location it redirects to) */
  url: string;
  /** A fresh `url` (another HEAD), when `url` is a signed CDN link: those expire, during a long download or a pause. */
  refreshUrl?: () => Promise<string>;
  /** final blob path: blobs/<etag> */
  blobFile: string;
  size: number;
  checksum: Checksum | undefined;
  ctx: RequestContext;
}

export interface BlobCallbacks {
  /** `delta` bytes were added to (or, negative, removed from) the partial file, now `fileBytes` long */
  onBytes(delta: number, fileBytes: number): void;
  onRetry(info: RetryInfo): void;
  onVerify(): void;
  onCorrupt(expected: string, actual: string): void;
}

/** How often a blob whose checksum does not match is thrown away and fetched again. */
const CORRUPT_REFETCHES = 2;

/** Answers of a CDN whose signed link has expired. */
const EXPIRED_LINK = new Set([401, 403, 410]);
/** Fresh links asked for in a row without a byte in between. */
const MAX_REFRESHES = 2;

/** A UserError naming `path` when `err` is a local file-system failure (not retried: not the network's fault). */
const cacheDiskError = (err: unknown, path: string): UserError | undefined =>
  diskError(err, path, 'point HF_HUB_CACHE at a writable folder with room');

/**
 * Sends the response body to the file; throws what the stream throws. Each read is raced with
 * `signal`: undici (Node 20) can leave a body stream neither ended nor errored when the request is
 * aborted just as its last bytes arrive, and a cancel must never wait on that stream.
 */
async function streamBody(res: Response, file: string, append: boolean, signal: AbortSignal, onChunk: (n: number) => void): Promise<void> {
  if (!res.body) throw new Error('empty response body');
  const reader = res.body.getReader();
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined); // observed through the race below
  const out = createWriteStream(file, { flags: append ? 'a' : 'w' });
  const closed = new Promise<void>((resolve) => out.once('close', resolve));
  // a write error (disk full, no permission) arrives between reads: it ends the wait for the next one
  let writeError: unknown;
  const failed = new Promise<never>((_, reject) =>
    out.once('error', (err) => {
      writeError = err;
      reject(err);
    }),
  );
  failed.catch(() => undefined);
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted, failed]);
      if (done) break;
      if (!out.write(value)) await Promise.race([once(out, 'drain'), aborted, failed]);
      onChunk(value.byteLength);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    reader.cancel().catch(() => undefined);
    out.end(); // flushes what was counted, so a resume starts where the file ends
    await closed;
  }
  if (writeError) throw writeError;
}

/**
 * Downloads one blob into `<blob>.incomplete`, resuming from its current length with a Range
 * request, retrying dropped connections with backoff, then verifies it and renames it into
 * place. A blob whose checksum is wrong is deleted and fetched again; the final path only ever
 * holds a verified file. One download writes a blob at a time (blob-lock.ts); one that waited
 * finds the blob done.
 */
export async function downloadBlob(
  settings: HubSettings,
  job: BlobJob,
  control: DownloadController,
  cb: BlobCallbacks,
): Promise<void> {
  await mkdir(dirname(job.blobFile), { recursive: true }).catch((err: unknown) => {
    throw cacheDiskError(err, dirname(job.blobFile)) ?? err;
  });
  let told = 0; // bytes of this file the progress callback has been told of (a resume must not count them again)
  const counted: BlobCallbacks = {
    ...cb,
    onBytes: (delta, fileBytes) => {
      told += delta;
      cb.onBytes(delta, fileBytes);
    },
  };
  for (;;) {
    await control.whileRunning(); // a paused download does not hold the lock: another may finish the file
    const release = await lockBlob(job.blobFile, control.signal).catch((err: unknown) => {
      throw cacheDiskError(err, `${job.blobFile}.lock`) ?? err;
    });
    try {
      if (statSync(job.blobFile, { throwIfNoEntry: false })?.size === job.size) return counted.onBytes(job.size - told, job.size);
      if (await downloadLocked(settings, job, control, counted, () => told)) return;
    } finally {
      release();
    }
  }
}

/** True when the blob is in place; false when paused (the caller lets go of the lock until resumed). */
async function downloadLocked(settings: HubSettings, job: BlobJob, control: DownloadController, cb: BlobCallbacks, told: () => number): Promise<boolean> {
  const partial = `${job.blobFile}.incomplete`;
  let url = job.url;
  let failures = 0;
  let refetches = 0;
  let refreshes = 0;
  let lastReason = '';
  let have = fileSize(partial);
  if (have > job.size) {
    await rm(partial, { force: true });
    have = 0;
  }
  cb.onBytes(have - told(), have);

  for (;;) {
    if (control.isPaused) return false;
    await control.whileRunning();
    if (have < job.size || job.size === 0) {
      let progressed = false;
      const request = control.requestSignal();
      try {
        const headers: Record<string, string> = { ...authHeaders(settings, url), 'accept-encoding': 'identity' };
        if (have > 0) headers.range = `bytes=${have}-`;
        const signal = request.signal;
        const res = await fetch(url, { headers, redirect: 'follow', signal });
        if (res.status === 416) {
          // The server has nothing past what we hold: start over (the checksum decides).
          await res.body?.cancel().catch(() => undefined);
          cb.onBytes(-have, 0);
          await rm(partial, { force: true });
          have = 0;
          continue;
        }
        if (!res.ok && EXPIRED_LINK.has(res.status) && job.refreshUrl && refreshes < MAX_REFRESHES) {
          await res.body?.cancel().catch(() => undefined);
          refreshes++;
          url = await job.refreshUrl();
          continue;
        }
        if (!res.ok) {
          if (!isRetryableStatus(res.status)) throw await hubHttpError(settings, res, job.ctx);
          await res.body?.cancel().catch(() => undefined);
          throw new Error(`HTTP ${res.status}`);
        }
        let append = have > 0;
        if (append && res.status !== 206) {
          // The server ignored the Range: take the whole body.
          cb.onBytes(-have, 0);
          have = 0;
          append = false;
        } else if (append) {
          const start = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
          if (!start || Number(start[1]) !== have) {
            // bytes from elsewhere in the file: resuming cannot be trusted, so start over
            await res.body?.cancel().catch(() => undefined);
            cb.onBytes(-have, 0);
            await rm(partial, { force: true });
            have = 0;
            if (++failures > settings.maxRetries)
              throw new HubNetworkError(`download of '${job.ctx.file ?? job.url}' failed: every resumed response started at the wrong byte (${res.headers.get('content-range') ?? 'no Content-Range'})`);
            continue;
          }
        }
        await streamBody(res, partial, append, signal, (n) => {
          have += n;
          progressed = true;
          refreshes = 0;
          cb.onBytes(n, have);
        });
        if (have < job.size) throw new Error(`connection closed after ${have} of ${job.size} bytes`);
      } catch (err) {
        if (err instanceof UserError) throw err;
        const disk = cacheDiskError(err, partial);
        if (disk) throw disk;
        if (control.signal.aborted) throw abortReason(control.signal);
        if (control.isPaused || err instanceof PauseInterrupt) continue; // whileRunning() waits for resume
        have = fileSize(partial);
        lastReason = describeNetworkError(err);
        failures = progressed ? 1 : failures + 1; // a connection that delivered bytes resets the count
        if (failures > settings.maxRetries)
          throw new HubNetworkError(
            `download of '${job.ctx.file ?? job.url}' from ${settings.endpoint} failed: the connection dropped (${lastReason}) and ${settings.maxRetries} retries did not help`,
          );
        const delayMs = backoffDelay(settings, failures);
        cb.onRetry({ attempt: failures, maxRetries: settings.maxRetries, delayMs, reason: lastReason });
        await sleep(delayMs, control.signal);
        continue;
      } finally {
        request.release();
      }
    }
    if (have > job.size) {
      cb.onBytes(-have, 0);
      await rm(partial, { force: true });
      have = 0;
      throw new Error(`the server sent more than the ${job.size} bytes announced for '${job.ctx.file ?? ''}'`);
    }
    if (job.checksum) {
      cb.onVerify();
      const actual = await fileChecksum(partial, job.checksum, control.signal);
      if (actual !== job.checksum.value) {
        cb.onCorrupt(job.checksum.value, actual);
        cb.onBytes(-have, 0);
        await rm(partial, { force: true });
        have = 0;
        if (++refetches > CORRUPT_REFETCHES)
          throw new UserError(
            `'${job.ctx.file ?? ''}' from ${job.ctx.repoId} failed verification ${refetches} times (expected ${job.checksum.kind} ${job.checksum.value}, got ${actual})`,
          );
        continue;
      }
    }
    await rename(partial, job.blobFile);
    return true;
  }
}
