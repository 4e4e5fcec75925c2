import { COMMIT_RE } from './cache-layout';
import { hubHttpError, hubRequest, type RequestContext, type RetryInfo } from './http';
import type { HubSettings, RepoType } from './settings';
import { UserError } from '../errors';

/** Same-host redirects followed for one file (huggingface_hub follows relative redirects too). */
const MAX_RELATIVE_REDIRECTS = 5;

/** One file of a repository at a commit, as the tree API lists it. */
export interface RepoFile {
  path: string;
  size: number;
  /** git blob id (sha1) of the file, or of its LFS pointer */
  oid: string;
  /** present for files stored in LFS: the sha256 and size of the real content */
  lfs?: { oid: string; size: number };
}

/** What a HEAD on /resolve/ says about a file. */
export interface FileMetadata {
  commit: string | undefined;
  /** the name of the blob in the cache: the sha256 for LFS files, the git oid otherwise */
  etag: string;
  size: number;
  /** where the bytes are: the CDN location of a redirected file, or the resolve URL */
  location: string;
  /** true when the Hub redirected the download (large/LFS file) */
  redirected: boolean;
}

interface TreeEntry {
  type: string;
  path: string;
  size?: number;
  oid?: string;
  lfs?: { oid?: string; sha256?: string; size?: number };
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

export function normalizeEtag(etag: string | null): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** Parses an RFC 8288 Link header for rel="next". */
function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

/** The Hub's HTTP API: revision resolution, tree listing, file metadata. */
export class HubApi {
  constructor(
    readonly settings: HubSettings,
    private readonly onRetry?: (info: RetryInfo) => void,
  ) {}

  apiRepoUrl(type: RepoType, repoId: string): string {
    return `${this.settings.endpoint}/api/${type}s/${encodePath(repoId)}`;
  }

