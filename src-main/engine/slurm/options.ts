/** Bounds and shapes of the Slurm options, checked before anything is resolved, written or submitted. */
import { UserError } from '../errors';
import { MAX_SHARDS } from './shards';
import type { SlurmOptions } from './types';

/** Options bild-bench sets itself on every submission; a pass-through argument may not change them. */
const OWN_SBATCH_OPTIONS = ['--array', '-a', '--output', '-o', '--error', '-e', '--parsable', '--wrap', '--job-name', '-J', '--export'];
const MAX_SBATCH_ARGS = 32;
const MAX_ARG_LENGTH = 512;

function int(name: string, v: number | undefined, min: number, max: number, why: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < min) throw new UserError(`${name}: ${JSON.stringify(v)} must be an integer >= ${min}`);
  if (v > max) throw new UserError(`${name}: ${v} is above the bound of ${max} (${why})`);
  return v;
}

function pattern(name: string, v: string | undefined, re: RegExp, shape: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > 128 || !re.test(v)) throw new UserError(`${name}: ${JSON.stringify(v)} is not ${shape}`);
  return v;
}

/** The options, checked; `sbatchArgs` each one argument that starts with '-' and names no option bild-bench sets. */
export function checkSlurmOptions(o: SlurmOptions): SlurmOptions {
  if (o.shards === undefined) throw new UserError('shards: give the number of array tasks (--shards N)');
  int('shards', o.shards, 1, MAX_SHARDS, "Slurm's default MaxArraySize");
  const args = o.sbatchArgs ?? [];
  if (!Array.isArray(args)) throw new UserError('sbatch_arg: must be a list of arguments');
  if (args.length > MAX_SBATCH_ARGS) throw new UserError(`sbatch_arg: ${args.length} arguments is above the bound of ${MAX_SBATCH_ARGS}`);
  for (const a of args) {
    if (typeof a !== 'string' || !a.startsWith('-') || a.length > MAX_ARG_LENGTH || /[\0\n\r]/.test(a))
      throw new UserError(`sbatch_arg: ${JSON.stringify(a)} must be one sbatch option starting with '-' (at most ${MAX_ARG_LENGTH} characters, one line)`);
    const name = a.split('=')[0]!;
    if (OWN_SBATCH_OPTIONS.includes(name) || OWN_SBATCH_OPTIONS.some((own) => own.length === 2 && name.startsWith(own) && !name.startsWith('--')))
      throw new UserError(`sbatch_arg: '${name}' is set by bild-bench itself (${OWN_SBATCH_OPTIONS.join(', ')}); use --shards/--array_parallel for the array`);
  }
  return {
    shards: o.shards,
    partition: pattern('partition', o.partition, /^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/, 'a partition name (or a comma-separated list)'),
    gres: pattern('gres', o.gres, /^[A-Za-z0-9_.:=/-]+(,[A-Za-z0-9_.:=/-]+)*$/, 'a generic resource list such as gpu:1 or gpu:a100:2'),
    time: pattern('time', o.time, /^(\d{1,4}-)?\d{1,6}(:\d{1,2}){0,2}$|^UNLIMITED$|^INFINITE$/, "a Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)"),
    cpusPerTask: int('cpus_per_task', o.cpusPerTask, 1, 4096, 'more cores than a node has'),
    arrayParallel: int('array_parallel', o.arrayParallel, 1, MAX_SHARDS, 'at most the array tasks'),
    sbatchArgs: [...args],
    dryRun: o.dryRun === true,
    jobDir: o.jobDir,
  };
}
