// The one check every request from the app's page passes, from Electron IPC and HTTP alike. It
// runs in the engine worker, whose environment decides the app's folders (BILD_BENCH_HOME, the
// Hugging Face cache), before the request reaches the engine. The CLI calls the engine directly.
import { resolve } from 'node:path';
import { defaultJobsRoot } from '../engine/slurm/job-folder';
import { allowedFolders, pathRefusal } from './allowed-folders';
import { readAppSettings } from './app-settings';
import { isRemoteMethod, remoteArgsRefusal, type HostApi, type RequestMethod, type RpcReply } from './protocol';
import { requestDataset, requestJobFolders, requestPaths } from './request-paths';
import { dispatch, toRpcError } from './rpc';
import { argsRefusal } from './validate-args';

/** A dataset's split and config become parts of file names (the demo files, the Hub cache): no folder steps. */
function namePartRefusal(method: RequestMethod, args: readonly unknown[]): string | undefined {
  const dataset = requestDataset(method, args);
  for (const field of ['split', 'config'] as const) {
    const v = dataset?.[field];
    if (v !== undefined && (v === '.' || v === '..' || /[/\\]/.test(v))) return `${method}: dataset.${field} '${v}' is not a ${field} name`;
  }
  return undefined;
}

function pathsRefusal(method: RequestMethod, args: readonly unknown[], extraFolders: readonly string[]): string | undefined {
  const paths = requestPaths(method, args);
  if (paths.length === 0) return undefined;
  const folders = allowedFolders(extraFolders);
  for (const p of paths) {
    const refusal = pathRefusal(p, folders);
    if (refusal) return `${method}: ${refusal}`;
  }
  return undefined;
}

/**
 * A Slurm job folder must be under the jobs root or in a folder the user allowed (settings.json,
 * --allow, a folder picked in the desktop app): elsewhere in the app's folders (the Hugging Face
 * cache holds files of any repository) a planted job.json could be resubmitted or collected.
 */
function jobFoldersRefusal(method: RequestMethod, args: readonly unknown[], extraFolders: readonly string[]): string | undefined {
  const jobs = requestJobFolders(method, args);
  if (jobs.length === 0) return undefined;
  const folders = [...new Set([defaultJobsRoot(), ...readAppSettings().allowedFolders, ...extraFolders].map((f) => resolve(f)))];
  for (const j of jobs) {
    const refusal = pathRefusal(j, folders);
    if (refusal) return `${method}: ${refusal}`;
  }
  return undefined;
}

/** Why a request from the app's page is refused: off the whitelist, wrongly typed arguments, a CLI-only option, a path outside the allowed folders. */
export function remoteRefusal(method: unknown, args: unknown, extraFolders: readonly string[]): string | undefined {
  if (!isRemoteMethod(method)) return `unknown method '${String(method)}'`;
  if (!Array.isArray(args)) return `${method}: arguments must be a list`;
  return argsRefusal(method, args) ?? remoteArgsRefusal(method, args) ?? namePartRefusal(method, args) ?? pathsRefusal(method, args, extraFolders) ?? jobFoldersRefusal(method, args, extraFolders);
}

/** `dispatch` for a request from the app's page: refused as a user error when remoteRefusal says why. */
export async function dispatchRemote(api: HostApi, method: unknown, args: unknown, extraFolders: readonly string[]): Promise<RpcReply> {
  let refusal: string | undefined;
  try {
    refusal = remoteRefusal(method, args, extraFolders);
  } catch (err) {
    return { error: toRpcError(err) }; // e.g. an unreadable settings.json
  }
  return refusal ? { error: { message: refusal, userError: true } } : dispatch(api, method, args);
}
