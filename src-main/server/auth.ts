// Token authentication for `bild-bench serve`, as Jupyter does it. Binding 127.0.0.1 keeps other
// machines out but not other users of this one (a shared GPU server): every request needs the
// token, which the user opens once in the printed URL (?token=...) and then holds as an HttpOnly,
// SameSite=Strict cookie; scripts send it as `Authorization: Bearer <token>`.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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
function same(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' };
const escapeHtml = (s: string): string => s.replace(/[&"<>]/g, (c) => ENTITIES[c]!);

export class TokenAuth {
  /**
   * Browsers send a host's cookies to all of its ports, and tunnels from several servers may map
   * the same remote port: the cookie is named after the token (a hash of it), so that servers do
   * not overwrite each other's, and holds a value derived from it, so that other local services
   * never see the token, which BILD_BENCH_TOKEN may keep across restarts.
   */
  private readonly cookieName: string;
  private readonly cookieValue: string;

  constructor(private readonly token: string) {
    this.cookieName = `bild-bench-${createHash('sha256').update(`bild-bench-cookie-name:${token}`).digest('hex').slice(0, 16)}`;
    this.cookieValue = createHmac('sha256', token).update('bild-bench-cookie-value').digest('base64url');
  }

  /** The request carries the token as an `Authorization: Bearer` header, or our cookie. */
  authorized(req: IncomingMessage): boolean {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined) return same(bearer, this.token);
    const given = cookie(req, this.cookieName);
    return given !== undefined && same(given, this.cookieValue);
  }

  /**
   * A page opened with `?token=`: a right token becomes the cookie, and a page of ours goes on to
   * the same URL without it (out of the address bar and the history); a wrong one is answered 401.
   * Not a redirect: when the login URL is reached from another site (`serve --open`'s file://
   * page, a link in a chat), Chromium withholds a SameSite=Strict cookie set on the way from the
   * whole redirect chain, and from reloads of where it ends; a navigation that this page starts is
   * same-site. False when the URL has no token.
   */
  login(url: URL, res: ServerResponse): boolean {
    const given = url.searchParams.get('token');
    if (given === null) return false;
    if (!same(given, this.token)) {
      unauthorized(res, false);
      return true;
    }
    url.searchParams.delete('token');
    // one leading slash: '//evil.com' (from '/.//evil.com') would name another host
    const target = escapeHtml(`/${url.pathname.replace(/^\/+/, '')}${url.search}`);
    res.writeHead(200, {
      'Set-Cookie': `${this.cookieName}=${this.cookieValue}; HttpOnly; SameSite=Strict; Path=/`,
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer', // the next request must not carry this URL, token and all
      'Content-Security-Policy': "default-src 'none'; base-uri 'none'; form-action 'none'", // a meta refresh needs no script
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(`<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=${target}"><title>BiLD Bench</title><a href="${target}">BiLD Bench</a>\n`);
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
