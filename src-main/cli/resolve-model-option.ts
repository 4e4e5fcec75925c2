import { UserError } from '../engine/errors';
import { resolveModel } from '../engine/hub/models';
import { ProgressBar } from './progress-bar';

/** Resolves a model option (a folder, a catalog name or a Hub repo id) to a local checkpoint folder, downloading with a progress bar when needed. */
export async function resolveModelOption(ref: string, option: string, signal?: AbortSignal): Promise<string> {
  const bar = new ProgressBar(`download ${ref}`);
  try {
    const resolved = await resolveModel(ref, {
      signal,
      onProgress: (e) => {
        if (e.type === 'progress') bar.update(e.bytes, e.totalBytes);
      },
    });
    return resolved.folder;
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`--${option}: ${err.message}`);
    throw err;
  } finally {
    bar.done();
  }
}
