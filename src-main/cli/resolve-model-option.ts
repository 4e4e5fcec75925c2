import { UserError } from '../engine/errors';
import { resolveModel } from '../engine/hub/models';
import { TerminalProgress } from './download-progress';

/** Resolves a model option (a folder, a catalog name or a Hub repo id) to a local checkpoint folder, downloading with progress on stderr when needed. */
export async function resolveModelOption(ref: string, option: string, signal?: AbortSignal): Promise<string> {
  const progress = new TerminalProgress(process.stderr);
  try {
    return (await resolveModel(ref, { signal, onProgress: progress.handle })).folder;
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`--${option}: ${err.message}`);
    throw err;
  } finally {
    progress.finish();
  }
}
