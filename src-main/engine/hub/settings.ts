import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type RepoType = 'model' | 'dataset';

/** Options every Hub operation accepts; anything left out comes from the environment. */
export interface HubOptions {
  /** Hub base URL; default HF_ENDPOINT or https://huggingface.co. */
  endpoint?: string;
  /** Access token; default HF_TOKEN, else the token file huggingface_hub writes. Never logged. */
  token?: string;
  /** Use only the local cache; default HF_HUB_OFFLINE=1. */
  offline?: boolean;
  /** Hugging Face cache folder; default HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Retries on network errors and 5xx before giving up (default 5). */
  maxRetries?: number;
  /** First backoff delay in ms, doubled on each retry (default 500). */
  retryBaseMs?: number;
}

/** Options after defaults were applied. */
export interface HubSettings {
  endpoint: string;
  token: string | undefined;
  offline: boolean;
  cacheDir: string;
  maxRetries: number;
  retryBaseMs: number;
}

const TRUE_VALUES = new Set(['1', 'ON', 'YES', 'TRUE']);

function envTrue(name: string): boolean {
  const v = process.env[name];
  return v !== undefined && TRUE_VALUES.has(v.trim().toUpperCase());
}

/** HF_HOME, as huggingface_hub resolves it. */
export function hfHome(): string {
  if (process.env.HF_HOME) return process.env.HF_HOME;
  const xdg = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(xdg, 'huggingface');
}

/** The Hugging Face hub cache folder (models--org--name/... lives here). */
export function defaultHubCacheDir(): string {
  return process.env.HF_HUB_CACHE ?? process.env.HUGGINGFACE_HUB_CACHE ?? join(hfHome(), 'hub');
}

function tokenFromFile(): string | undefined {
  const file = process.env.HF_TOKEN_PATH ?? join(hfHome(), 'token');
  try {
    if (!existsSync(file)) return undefined;
    const t = readFileSync(file, 'utf8').trim();
    return t === '' ? undefined : t;
  } catch {
    return undefined;
  }
}

export function hubSettings(opts: HubOptions = {}): HubSettings {
  const endpoint = (opts.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
  const token = opts.token ?? (process.env.HF_TOKEN || undefined) ?? tokenFromFile();
  return {
    endpoint,
    token: token === '' ? undefined : token,
    offline: opts.offline ?? envTrue('HF_HUB_OFFLINE'),
    cacheDir: opts.cacheDir ?? defaultHubCacheDir(),
    maxRetries: opts.maxRetries ?? 5,
    retryBaseMs: opts.retryBaseMs ?? 500,
  };
}
