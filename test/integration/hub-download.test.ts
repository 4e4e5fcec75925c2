import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src-main/engine/errors';
import { DownloadController, downloadModel, HubNetworkError, type DownloadEvent } from '../../src-main/engine/hub';
import { ensureFreeSpace } from '../../src-main/engine/hub/disk-space';
import { FakeHub, tinyT5RepoFiles } from '../helpers/hub-server';
import { FIXTURES } from '../helpers/paths';

const REPO = 'test-org/tiny-random-t5';
const NEEDED = ['config.json', 'generation_config.json', 'pytorch_model.bin', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json'];
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const PT = readFileSync(join(FIXTURES, 'tiny-random-t5', 'pytorch_model.bin'));

let hub: FakeHub;
let commit: string;
let cache: string;

function opts(extra: Record<string, unknown> = {}) {
  return { endpoint: hub.endpoint, cacheDir: cache, token: '', offline: false, retryBaseMs: 5, maxRetries: 3, ...extra };
}

beforeAll(async () => {
  hub = new FakeHub();
  commit = hub.addRepo('model', REPO, tinyT5RepoFiles());
  hub.addRepo('model', 'test-org/with-safetensors', [
    { path: 'config.json', content: readFileSync(join(FIXTURES, 'tiny-random-t5', 'config.json')) },
    { path: 'model.safetensors', content: readFileSync(join(FIXTURES, 'tiny-random-t5', 'model.safetensors')), lfs: true },
    { path: 'pytorch_model.bin', content: PT, lfs: true },
  ]);
  const st = readFileSync(join(FIXTURES, 'tiny-random-t5', 'model.safetensors'));
  hub.addRepo('model', 'test-org/sharded', [
    { path: 'config.json', content: readFileSync(join(FIXTURES, 'tiny-random-t5', 'config.json')) },
    {
      path: 'model.safetensors.index.json',
      content: Buffer.from(JSON.stringify({ metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } })),
    },
    { path: 'model-00001-of-00002.safetensors', content: st.subarray(0, 1000), lfs: true },
    { path: 'model-00002-of-00002.safetensors', content: st.subarray(1000), lfs: true },
    { path: 'optimizer.pt', content: Buffer.alloc(5000, 7), lfs: true },
  ]);
  await hub.start();
});

afterAll(async () => {
  await hub.stop();
});

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'hub-cache-'));
  hub.requests.length = 0;
  hub.knobs = {};
});

afterEach(() => {
  rmSync(cache, { recursive: true, force: true });
});

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

function repoRoot(id = REPO): string {
  return join(cache, `models--${id.replace('/', '--')}`);
}

function noPartialsOrTemps(root: string): void {
  const snap = join(root, 'snapshots');
  if (!existsSync(snap)) return;
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n), { throwIfNoEntry: false })?.isDirectory() ? walk(join(d, n)) : [n]));
  for (const n of walk(snap)) expect(n).not.toMatch(/\.(incomplete|linking|tmp)$/);
}

