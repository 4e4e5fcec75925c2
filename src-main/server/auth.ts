// Token authentication for `bild-bench serve`, as Jupyter does it. Binding 127.0.0.1 keeps other
// machines out but not other users of this one (a shared GPU server): every request needs the
// token, which the user opens once in the printed URL (?token=...) and then holds as an HttpOnly,
// SameSite=Strict cookie; scripts send it as `Authorization: Bearer <token>`.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const TOKEN_ENV = 'BILD_BENCH_TOKEN';
const TOKEN_CHARS = /^[A-Za-z0-9._~-]{16,}$/;

/** 256 random bits, URL- and cookie-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What is wrong with a token the user chose, or undefined (it goes into a URL and a cookie unencoded). */
export function tokenProblem(token: string): string | undefined {
  return TOKEN_CHARS.test(token) ? undefined : 'a token needs 16 or more characters, each a letter, a digit or one of . _ ~ -';
}

/** Compared as digests of equal length in constant time, so that timing tells nothing about a guess. */
function sameToken(given: string, token: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class TokenAuth {
  /** Cookies are not kept apart by port: one name per server, so that two of them on one host do not overwrite each other's. */
  private readonly cookieName: string;

  constructor(
    private readonly token: string,
    port: number,
  ) {
    this.cookieName = `bild-bench-token-${port}`;
  }

  /** The request carries the token: as our cookie, or as an `Authorization: Bearer` header. */
  authorized(req: IncomingMessage): boolean {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const given = bearer ?? cookie(req, this.cookieName);
    return given !== undefined && sameToken(given, this.token);
  }

  /**
   * A page opened with `?token=`: a right token becomes the cookie and the browser goes on to the
   * same URL without it (out of the address bar and the history); a wrong one is answered 401.
   * False when the URL has no token.
   */
  login(url: URL, res: ServerResponse): boolean {
    const given = url.searchParams.get('token');
    if (given === null) return false;
    if (!sameToken(given, this.token)) {
      unauthorized(res, false);
      return true;
    }
    url.searchParams.delete('token');
    res.writeHead(303, {
      'Set-Cookie': `${this.cookieName}=${this.token}; HttpOnly; SameSite=Strict; Path=/`,
      Location: url.pathname + url.search,
      'Cache-Control': 'no-store',
    });
    res.end();
    return true;
  }
}

const HOW = 'open the URL that `bild-bench serve` printed (it ends in ?token=...), or send the header Authorization: Bearer <token>';

/** 401: JSON for the API, a short page for a browser. */
export function unauthorized(res: ServerResponse, api: boolean): void {
  const headers = { 'Cache-Control': 'no-store', 'WWW-Authenticate': 'Bearer realm="bild-bench"' };
  if (api) {
    res.writeHead(401, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: { message: `missing or wrong token: ${HOW}`, userError: true } }));
    return;
  }
  res.writeHead(401, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><meta charset="utf-8"><title>BiLD Bench: token needed</title><p>This BiLD Bench server needs its token: ${HOW.replace('<token>', '&lt;token&gt;')}.</p>\n`);
}
