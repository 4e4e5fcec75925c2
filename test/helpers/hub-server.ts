/**
 * A local HTTP server (127.0.0.1) that answers like the Hugging Face Hub for what the downloader
 * uses: revision info, recursive tree listing with LFS oids and Link pagination, HEAD/GET on
 * /resolve/ with X-Repo-Commit / X-Linked-Etag / X-Linked-Size / ETag, a 302 redirect of LFS
 * files to a CDN-like path that honours Range, and the parquet conversion listing of datasets.
 * Knobs let a test drop a connection mid-file, serve corrupted bytes, slow a file down, fail API
 * calls with 5xx, require a token and count requests.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FIXTURES, MODELS } from './paths';

export interface FakeFile {
  path: string;
  content: Buffer;
  /** stored in LFS: served through the CDN redirect and listed with an lfs oid */
  lfs?: boolean;
}

interface StoredFile extends FakeFile {
  gitOid: string;
  sha256: string;
}

interface FakeRepo {
  type: 'model' | 'dataset';
  id: string;
  refs: Map<string, string>;
  commits: Map<string, Map<string, StoredFile>>;
}

export interface RecordedRequest {
  method: string;
  url: string;
  range?: string;
  authorization?: string;
}

export interface ServeKnobs {
  /** cut the connection of GETs of a file whose path ends with `file` after `afterBytes` bytes, `times` times (default 1; Infinity: always) */
  drop?: { file: string; afterBytes: number; times?: number };
  /** serve flipped bytes for a file `times` times (default 1) */
  corrupt?: { file: string; times?: number };
  /** send a file at about this many bytes per second */
  throttle?: { file: string; bytesPerSecond: number };
  /** answer the next `count` API requests with 503 */
  failApi?: { count: number };
  /** 401 RepoNotFound unless this bearer token comes along */
  requireToken?: string;
  /** tree pages of this many entries (Link: rel="next") */
  treePageSize?: number;
  /** answer Range GETs of a file with a Content-Range that starts one byte late, `times` times */
  badRange?: { file: string; times: number };
  /** answer CDN GETs of a file with 403 (an expired signed link), `times` times */
  expireCdn?: { file: string; times: number };
}