describe('model download from a Hub-like server', () => {
  it('fetches config, weights and tokenizer into the HF cache layout, never training leftovers', async () => {
    const events: DownloadEvent[] = [];
    const snap = await downloadModel(REPO, { ...opts(), onProgress: (e) => events.push(e) });
    expect(snap.commit).toBe(commit);
    expect(snap.folder).toBe(join(repoRoot(), 'snapshots', commit));
    expect(readdirSync(snap.folder).sort()).toEqual(NEEDED);
    // snapshot entries are relative symlinks into blobs/<etag>
    const link = join(snap.folder, 'pytorch_model.bin');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(`../../blobs/${sha256(PT)}`);
    expect(sha256(readFileSync(link))).toBe(sha256(PT));
    expect(readFileSync(join(repoRoot(), 'refs', 'main'), 'utf8')).toBe(commit);
    expect(readFileSync(join(snap.folder, 'config.json'))).toEqual(readFileSync(join(FIXTURES, 'tiny-random-t5', 'config.json')));
    // the junk and other leftovers were never requested
    for (const junk of ['optimizer.pt', 'scheduler.pt', 'rng_state.pth', 'training_args.bin', 'trainer_state.json', 'README.md', 'checkpoint-500'])
      expect(hub.requestsTo(junk)).toEqual([]);
    // the big file came through the CDN redirect
    expect(hub.requestsTo('/cdn/').length).toBeGreaterThan(0);
    const plan = events.find((e) => e.type === 'plan');
    expect(plan?.type === 'plan' && plan.files.map((f) => f.path).sort()).toEqual(NEEDED);
    const last = events.filter((e) => e.type === 'progress').at(-1);
    expect(last?.type === 'progress' && last.bytes === last.totalBytes).toBe(true);
    expect(last?.type === 'progress' && typeof last.speed === 'number').toBe(true);
    expect(events.at(-1)?.type).toBe('done');

    // a second run fetches nothing
    hub.requests.length = 0;
    const again = await downloadModel(REPO, opts());
    expect(again.folder).toBe(snap.folder);
    expect(hub.requests.filter((r) => r.url.includes('/resolve/') || r.url.includes('/cdn/'))).toEqual([]);
  });

  it('prefers safetensors and follows a sharded index', async () => {
    const a = await downloadModel('test-org/with-safetensors', opts());
    expect(readdirSync(a.folder).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(hub.requestsTo('pytorch_model.bin')).toEqual([]);
    const b = await downloadModel('test-org/sharded', opts());
    expect(readdirSync(b.folder).sort()).toEqual([
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ]);
  });

  it('resumes a file whose connection dropped mid-way with a Range request, and verifies it', async () => {
    hub.knobs.drop = { file: 'pytorch_model.bin', afterBytes: 300_000, times: 1 };
    const events: DownloadEvent[] = [];
    const snap = await downloadModel(REPO, { ...opts(), onProgress: (e) => events.push(e) });
    const cdn = hub.requestsTo('/cdn/').filter((r) => r.method === 'GET');
    expect(cdn.length).toBe(2);
    const from = Number(/^bytes=(\d+)-$/.exec(cdn[1].range ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(300_000);
    expect(events.some((e) => e.type === 'retry')).toBe(true);
    expect(sha256(readFileSync(join(snap.folder, 'pytorch_model.bin')))).toBe(sha256(PT));
  });

  it('deletes a corrupted download and fetches it again', async () => {
    hub.knobs.corrupt = { file: 'pytorch_model.bin', times: 1 };
    const events: DownloadEvent[] = [];
    const snap = await downloadModel(REPO, { ...opts(), onProgress: (e) => events.push(e) });
    expect(events.filter((e) => e.type === 'corrupt').map((e) => e.type === 'corrupt' && e.path)).toEqual(['pytorch_model.bin']);
    expect(sha256(readFileSync(join(snap.folder, 'pytorch_model.bin')))).toBe(sha256(PT));
    expect(readdirSync(join(repoRoot(), 'blobs')).filter((n) => n.endsWith('.incomplete'))).toEqual([]);
  });

  it('fails clearly when every try serves corrupted bytes, leaving no blob', async () => {
    hub.knobs.corrupt = { file: 'pytorch_model.bin', times: 100 };
    await expect(downloadModel(REPO, opts())).rejects.toThrow(/pytorch_model\.bin.*failed verification 3 times/);
    expect(existsSync(join(repoRoot(), 'blobs', sha256(PT)))).toBe(false);
    expect(existsSync(join(repoRoot(), 'snapshots', commit, 'pytorch_model.bin'))).toBe(false);
  });

  it('replaces a damaged blob already in the cache', async () => {
    const snap = await downloadModel(REPO, opts());
    const blob = join(repoRoot(), 'blobs', sha256(PT));
    writeFileSync(blob, PT.subarray(0, 1000)); // truncated: wrong size
    await downloadModel(REPO, opts());
    expect(sha256(readFileSync(join(snap.folder, 'pytorch_model.bin')))).toBe(sha256(PT));
    const bad = Buffer.from(PT);
    bad[500] ^= 1; // same size, wrong bytes: found with reverify
    writeFileSync(blob, bad);
    await downloadModel(REPO, { ...opts(), reverify: true });
    expect(sha256(readFileSync(blob))).toBe(sha256(PT));
  });

  it('starts a file over when a resumed response starts at the wrong byte', async () => {
    hub.knobs.drop = { file: 'pytorch_model.bin', afterBytes: 300_000, times: 1 };
    hub.knobs.badRange = { file: 'pytorch_model.bin', times: 1 };
    const snap = await downloadModel(REPO, opts());
    const ranges = hub.requestsTo('/cdn/').filter((r) => r.method === 'GET').map((r) => r.range ?? 'whole');
    expect(ranges).toEqual(['whole', expect.stringMatching(/^bytes=\d+-$/), 'whole']);
    expect(sha256(readFileSync(join(snap.folder, 'pytorch_model.bin')))).toBe(sha256(PT));
  });

  it('asks for a fresh link when the CDN says the signed one expired', async () => {
    hub.knobs.expireCdn = { file: 'pytorch_model.bin', times: 1 };
    const snap = await downloadModel(REPO, opts());
    const heads = hub.requestsTo('/resolve/').filter((r) => r.method === 'HEAD' && r.url.endsWith('pytorch_model.bin'));
    expect(heads).toHaveLength(2);
    expect(sha256(readFileSync(join(snap.folder, 'pytorch_model.bin')))).toBe(sha256(PT));
    hub.knobs.expireCdn = { file: 'pytorch_model.bin', times: 100 };
    rmSync(cache, { recursive: true, force: true });
    await expect(downloadModel(REPO, opts())).rejects.toThrow(/403/);
  });

  it('lets one of two simultaneous downloads write a file; the other waits and uses it', async () => {
    hub.knobs.throttle = { file: 'pytorch_model.bin', bytesPerSecond: 4_000_000 };
    const [a, b] = await Promise.all([downloadModel(REPO, opts()), downloadModel(REPO, opts())]);
    expect(a.folder).toBe(b.folder);
    expect(hub.requestsTo('/cdn/').filter((r) => r.method === 'GET')).toHaveLength(1);
    expect(sha256(readFileSync(join(a.folder, 'pytorch_model.bin')))).toBe(sha256(PT));
    expect(readdirSync(join(repoRoot(), 'blobs')).filter((n) => !/^[0-9a-f]{40,64}$/.test(n))).toEqual([]); // no lock or partial left
  });

  it('takes over the lock of a download whose process is gone', async () => {
    const blobs = join(repoRoot(), 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${sha256(PT)}.lock`), '999999999'); // no such process
    const snap = await downloadModel(REPO, opts());
    expect(sha256(readFileSync(join(snap.folder, 'pytorch_model.bin')))).toBe(sha256(PT));
    expect(existsSync(join(blobs, `${sha256(PT)}.lock`))).toBe(false);
  });

  it('follows a renamed repository to its new name', async () => {
    hub.rename('tiny-t5', REPO);
    const snap = await downloadModel('tiny-t5', opts());
    expect(readdirSync(snap.folder).sort()).toEqual(NEEDED);
    expect(sha256(readFileSync(join(snap.folder, 'pytorch_model.bin')))).toBe(sha256(PT));
    expect(hub.requestsTo('/tiny-t5/resolve/').length).toBeGreaterThan(0);
  });

  it('names the cache folder it cannot write, without retrying', async () => {
    const file = join(cache, 'a-file');
    writeFileSync(file, 'x');
    const err = await errorOf(downloadModel(REPO, opts({ cacheDir: join(file, 'hub') })));
    expect(err.message).toMatch(new RegExp(`cannot write '${file}/hub/models--test-org--tiny-random-t5/blobs': a part of the path is a file \\(ENOTDIR\\)`));
    expect(hub.requestsTo('/cdn/')).toEqual([]);
  });

  it('names a missing repository and a missing revision', async () => {
    await expect(downloadModel('nobody/nothing', opts())).rejects.toThrow(`repository nobody/nothing not found on ${hub.endpoint}`);
    await expect(downloadModel(REPO, { ...opts(), revision: 'v9' })).rejects.toThrow(`revision 'v9' not found in ${REPO}`);
  });

  it('gives up on a connection that keeps dropping, after the retries, with a clear message', async () => {
    hub.knobs.drop = { file: 'pytorch_model.bin', afterBytes: 0, times: Infinity };
    const err = await downloadModel(REPO, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubNetworkError);
    expect((err as Error).message).toMatch(/download of 'pytorch_model\.bin' from http:\/\/127\.0\.0\.1:\d+ failed: the connection dropped .* 3 retries did not help/);
    expect(existsSync(join(repoRoot(), 'snapshots', commit, 'pytorch_model.bin'))).toBe(false);
  });

  it('follows the paginated tree listing', async () => {
    hub.knobs.treePageSize = 3;
    const snap = await downloadModel(REPO, opts());
    expect(readdirSync(snap.folder).sort()).toEqual(NEEDED);
    expect(hub.requestsTo('/tree/').length).toBeGreaterThan(3);
  });

  it('retries API calls answered with 5xx', async () => {
    hub.knobs.failApi = { count: 2 };
    const events: DownloadEvent[] = [];
    await downloadModel(REPO, { ...opts(), onProgress: (e) => events.push(e) });
    expect(events.filter((e) => e.type === 'retry').length).toBe(2);
  });

  it('cancel leaves no half-written snapshot file; the next run resumes with Range', async () => {
    hub.knobs.throttle = { file: 'pytorch_model.bin', bytesPerSecond: 2_000_000 };
    const controller = new DownloadController();
    let seen = 0;
    const run = downloadModel(REPO, {
      ...opts(),
      controller,
      onProgress: (e) => {
        if (e.type === 'progress' && e.path === 'pytorch_model.bin' && e.fileBytes > 200_000 && seen++ === 0) controller.cancel();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(existsSync(join(repoRoot(), 'snapshots', commit, 'pytorch_model.bin'))).toBe(false);
    expect(existsSync(join(repoRoot(), 'blobs', sha256(PT)))).toBe(false);
    noPartialsOrTemps(repoRoot());
    const partial = join(repoRoot(), 'blobs', `${sha256(PT)}.incomplete`);
    const have = statSync(partial).size;
    expect(have).toBeGreaterThan(0);
    expect(have).toBeLessThan(PT.length);

    hub.knobs = {};
    hub.requests.length = 0;
    const snap = await downloadModel(REPO, opts());
    expect(hub.requestsTo('/cdn/').find((r) => r.method === 'GET')?.range).toBe(`bytes=${have}-`);
    expect(sha256(readFileSync(join(snap.folder, 'pytorch_model.bin')))).toBe(sha256(PT));
  });

  it('pauses and resumes', async () => {
    hub.knobs.throttle = { file: 'pytorch_model.bin', bytesPerSecond: 3_000_000 };
    const controller = new DownloadController();
    const events: DownloadEvent[] = [];
    let paused = false;
    const run = downloadModel(REPO, {
      ...opts(),
      controller,
      onProgress: (e) => {
        events.push(e);
        if (!paused && e.type === 'progress' && e.path === 'pytorch_model.bin' && e.fileBytes > 100_000) {
          paused = true;
          controller.pause();
          setTimeout(() => controller.resume(), 300);
        }
      },
    });
    const snap = await run;
    expect(events.some((e) => e.type === 'paused')).toBe(true);
    expect(events.some((e) => e.type === 'resumed')).toBe(true);
    const gets = hub.requestsTo('/cdn/').filter((r) => r.method === 'GET');
    expect(gets.some((r) => r.range?.startsWith('bytes='))).toBe(true);
    expect(sha256(readFileSync(join(snap.folder, 'pytorch_model.bin')))).toBe(sha256(PT));
  });

  it('a paused download lets another download of the same file finish it', async () => {
    hub.knobs.throttle = { file: 'pytorch_model.bin', bytesPerSecond: 3_000_000 };
    const controller = new DownloadController();
    let progressOfA = 0;
    let pausedAt = 0;
    const pausedA = new Promise<void>((resolve) => {
      void downloadModel(REPO, {
        ...opts(),
        controller,
        onProgress: (e) => {
          if (e.type === 'progress') progressOfA = e.bytes;
          if (!pausedAt && e.type === 'progress' && e.path === 'pytorch_model.bin' && e.fileBytes > 100_000) {
            pausedAt = e.bytes;
            controller.pause();
            resolve();
          }
        },
      }).then((snap) => (a = snap));
    });
    let a: { folder: string } | undefined;
    await pausedA;
    const b = await downloadModel(REPO, opts()); // would wait for A's lock for ever if a pause kept it
    expect(sha256(readFileSync(join(b.folder, 'pytorch_model.bin')))).toBe(sha256(PT));
    controller.resume();
    await expect.poll(() => a?.folder).toBe(b.folder);
    expect(progressOfA).toBe(statSync(join(b.folder, 'pytorch_model.bin')).size + NEEDED.filter((n) => n !== 'pytorch_model.bin').reduce((s, n) => s + statSync(join(b.folder, n)).size, 0));
  });

  it('takes over a lock left by an earlier process that had this pid', async () => {
    const blobs = join(repoRoot(), 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${sha256(PT)}.lock`), `${process.pid} 0123456789ab`); // as after a kill in a container, where every run is pid 1
    const snap = await downloadModel(REPO, opts());
    expect(sha256(readFileSync(join(snap.folder, 'pytorch_model.bin')))).toBe(sha256(PT));
  });

  it('checks free disk space before starting', async () => {
    await expect(ensureFreeSpace(cache, 1e18)).rejects.toThrow(/not enough free disk space in .*: the download needs/);
    await expect(ensureFreeSpace(cache, 1000)).resolves.toBeUndefined();
  });

  it('sends the token only as a header and never reports it', async () => {
    const token = 'hf_secretTOKEN1234567890';
    hub.knobs.requireToken = token;
    const err = await errorOf(downloadModel(REPO, opts()));
    expect(err.message).toMatch(/not found on .*pass --token or set HF_TOKEN/);
    const events: DownloadEvent[] = [];
    await downloadModel(REPO, { ...opts(), token, onProgress: (e) => events.push(e) });
    expect(hub.requests.filter((r) => !r.url.startsWith('/cdn/')).every((r) => r.authorization === `Bearer ${token}` || r.authorization === undefined)).toBe(true);
    expect(hub.requests.some((r) => r.authorization === `Bearer ${token}`)).toBe(true);
    expect(JSON.stringify(events)).not.toContain(token);
    const wrong = await errorOf(downloadModel('nobody/nothing', { ...opts(), token }));
    expect(wrong.message).not.toContain(token);
    const grep = (d: string): string[] =>
      readdirSync(d).flatMap((n) => {
        const p = join(d, n);
        const st = statSync(p, { throwIfNoEntry: false });
        if (!st) return [];
        return st.isDirectory() ? grep(p) : readFileSync(p).includes(token) ? [p] : [];
      });
    expect(grep(cache)).toEqual([]);
  });
});

describe('offline use of an existing cache', () => {
  it('uses the cache with the server stopped (offline mode, and as a fallback)', async () => {
    const local = new FakeHub();
    const c = local.addRepo('model', REPO, tinyT5RepoFiles(1));
    await local.start();
    const endpoint = local.endpoint;
    const first = await downloadModel(REPO, { ...opts(), endpoint });
    await local.stop();

    const off = await downloadModel(REPO, { ...opts(), endpoint, offline: true });
    expect(off).toMatchObject({ folder: first.folder, commit: c, checkedOnline: false });
    const events: DownloadEvent[] = [];
    const fallback = await downloadModel(REPO, { ...opts(), endpoint, maxRetries: 1, onProgress: (e) => events.push(e) });
    expect(fallback.folder).toBe(first.folder);
    expect(events.some((e) => e.type === 'offline')).toBe(true);

    await expect(downloadModel('test-org/other', { ...opts(), endpoint, offline: true })).rejects.toThrow(
      /test-org\/other@main is not in the Hugging Face cache at .* and offline mode is on/,
    );
    await expect(downloadModel('test-org/other', { ...opts(), endpoint, maxRetries: 1 })).rejects.toThrow(
      /could not reach http:\/\/127\.0\.0\.1:\d+ \(.*\) after 1 retries/,
    );
  });
});
