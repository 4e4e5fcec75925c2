import { CancelledError, UserError } from '../errors';
import { linkSignal } from './linked-signal';
import type { HubSettings, RepoType } from './settings';

/** A Hub answer that means the request cannot succeed as asked (missing repo, no access, ...). */
export class HubHttpError extends UserError {
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: string | undefined,
  ) {
    super(message);
  }
}

/** The Hub could not be reached (or the connection kept dropping) after all retries. */
export class HubNetworkError extends UserError {}

/** What a request is about, for error messages. */
export interface RequestContext {
  repoType: RepoType;
  repoId: string;
  revision?: string;
  file?: string;
}

export interface RetryInfo {
  attempt: number;
  maxRetries: number;
  delayMs: number;
  reason: string;
}

export interface RequestOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  redirect?: 'follow' | 'manual';
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
}

export function repoLabel(ctx: Pick<RequestContext, 'repoType' | 'repoId'>): string {
  return ctx.repoType === 'dataset' ? `dataset ${ctx.repoId}` : ctx.repoId;
}

/** Headers for a request: the token only goes to the Hub's own origin (never to a CDN). */
export function authHeaders(settings: HubSettings, url: string): Record<string, string> {
  const h: Record<string, string> = { 'user-agent': 'bild-bench' };
  if (settings.token && new URL(url).origin === new URL(settings.endpoint).origin)
    h.authorization = `Bearer ${settings.token}`;
  return h;
}

/** Aborts the wait when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error to throw for an aborted signal: its reason when that is an Error, else CancelledError. */
export function abortReason(signal: AbortSignal | undefined): Error {
  const r: unknown = signal?.reason;
  return r instanceof Error && r.name !== 'AbortError' ? r : new CancelledError();
}

/** Why a fetch failed, in words (undici puts the system error in `cause`). */
export function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: string }).code;
    return code ? `${code}: ${cause.message}` : cause.message;
  }
  return err.message;
}

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

export function backoffDelay(settings: HubSettings, attempt: number): number {
  return settings.retryBaseMs * 2 ** (attempt - 1);
}

/**
 * One API request to the Hub (Node's fetch) with retries and exponential backoff on network
 * errors and 5xx/429 answers. Other answers (2xx, 3xx with redirect 'manual', 4xx) are returned,
 * their (small, JSON or text) body already read within the attempt: a body cut off mid-way is
 * retried too, and the attempt's abort link to `opts.signal` is released when it ends.
 */
export async function hubRequest(settings: HubSettings, url: string, opts: RequestOptions = {}): Promise<Response> {
  let lastReason = '';
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    const request = linkSignal(opts.signal);
    try {
      const res = await fetch(url, {
        method: opts.method ?? 'GET',
        headers: { ...authHeaders(settings, url), ...opts.headers },
        redirect: opts.redirect ?? 'follow',
        signal: request.signal,
      });
      if (!isRetryableStatus(res.status)) return await readWhole(res);
      lastReason = `HTTP ${res.status} ${res.statusText}`.trim();
      if (attempt >= settings.maxRetries) return await readWhole(res);
      await res.body?.cancel().catch(() => undefined);
    } catch (err) {
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      lastReason = describeNetworkError(err);
      if (attempt >= settings.maxRetries)
        throw new HubNetworkError(
          `could not reach ${settings.endpoint} (${lastReason}) after ${settings.maxRetries} retries`,
        );
    } finally {
      request.release();
    }
    const delayMs = backoffDelay(settings, attempt + 1);
    opts.onRetry?.({ attempt: attempt + 1, maxRetries: settings.maxRetries, delayMs, reason: lastReason });
    await sleep(delayMs, opts.signal);
  }
}

/** The same answer with its body in memory (a redirect's or HEAD's body is empty). */
async function readWhole(res: Response): Promise<Response> {
  const body = await res.arrayBuffer();
  return new Response(body.byteLength ? body : null, { status: res.status, statusText: res.statusText, headers: res.headers });
}

async function errorText(res: Response): Promise<string> {
  try {
    const text = await res.text();
    try {
      const j = JSON.parse(text) as { error?: unknown };
      if (typeof j.error === 'string') return j.error;
    } catch {
      /* not JSON */
    }
    return text.slice(0, 200);
  } catch {
    return '';
  }
}

/** Turns a failed Hub answer into a one-line message that says what to do. */
export async function hubHttpError(settings: HubSettings, res: Response, ctx: RequestContext): Promise<HubHttpError> {
  const code = res.headers.get('x-error-code') ?? undefined;
  const detail = await errorText(res);
  const repo = repoLabel(ctx);
  const where = settings.endpoint;
  const tokenHint = settings.token
    ? 'the access token given has no access to it'
    : 'if it is private or gated, pass --token or set HF_TOKEN';
  let msg: string;
  if (code === 'RepoNotFound' || (res.status === 404 && !code && !ctx.file && !ctx.revision)) {
    msg = `repository ${repo} not found on ${where}`;
    if (res.status === 401 || res.status === 403) msg += ` (${tokenHint})`;
  } else if (code === 'RevisionNotFound') {
    msg = `revision '${ctx.revision ?? 'main'}' not found in ${repo} on ${where}`;
  } else if (code === 'EntryNotFound' || (res.status === 404 && ctx.file)) {
    msg = `file '${ctx.file ?? '?'}' not found in ${repo} at revision '${ctx.revision ?? 'main'}'`;
  } else if (code === 'GatedRepo') {
    msg = `${repo} is gated: accept its conditions on ${where} and pass a token (--token or HF_TOKEN)`;
  } else if (res.status === 401) {
    msg = settings.token
      ? `${where} rejected the access token for ${repo} (401)`
      : `${repo} needs an access token: pass --token or set HF_TOKEN (401)`;
  } else if (res.status === 403) {
    msg = settings.token
      ? `the access token has no permission for ${repo} on ${where} (403)`
      : `${repo} needs an access token with access to it: pass --token or set HF_TOKEN (403)`;
  } else if (res.status === 404) {
    msg = `revision '${ctx.revision ?? 'main'}' not found in ${repo} on ${where}`;
  } else {
    msg = `${where} answered HTTP ${res.status} for ${repo}${ctx.file ? ` file '${ctx.file}'` : ''}`;
    if (detail) msg += `: ${detail}`;
  }
  return new HubHttpError(redact(msg, settings), res.status, code);
}

/** Removes the token from a text, whatever produced it. */
export function redact(text: string, settings: Pick<HubSettings, 'token'>): string {
  return settings.token ? text.split(settings.token).join('***') : text;
}