function gitBlobOid(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function lfsPointer(f: StoredFile): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${f.sha256}\nsize ${f.content.length}\n`);
}

function fakeCommit(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

export class FakeHub {
  readonly requests: RecordedRequest[] = [];
  knobs: ServeKnobs = {};
  private readonly repos = new Map<string, FakeRepo>();
  private readonly blobs = new Map<string, StoredFile>();
  /** old model id -> new one: requests to the old name get a relative 307, as after a rename on the Hub */
  private readonly renames = new Map<string, string>();
  private server: Server | undefined;
  endpoint = '';

  /** Adds a repository with one commit on `main` (and more branches when given); returns the commit. */
  addRepo(type: 'model' | 'dataset', id: string, files: FakeFile[], branch = 'main'): string {
    const key = `${type}:${id}`;
    const repo: FakeRepo = this.repos.get(key) ?? { type, id, refs: new Map(), commits: new Map() };
    this.repos.set(key, repo);
    const stored = new Map<string, StoredFile>();
    for (const f of files) {
      const s: StoredFile = { ...f, gitOid: gitBlobOid(f.content), sha256: sha256(f.content) };
      stored.set(f.path, s);
      if (f.lfs) this.blobs.set(s.sha256, s);
    }
    const commit = fakeCommit(`${key}:${branch}:${[...stored.values()].map((s) => s.path + s.gitOid).join(',')}`);
    repo.commits.set(commit, stored);
    repo.refs.set(branch, commit);
    return commit;
  }

  /** Adds a dataset whose parquet conversion (refs/convert/parquet) holds the given files per config/split. */
  addParquetDataset(id: string, conversion: Record<string, Record<string, Buffer[]>>): string {
    this.addRepo('dataset', id, [{ path: 'README.md', content: Buffer.from(`# ${id}\n`) }]);
    const files: FakeFile[] = [];
    for (const [config, splits] of Object.entries(conversion))
      for (const [split, shards] of Object.entries(splits))
        shards.forEach((content, i) => files.push({ path: `${config}/${split}/${String(i).padStart(4, '0')}.parquet`, content, lfs: true }));
    return this.addRepo('dataset', id, files, 'refs/convert/parquet');
  }

  rename(oldId: string, newId: string): void {
    this.renames.set(oldId, newId);
  }

  /** Requests whose URL contains `part`. */
  requestsTo(part: string): RecordedRequest[] {
    return this.requests.filter((r) => decodeURIComponent(r.url).includes(part));
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private notFound(res: ServerResponse, code: string, message: string, status = 404): void {
    this.json(res, status, { error: message }, { 'x-error-code': code });
  }

  /** Finds the repo named by the leading path segments (org/name or name). */
  private findRepo(type: 'model' | 'dataset', segs: string[]): { repo?: FakeRepo; id: string; rest: string[] } {
    for (const n of [2, 1]) {
      const id = segs.slice(0, n).join('/');
      const repo = this.repos.get(`${type}:${id}`);
      if (repo) return { repo, id, rest: segs.slice(n) };
    }
    return { id: segs.slice(0, 2).join('/'), rest: segs.slice(2) };
  }

  private commitOf(repo: FakeRepo, rev: string): string | undefined {
    if (repo.commits.has(rev)) return rev;
    return repo.refs.get(rev);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({
      method: req.method ?? 'GET',
      url: req.url ?? '',
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
    for (const [from, to] of this.renames)
      for (const prefix of [`/api/models/${from}/`, `/${from}/resolve/`])
        if (url.pathname.startsWith(prefix)) {
          res.writeHead(307, { location: prefix.replace(from, to) + url.pathname.slice(prefix.length) + url.search });
          res.end();
          return;
        }
    const segs = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (segs[0] === 'cdn') {
      const blob = this.blobs.get(segs[1]);
      const expire = this.knobs.expireCdn;
      if (blob && expire && blob.path.endsWith(expire.file) && expire.times > 0 && req.method === 'GET') {
        expire.times--;
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end('Request has expired');
        return;
      }
      return this.serveBytes(req, res, blob);
    }
    if (this.knobs.failApi && this.knobs.failApi.count > 0) {
      this.knobs.failApi.count--;
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('try later');
      return;
    }
    const tokenOk = !this.knobs.requireToken || req.headers.authorization === `Bearer ${this.knobs.requireToken}`;
    if (segs[0] === 'api' && (segs[1] === 'models' || segs[1] === 'datasets')) {
      const type = segs[1] === 'models' ? 'model' : 'dataset';
      const { repo, id, rest } = this.findRepo(type, segs.slice(2));
      if (!repo || !tokenOk) return this.notFound(res, 'RepoNotFound', 'Repository not found', 401);
      return this.api(req, res, url, repo, id, rest);
    }
    const type = segs[0] === 'datasets' ? 'dataset' : 'model';
    const { repo, rest } = this.findRepo(type, type === 'dataset' ? segs.slice(1) : segs);
    if (rest[0] === 'resolve') {
      if (!repo || !tokenOk) return this.notFound(res, 'RepoNotFound', 'Repository not found', 401);
      return this.resolve(req, res, repo, rest[1], rest.slice(2).join('/'));
    }
    this.notFound(res, 'NotFound', 'not found');
  }

  private api(req: IncomingMessage, res: ServerResponse, url: URL, repo: FakeRepo, id: string, rest: string[]): void {
    const [what, rev, ...pathParts] = rest;
    if (what === undefined || what === 'revision') {
      const commit = this.commitOf(repo, what === undefined ? 'main' : rev);
      if (!commit) return this.notFound(res, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      const files = repo.commits.get(commit) ?? new Map<string, StoredFile>();
      return this.json(res, 200, { id, sha: commit, siblings: [...files.keys()].map((rfilename) => ({ rfilename })) });
    }
    if (what === 'tree') {
      const commit = this.commitOf(repo, rev);
      if (!commit) return this.notFound(res, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      const prefix = pathParts.join('/');
      const files = [...(repo.commits.get(commit)?.values() ?? [])].filter(
        (f) => prefix === '' || f.path.startsWith(prefix + '/'),
      );
      if (prefix !== '' && files.length === 0) return this.notFound(res, 'EntryNotFound', `${prefix} does not exist`);
      const dirs = new Set<string>();
      for (const f of files) {
        const parts = f.path.split('/');
        for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
      }
      const entries = [
        ...[...dirs].filter((d) => prefix === '' || d.startsWith(prefix + '/')).map((d) => ({ type: 'directory', oid: fakeCommit(d), size: 0, path: d })),
        ...files.map((f) =>
          f.lfs
            ? { type: 'file', oid: gitBlobOid(lfsPointer(f)), size: f.content.length, path: f.path, lfs: { oid: f.sha256, size: f.content.length, pointerSize: lfsPointer(f).length } }
            : { type: 'file', oid: f.gitOid, size: f.content.length, path: f.path },
        ),
      ];
      const pageSize = this.knobs.treePageSize ?? 1000;
      const cursor = Number(url.searchParams.get('cursor') ?? '0');
      const page = entries.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = {};
      if (cursor + pageSize < entries.length) {
        const next = new URL(url.toString());
        next.searchParams.set('cursor', String(cursor + pageSize));
        headers.link = `<${this.endpoint}${next.pathname}${next.search}>; rel="next"`;
      }
      return this.json(res, 200, page, headers);
    }
    if (what === 'parquet' && repo.type === 'dataset') {
      const commit = repo.refs.get('refs/convert/parquet');
      const files = [...(commit ? (repo.commits.get(commit)?.values() ?? []) : [])];
      const index: Record<string, Record<string, string[]>> = {};
      for (const f of files) {
        const [config, split, name] = f.path.split('/');
        const n = Number(name.replace('.parquet', ''));
        ((index[config] ??= {})[split] ??= []).push(`${this.endpoint}/api/datasets/${id}/parquet/${config}/${split}/${n}.parquet`);
      }
      if (rev === undefined) return this.json(res, 200, index);
      const [split, shard] = pathParts;
      const urls = index[rev]?.[split];
      if (!urls) return this.notFound(res, 'NotFound', `config ${rev} split ${split} not found`);
      if (shard === undefined) return this.json(res, 200, urls);
      const n = Number(shard.replace('.parquet', ''));
      res.writeHead(302, {
        location: `${this.endpoint}/datasets/${id}/resolve/${encodeURIComponent('refs/convert/parquet')}/${rev}/${split}/${String(n).padStart(4, '0')}.parquet`,
      });
      res.end();
      return;
    }
    this.notFound(res, 'NotFound', 'unknown api');
  }

  private resolve(req: IncomingMessage, res: ServerResponse, repo: FakeRepo, rev: string, path: string): void {
    const commit = this.commitOf(repo, rev);
    if (!commit) return this.notFound(res, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const f = repo.commits.get(commit)?.get(path);
    if (!f) return this.notFound(res, 'EntryNotFound', `${path} does not exist on "${rev}"`, 404);
    if (f.lfs) {
      res.writeHead(302, {
        location: `/cdn/${f.sha256}?expires=never`,
        'x-repo-commit': commit,
        'x-linked-etag': `"${f.sha256}"`,
        'x-linked-size': String(f.content.length),
        etag: `"${gitBlobOid(lfsPointer(f))}"`,
        'content-length': '0',
      });
      res.end();
      return;
    }
    this.serveBytes(req, res, f, { 'x-repo-commit': commit, etag: `"${f.gitOid}"` });
  }

  private serveBytes(req: IncomingMessage, res: ServerResponse, f: StoredFile | undefined, extra: Record<string, string> = {}): void {
    if (!f) return this.notFound(res, 'NotFound', 'no such blob');
    const total = f.content.length;
    let start = 0;
    let end = total - 1;
    let status = 200;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), total - 1) : total - 1;
      if (start >= total) {
        res.writeHead(416, { 'content-range': `bytes */${total}` });
        res.end();
        return;
      }
      status = 206;
    }
    const headers: Record<string, string> = {
      'content-length': String(end - start + 1),
      'accept-ranges': 'bytes',
      etag: extra.etag ?? `"${f.sha256}"`,
      ...extra,
    };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${total}`;
    const bad = this.knobs.badRange;
    if (status === 206 && bad && f.path.endsWith(bad.file) && bad.times > 0) {
      bad.times--;
      headers['content-range'] = `bytes ${start + 1}-${end}/${total}`;
    }
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let body = f.content.subarray(start, end + 1);
    const k = this.knobs;
    if (k.corrupt && f.path.endsWith(k.corrupt.file) && (k.corrupt.times ?? 1) > 0) {
      k.corrupt.times = (k.corrupt.times ?? 1) - 1;
      body = Buffer.from(body);
      for (let i = 0; i < body.length; i += 4096) body[i] ^= 0xff;
    }
    let dropAt = Infinity;
    if (k.drop && f.path.endsWith(k.drop.file) && (k.drop.times ?? 1) > 0) {
      k.drop.times = (k.drop.times ?? 1) - 1;
      dropAt = k.drop.afterBytes;
    }
    const rate = k.throttle && f.path.endsWith(k.throttle.file) ? k.throttle.bytesPerSecond : Infinity;
    this.pump(res, body, dropAt, rate);
  }

  /** Writes `body` in chunks (at `rate` bytes/s), cutting the socket after `dropAt` bytes. */
  private pump(res: ServerResponse, body: Buffer, dropAt: number, rate: number): void {
    const chunk = Number.isFinite(rate) ? Math.max(1024, Math.floor(rate / 20)) : 256 * 1024;
    let off = 0;
    const step = (): void => {
      if (res.destroyed) return;
      if (off >= dropAt) {
        res.socket?.destroy();
        return;
      }
      if (off >= body.length) {
        res.end();
        return;
      }
      const n = Math.min(chunk, body.length - off, dropAt - off);
      const slice = body.subarray(off, off + n);
      off += n;
      const next = (): void => {
        if (Number.isFinite(rate)) setTimeout(step, (n / rate) * 1000);
        else setImmediate(step);
      };
      if (!res.write(slice)) res.once('drain', next);
      else next();
    };
    step();
  }
}

export async function startHubServer(): Promise<FakeHub> {
  const hub = new FakeHub();
  await hub.start();
  return hub;
}

/** The files of the test model repo: tiny-random-t5 as pytorch_model.bin, the demo tokenizer,
 * and training leftovers (a large junk optimizer.pt among them) that a download must skip. */
export function tinyT5RepoFiles(junkMegabytes = 24): FakeFile[] {
  const tiny = join(FIXTURES, 'tiny-random-t5');
  const tok = join(MODELS, 'toy-t5-small');
  const read = (dir: string, name: string): Buffer => readFileSync(join(dir, name));
  return [
    { path: '.gitattributes', content: Buffer.from('*.bin filter=lfs diff=lfs merge=lfs -text\n*.pt filter=lfs diff=lfs merge=lfs -text\n') },
    { path: 'README.md', content: Buffer.from('# tiny-random-t5\n') },
    { path: 'config.json', content: read(tiny, 'config.json') },
    { path: 'generation_config.json', content: read(tiny, 'generation_config.json') },
    { path: 'pytorch_model.bin', content: read(tiny, 'pytorch_model.bin'), lfs: true },
    { path: 'tokenizer.json', content: read(tok, 'tokenizer.json') },
    { path: 'tokenizer_config.json', content: read(tok, 'tokenizer_config.json') },
    { path: 'special_tokens_map.json', content: read(tok, 'special_tokens_map.json') },
    { path: 'optimizer.pt', content: randomBytes(junkMegabytes * 1024 * 1024), lfs: true },
    { path: 'scheduler.pt', content: randomBytes(1000), lfs: true },
    { path: 'rng_state.pth', content: randomBytes(14000), lfs: true },
    { path: 'training_args.bin', content: randomBytes(3000), lfs: true },
    { path: 'trainer_state.json', content: Buffer.from('{"global_step": 1000}\n') },
    { path: 'checkpoint-500/pytorch_model.bin', content: randomBytes(5000), lfs: true },
  ];
}
