// `bild-bench serve` against callers other than the user's own page: real HTTP to the real server
// (the engine in its worker). Every request needs the token; the page may only name files in the
// allowed folders (symlinks resolved), and the refusal does not tell whether a file exists;
// wrongly typed arguments answer 400 naming the argument; an oversized body answers 413.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get as httpGet } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newToken } from '../../src-main/server/auth';
import { startServer, type ApiBackend } from '../../src-main/server/http-server';
import { defaultRendererDir, serveApp, type ServedApp } from '../../src-main/server/serve-app';
import { demoTestSentences } from '../helpers/demo';
import { MODELS } from '../helpers/paths';
import { bearer, postApi, refreshTarget } from '../helpers/served-app';

const dir = mkdtempSync(join(tmpdir(), 'bild-server-security-'));
const home = join(dir, 'home');
const outside = join(dir, 'outside');
const secret = join(outside, 'secret.tsv');
let app: ServedApp;

beforeAll(async () => {
  mkdirSync(home);
  mkdirSync(outside);
  const rows = demoTestSentences(2).map((p) => `${p.de}\t${p.en}`);
  writeFileSync(secret, ['de\ten', 'TOP-SECRET-LINE\tTOP-SECRET-LINE', ...rows].join('\n') + '\n');
  writeFileSync(join(home, 'pairs.tsv'), ['de\ten', ...rows].join('\n') + '\n');
  symlinkSync(secret, join(home, 'escape.tsv'));
  symlinkSync(outside, join(home, 'outside-link'));
  app = await serveApp({ port: 0, env: { ...process.env, BILD_BENCH_HOME: home, HF_HUB_CACHE: join(dir, 'hf'), HF_HUB_OFFLINE: '1' } });
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (dataset: Record<string, unknown>, models: Record<string, string> = { large: 'demo/large' }) =>
  postApi(app, 'startRun', [{ models, methods: ['large'], dataset: { limit: 2, ...dataset }, warmup: 0, threads: 1 }]);

describe('the token', () => {
  it('is required by the API, the event stream and the pages', async () => {
    const api = await postApi(app, 'listRuns', [], {});
    expect(api.status).toBe(401);
    expect(api.body.error?.message).toMatch(/^missing or wrong token: open the URL that `bild-bench serve` printed/);
    expect((await fetch(new URL('api/events', app.url))).status).toBe(401);
    const page = await fetch(app.url);
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('needs its token');
  });

  it('is accepted as a Bearer header, and a wrong one is not', async () => {
    expect(await postApi(app, 'listRuns', [])).toEqual({ status: 200, body: { result: [] } });
    expect((await postApi(app, 'listRuns', [], { authorization: `Bearer ${app.token}x` })).status).toBe(401);
    const events = new AbortController();
    const stream = await fetch(new URL('api/events', app.url), { headers: bearer(app), signal: events.signal });
    expect([stream.status, stream.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
    events.abort();
  });

  it('in the URL sets an HttpOnly, SameSite=Strict cookie and a page of the server goes on to the URL without it', async () => {
    const login = await fetch(`${app.loginUrl}&tab=history&x=<"y">`, { redirect: 'manual' });
    expect(login.status).toBe(200);
    const headers = ['cache-control', 'referrer-policy', 'content-security-policy'].map((h) => login.headers.get(h));
    expect(headers).toEqual(['no-store', 'no-referrer', "default-src 'none'; base-uri 'none'; form-action 'none'"]);
    expect(refreshTarget(await login.text())).toBe('/?tab=history&amp;x=%3C%22y%22%3E');
    const [setCookie] = login.headers.getSetCookie();
    // named after the token, not the port; its value is derived from the token, not the token itself
    const [, name, value] = /^(bild-bench-[0-9a-f]{16})=([^;]+); HttpOnly; SameSite=Strict; Path=\/$/.exec(setCookie!) ?? [];
    expect(value).toBeDefined();
    expect(value).not.toContain(app.token);
    const cookie = { cookie: `other=1; ${name}=${value}` };
    expect((await postApi(app, 'listRuns', [], cookie)).status).toBe(200);
    expect((await fetch(app.url, { headers: cookie })).status).toBe(200);
    const events = new AbortController();
    expect((await fetch(new URL('api/events', app.url), { headers: cookie, signal: events.signal })).status).toBe(200);
    events.abort();
    for (const wrong of ['wrong-but-long-enough', app.token]) expect((await postApi(app, 'listRuns', [], { cookie: `${name}=${wrong}` })).status).toBe(401);
    expect((await postApi(app, 'listRuns', [], { authorization: `Bearer ${value}` })).status).toBe(401); // Bearer takes the token itself
  });

  it("in the URL of a server with another token sets another cookie, which this server's does not open", async () => {
    const backend: ApiBackend = { remoteRequest: async () => ({ result: [] }), subscribeAll: () => () => {} };
    const other = await startServer({ backend, rendererDir: defaultRendererDir(), port: 0, token: newToken() });
    try {
      const cookieOf = async (loginUrl: string) => (await fetch(loginUrl)).headers.getSetCookie()[0]!.split(';')[0]!;
      const [ours, theirs] = [await cookieOf(app.loginUrl), await cookieOf(other.loginUrl)];
      expect(ours.split('=')[0]).not.toBe(theirs.split('=')[0]);
      const page = (url: string, cookie: string) => fetch(url, { headers: { cookie } }).then((r) => r.status);
      expect([await page(other.url, theirs), await page(other.url, ours), await page(app.url, theirs)]).toEqual([200, 401, 401]);
    } finally {
      await other.close();
    }
  });

  it('in the URL sends the browser on to a path of this server, never to another host', async () => {
    const loginPage = (path: string) =>
      new Promise<string>((ok, fail) =>
        // node:http sends the path as written (fetch would resolve the dots first)
        httpGet({ host: '127.0.0.1', port: app.port, path: `${path}?token=${app.token}` }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => ok(body));
        }).on('error', fail),
      );
    for (const [path, target] of [
      ['/.//evil.com', '/evil.com'],
      ['/..//evil.com/x', '/evil.com/x'],
      ['//evil.com', '/'],
      ['/a//b', '/a//b'],
    ]) expect([path, refreshTarget(await loginPage(path!))]).toEqual([path, target]);
  });

  it('in the URL, when wrong, answers 401 and sets nothing', async () => {
    const wrong = await fetch(`${app.url}?token=${app.token.slice(1)}`, { redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
  });
});

describe('files the page may name', () => {
  const refusal = (path: string) => `startRun: '${path}': not in a folder this app may read (allowed: ${home}, `;

  it('refuses a dataset outside the allowed folders in every form, with the same reply whether or not the file exists', async () => {
    const missing = join(outside, 'missing.tsv');
    for (const [dataset, named] of [
      [{ name: `${secret},${secret}` }, secret],
      [{ name: secret }, secret],
      [{ name: 'x', files: [join(home, 'pairs.tsv'), secret] }, secret],
    ] as const) {
      const r = await run(dataset);
      expect(r.status).toBe(400);
      expect(r.body.error!.message.startsWith(refusal(named))).toBe(true);
      expect(JSON.stringify(r.body)).not.toContain('TOP-SECRET');
    }
    const existing = (await run({ name: secret })).body.error!.message;
    const absent = (await run({ name: missing })).body.error!.message;
    expect(absent).toBe(existing.replace(secret, missing));
    const absentPair = (await run({ name: `${missing},${missing}` })).body.error!.message;
    expect(absentPair).toBe(existing.replace(secret, missing));
  });

  it('resolves symlinks: a link inside an allowed folder cannot point out of it', async () => {
    for (const path of [join(home, 'escape.tsv'), join(home, 'outside-link', 'secret.tsv'), join(home, 'outside-link', 'missing.tsv')]) {
      const r = await run({ name: path });
      expect(r.status).toBe(400);
      expect(r.body.error!.message.startsWith(refusal(path))).toBe(true);
    }
  });

  it('refuses a model folder outside the allowed folders, and a split that climbs out of the demo data', async () => {
    const r = await run({ name: 'demo' }, { large: outside });
    expect([r.status, r.body.error!.message.startsWith(refusal(outside))]).toEqual([400, true]);
    const split = await run({ name: 'demo', split: '../../../outside/secret' });
    expect(split).toEqual({ status: 400, body: { error: { message: "startRun: dataset.split '../../../outside/secret' is not a split name", userError: true } } });
  });

  it('runs a file under the app home with a model folder of the embedded resources', async () => {
    const r = await run({ name: join(home, 'pairs.tsv'), task: 'translation' }, { large: join(MODELS, 'toy-t5-large') });
    expect(r.status).toBe(200);
    const summary = await app.engine.waitForRun((r.body.result as { runId: string }).runId);
    expect([summary.status, summary.sentences]).toEqual(['completed', 2]);
  });

  it('lets the page name files in a folder listed in settings.json, read at each request', async () => {
    const corpora = join(dir, 'corpora');
    mkdirSync(corpora);
    writeFileSync(join(corpora, 'pairs.tsv'), 'de\ten\nHallo\tHello\n');
    const file = { name: join(corpora, 'pairs.tsv') };
    expect((await run(file)).status).toBe(400);
    writeFileSync(join(home, 'settings.json'), JSON.stringify({ allowedFolders: [corpora] }));
    try {
      const r = await run(file);
      expect(r.status).toBe(200);
      await app.engine.waitForRun((r.body.result as { runId: string }).runId);
      writeFileSync(join(home, 'settings.json'), '{"allowedFolders": "not a list"}');
      expect((await run(file)).body.error?.message).toBe(`${join(home, 'settings.json')}: "allowedFolders" must be a list of absolute folder paths`);
    } finally {
      rmSync(join(home, 'settings.json'));
    }
  });
});

describe('arguments', () => {
  it('answers 400 naming a wrongly typed argument', async () => {
    const cases: [string, unknown[], string][] = [
      ['getRun', [42], 'getRun: runId must be a string (got 42)'],
      ['getRun', ['a', 'b'], 'getRun takes 1 argument (runId), got 2'],
      ['compareRuns', ['x'], 'compareRuns: runIds must be a list (got "x")'],
      ['listRuns', [{ limit: '5' }], 'listRuns: query.limit must be a number (got "5")'],
      ['exportRunFile', [{ runId: 'x', format: 'xml' }], 'exportRunFile: request.format must be one of csv, summary-csv, json (got "xml")'],
      ['startRun', [null], 'startRun: spec must be an object (got null)'],
      ['startRun', [{ models: {}, dataset: { name: 'demo', limit: '' } }], 'startRun: spec.dataset.limit must be a number (got "")'],
      ['startRun', [{ models: { large: 5 }, dataset: { name: 'demo' } }], 'startRun: spec.models.large must be a string (got 5)'],
      ['startSweep', [{ models: {}, dataset: { name: 'demo' }, fallbacks: [0.5, '0.6'] }], 'startSweep: spec.fallbacks[1] must be a number (got "0.6")'],
      ['startRun', [{ models: {}, methods: 'large', dataset: { name: 'demo' } }], 'startRun: spec.methods must be a list (got "large")'],
    ];
    for (const [method, args, message] of cases) expect(await postApi(app, method, args)).toEqual({ status: 400, body: { error: { message, userError: true } } });
  });

  it('lets fields it does not know through to the engine', async () => {
    const spec = { models: { large: 'demo/large' }, dataset: { name: 'demo', futureField: 1 }, futureOption: 2, ep: 'nope' };
    const r = await postApi(app, 'startRun', [spec]);
    expect(r.body.error?.message).toMatch(/^ep: 'nope' is not one of/); // the engine's own check: the request got there
  });

  it('answers 413 to a body over the limit instead of dropping the connection, with or without its length announced', async () => {
    const body = `[${' '.repeat(11 * 1024 * 1024)}]`;
    const chunked = new Blob([body]).stream(); // sent without Content-Length: counted as it arrives
    for (const sent of [body, chunked]) {
      const res = await fetch(new URL('api/listRuns', app.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(app) },
        body: sent,
        duplex: 'half', // Node's fetch needs it for a stream body; not in the DOM typings, hence the cast
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: { message: 'the request body is over 10 MiB', userError: true } });
    }
  });
});
