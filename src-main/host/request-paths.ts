// The local files and folders a request would make the engine read, found as the engine itself
// tells a path from a catalog name, preset or Hub id (runner/dataset-ref.ts, hub/models.ts).
import { resolve } from 'node:path';
import { collectOutDir, slurmJobFolder } from '../engine/api/slurm-jobs';
import type { DatasetRef, RunSpec, SlurmSubmitRequest, SweepSpec } from '../engine/api/types';
import { isRepoId } from '../engine/hub/model-download';
import { parseModelRef } from '../engine/hub/models';
import { datasetPaths } from '../engine/runner/dataset-ref';
import type { RequestMethod } from './protocol';

/** The folder a model reference names; undefined for a catalog name (the user's own entries included) or a Hub id. */
function modelFolder(ref: string): string | undefined {
  const name = ref.trim();
  if (name === '') return undefined; // the engine says what is wrong
  try {
    const parsed = parseModelRef(name);
    return parsed.name === undefined && parsed.source.kind === 'local' ? parsed.source.path : undefined;
  } catch {
    // No catalog entry, folder or Hub id (or an unreadable user catalog, which the engine reports):
    // judged as the folder it would be, so that the reply does not tell whether one exists.
    return isRepoId(name) ? undefined : resolve(name);
  }
}

function specPaths(spec: RunSpec | SweepSpec): string[] {
  const models = [spec.models.small, spec.models.large].flatMap((m) => (m === undefined ? [] : [modelFolder(m)]));
  return [...datasetPaths(spec.dataset), ...models].filter((p): p is string => p !== undefined);
}

/** The run or sweep spec of a request, if it has one. */
function requestSpec(method: RequestMethod, args: readonly unknown[]): RunSpec | SweepSpec | undefined {
  if (method === 'startRun' || method === 'startSweep') return args[0] as RunSpec | SweepSpec;
  return method === 'submitSlurm' ? (args[0] as SlurmSubmitRequest).spec : undefined;
}

/** The dataset of a run, sweep or Slurm submission request, if it is one. */
export function requestDataset(method: RequestMethod, args: readonly unknown[]): DatasetRef | undefined {
  return requestSpec(method, args)?.dataset;
}

/** The job folder a Slurm request names (a name that is not one is the engine's to refuse). */
function jobFolder(job: string): string[] {
  try {
    return [slurmJobFolder(job)];
  } catch {
    return [];
  }
}

/** The Slurm job folder a request writes or names, if it is one (its arguments' shapes already checked). */
export function requestJobFolders(method: RequestMethod, args: readonly unknown[]): string[] {
  if (method === 'submitSlurm') {
    const { jobDir } = (args[0] as SlurmSubmitRequest).slurm;
    return jobDir === undefined ? [] : [resolve(jobDir)];
  }
  return method === 'slurmStatus' || method === 'resubmitSlurm' || method === 'collectSlurm' ? jobFolder(args[0] as string) : [];
}

/** Paths the engine would open (or, for a Slurm job folder, write) for this request (its arguments' shapes already checked). */
export function requestPaths(method: RequestMethod, args: readonly unknown[]): string[] {
  if (method === 'submitSlurm') return [...specPaths((args[0] as SlurmSubmitRequest).spec), ...requestJobFolders(method, args)];
  const spec = requestSpec(method, args);
  if (spec) return specPaths(spec);
  if (method === 'startDownload') return [modelFolder(args[0] as string)].filter((p): p is string => p !== undefined);
  const jobs = requestJobFolders(method, args);
  // collect writes into the folder job.json's spec.outDir names: an edited job.json must not point it elsewhere
  if (method === 'collectSlurm') return [...jobs, ...jobs.flatMap((f) => collectOutDir(f) ?? [])];
  if (jobs.length) return jobs;
  return [];
}
