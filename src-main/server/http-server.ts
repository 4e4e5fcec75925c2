// The local HTTP front end: the built renderer, POST /api/<method> (JSON array of arguments ->
// {result} | {error}) and GET /api/events (Server-Sent Events). Binds 127.0.0.1 only, and every
// request needs the server's token (auth.ts); the engine itself runs in the worker behind
// `backend`, never on this thread, which also checks each request's arguments (host/remote-gate.ts).
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { isRemoteMethod, type HostEventListener, type RequestMethod, type RpcReply } from '../host/protocol';
import { tokenProblem, TokenAuth, unauthorized } from './auth';
import { serveStatic } from './static-files';

/** What the server forwards to: the worker client (or anything answering the same envelope). */
export interface ApiBackend {
  /** Checks the arguments (types, paths) before the engine sees them. */
  remoteRequest(method: RequestMethod, args: unknown[]): Promise<RpcReply>;
  subscribeAll(listener: HostEventListener): () => void;
}

export interface ServerOptions {
  backend: ApiBackend;
  /** The built renderer folder (out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** What every request must carry (auth.ts). */
  token: string;
}

export interface RunningServer {
  url: string;
  /** `url` with the token: what the user opens once. */
  loginUrl: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 10 * 1024 * 1024;
const HOST = '127.0.0.1';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

/** The body as text, or 'too large' as soon as it passes MAX_BODY (the rest is not kept). */
function readBody(req: IncomingMessage): Promise<string | 'too large'> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) return Promise.resolve('too large');
  return new Promise((ok, fail) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) ok('too large');
      else chunks.push(c);
    });
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

/** Answers 413 before the body has all arrived, then closes: the client reads the status instead of a reset connection. */
function sendTooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  sendJson(res, 413, { error: { message: `the request body is over ${MAX_BODY / (1024 * 1024)} MiB`, userError: true } });
  // Node reads and drops what the client still sends; a client that never stops is cut off
  const cutOff = setTimeout(() => req.destroy(), 5_000).unref();
  req.on('close', () => clearTimeout(cutOff));
}

/**
 * Only our own pages may talk to the API: the Host header must name a loopback address (a DNS
 * rebinding page would send its own host name; any port, since an SSH tunnel may map another one)
 * and a browser's Origin, when sent, must be that same host.
 */
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;
function allowed(req: IncomingMessage): boolean {
  const host = req.headers.host ?? '';
  if (!LOOPBACK_HOST.test(host)) return false;
  const origin = req.headers.origin;
  return origin === undefined || origin === `http://${host}`;
}

async function handleApiCall(backend: ApiBackend, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isRemoteMethod(method)) return sendJson(res, 404, { error: { message: `unknown method '${method}'`, userError: true } });
  // A JSON content type forces a CORS preflight on cross-site requests, which this server never grants.
  if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
    return sendJson(res, 415, { error: { message: 'POST a JSON array of arguments (Content-Type: application/json)', userError: true } });
  let args: unknown;
  try {
    const text = await readBody(req);
    if (text === 'too large') return sendTooLarge(req, res);
    args = text.trim() === '' ? [] : JSON.parse(text);
  } catch (err) {
    return sendJson(res, 400, { error: { message: `bad request body: ${(err as Error).message}`, userError: true } });
  }
  if (!Array.isArray(args)) return sendJson(res, 400, { error: { message: 'the body must be a JSON array of arguments', userError: true } });
  let reply: RpcReply;
  try {
    reply = await backend.remoteRequest(method, args);
  } catch (err) {
    reply = { error: { message: (err as Error).message, userError: false } };
  }
  sendJson(res, 'error' in reply ? (reply.error.userError ? 400 : 500) : 200, reply);
}

function handleEvents(backend: ApiBackend, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  res.write('retry: 1000\n\n'); // reconnect a dropped stream after 1 s (browsers wait ~3 s by default)
  res.write(': connected\n\n');
  const off = backend.subscribeAll((event) => res.write(`data: ${JSON.stringify(event)}\n\n`));
  // Comments keep proxies and SSH tunnels from dropping an idle stream.
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  req.on('close', () => {
    clearInterval(ping);
    off();
  });
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const root = resolve(opts.rendererDir);
  if (!existsSync(resolve(root, 'index.html')))
    throw new Error(`the renderer is not built (${root}/index.html is missing); run \`npm run build\` first`);
  const problem = tokenProblem(opts.token);
  if (problem) throw new Error(`bad token: ${problem}`);
  const auth = new TokenAuth(opts.token);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!allowed(req)) return sendJson(res, 403, { error: { message: 'forbidden host or origin', userError: true } });
    const api = url.pathname.startsWith('/api/');
    if (!api && req.method === 'GET' && auth.login(url, res)) return;
    if (!auth.authorized(req)) return unauthorized(res, api);
    if (url.pathname === '/api/events' && req.method === 'GET') return handleEvents(opts.backend, req, res);
    if (api) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: { message: 'use POST /api/<method>', userError: true } });
      void handleApiCall(opts.backend, url.pathname.slice('/api/'.length), req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: { message: 'method not allowed', userError: true } });
    if (!serveStatic(root, url.pathname, res)) sendJson(res, 404, { error: { message: 'not found', userError: true } });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, HOST, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${HOST}:${port}/`;
  return {
    url,
    loginUrl: `${url}?token=${opts.token}`,
    port,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