  resolveUrl(type: RepoType, repoId: string, revision: string, path: string): string {
    const prefix = type === 'dataset' ? 'datasets/' : '';
    return `${this.settings.endpoint}/${prefix}${encodePath(repoId)}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
  }

  private async getJson<T>(url: string, ctx: RequestContext, signal?: AbortSignal): Promise<{ body: T; res: Response }> {
    const res = await hubRequest(this.settings, url, { signal, onRetry: this.onRetry });
    if (!res.ok) throw await hubHttpError(this.settings, res, ctx);
    return { body: (await res.json()) as T, res };
  }

  /** The commit a branch, tag or commit id names (model info API). */
  async resolveRevision(type: RepoType, repoId: string, revision: string, signal?: AbortSignal): Promise<string> {
    const url = `${this.apiRepoUrl(type, repoId)}/revision/${encodeURIComponent(revision)}`;
    const res = await hubRequest(this.settings, url, { signal, onRetry: this.onRetry });
    if (!res.ok) {
      // A 404 without an error code: tell a missing repository from a missing revision.
      if (res.status === 404 && !res.headers.get('x-error-code')) {
        await res.body?.cancel().catch(() => undefined);
        const repoRes = await hubRequest(this.settings, this.apiRepoUrl(type, repoId), { signal, onRetry: this.onRetry });
        const ctx: RequestContext = repoRes.ok ? { repoType: type, repoId, revision } : { repoType: type, repoId };
        if (repoRes.ok) await repoRes.body?.cancel().catch(() => undefined);
        throw await hubHttpError(this.settings, repoRes.ok ? res : repoRes, ctx);
      }
      throw await hubHttpError(this.settings, res, { repoType: type, repoId, revision });
    }
    const info = (await res.json()) as { sha?: unknown };
    const sha = typeof info.sha === 'string' ? info.sha : (res.headers.get('x-repo-commit') ?? '');
    if (!COMMIT_RE.test(sha)) throw new Error(`the Hub gave no commit for ${repoId}@${revision}`);
    return sha;
  }

  /** Every file under `path` (the whole repository when left out) at a commit, following pagination. */
  async listFiles(type: RepoType, repoId: string, commit: string, path = '', signal?: AbortSignal): Promise<RepoFile[]> {
    const ctx: RequestContext = { repoType: type, repoId, revision: commit };
    let url: string | undefined =
      `${this.apiRepoUrl(type, repoId)}/tree/${encodeURIComponent(commit)}${path ? '/' + encodePath(path) : ''}?recursive=true&expand=false`;
    const files: RepoFile[] = [];
    while (url) {
      const { body, res }: { body: TreeEntry[]; res: Response } = await this.getJson<TreeEntry[]>(url, ctx, signal);
      for (const e of body) {
        if (e.type !== 'file') continue;
        const lfsOid = e.lfs?.oid ?? e.lfs?.sha256;
        files.push({
          path: e.path,
          size: e.size ?? e.lfs?.size ?? 0,
          oid: e.oid ?? '',
          lfs: lfsOid ? { oid: lfsOid, size: e.lfs?.size ?? e.size ?? 0 } : undefined,
        });
      }
      const next = nextLink(res.headers.get('link'));
      url = next ? new URL(next, this.settings.endpoint).toString() : undefined;
    }
    return files;
  }

  /**
   * HEAD /resolve/: commit, etag, size and the (CDN) location of one file. A renamed repository (or
   * a mirror) first answers with a redirect on the same host that carries no file metadata: those
   * are followed, the redirect to the CDN (with X-Linked-Etag) is not.
   */
  async fileMetadata(type: RepoType, repoId: string, revision: string, path: string, signal?: AbortSignal): Promise<FileMetadata> {
    let url = this.resolveUrl(type, repoId, revision, path);
    for (let hops = 0; ; hops++) {
      const res = await hubRequest(this.settings, url, {
        method: 'HEAD',
        redirect: 'manual',
        headers: { 'accept-encoding': 'identity' },
        signal,
        onRetry: this.onRetry,
      });
      const redirected = res.status >= 300 && res.status < 400;
      if (!res.ok && !redirected) throw await hubHttpError(this.settings, res, { repoType: type, repoId, revision, file: path });
      const loc = res.headers.get('location');
      const next = redirected && loc ? new URL(loc, url) : undefined;
      if (next && next.origin === new URL(url).origin && !res.headers.get('x-linked-etag') && hops < MAX_RELATIVE_REDIRECTS) {
        url = next.toString();
        continue;
      }
      const etag = normalizeEtag(res.headers.get('x-linked-etag')) ?? normalizeEtag(res.headers.get('etag'));
      const sizeHeader = res.headers.get('x-linked-size') ?? res.headers.get('content-length');
      if (!etag || sizeHeader === null)
        throw new UserError(`${url} (HEAD ${res.status}) sent no ETag or size for ${repoId}/${path}: not a Hugging Face Hub file endpoint?`);
      return {
        commit: res.headers.get('x-repo-commit') ?? undefined,
        etag,
        size: Number(sizeHeader),
        location: next ? next.toString() : url,
        redirected,
      };
    }
  }

  /** The Hub's list of parquet conversions: {config: {split: [urls]}} (for error messages). */
  async parquetIndex(dataset: string, signal?: AbortSignal): Promise<Record<string, Record<string, string[]>>> {
    const { body } = await this.getJson<Record<string, Record<string, string[]>>>(
      `${this.apiRepoUrl('dataset', dataset)}/parquet`,
      { repoType: 'dataset', repoId: dataset },
      signal,
    );
    return body;
  }

  /** The parquet file URLs of one config and split (the Hub's /parquet/{config}/{split} API). */
  async parquetUrls(dataset: string, config: string, split: string, signal?: AbortSignal): Promise<string[]> {
    const { body } = await this.getJson<string[]>(
      `${this.apiRepoUrl('dataset', dataset)}/parquet/${encodeURIComponent(config)}/${encodeURIComponent(split)}`,
      { repoType: 'dataset', repoId: dataset, revision: 'refs/convert/parquet', file: `${config}/${split}` },
      signal,
    );
    return body;
  }
}
