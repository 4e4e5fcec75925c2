/** Bounds and shapes of the Slurm options, checked before anything is resolved, written or submitted. */
import { UserError } from '../errors';
import { MAX_SHARDS } from './shards';
import type { SlurmOptions } from './types';

/**
 * Long options a pass-through argument may not give: bild-bench's own (the array, its logs, its
 * name), and those that redirect sbatch's files, directory or environment. sbatch takes any
 * unambiguous prefix (`--arr=0-1`, `--outp=x`): an argument that is a prefix of one is refused too.
 */
const BLOCKED_LONG = ['--array', '--output', '--error', '--input', '--parsable', '--wrap', '--job-name', '--export', '--export-file', '--chdir'];
/**
 * Short options allowed, each with its value attached (`-Alab`, `-N2`): all take a value, so none
 * can bundle another after it (`-Ho/tmp/x` is -H then -o).
 */
const ALLOWED_SHORT = new Set(['A', 'p', 't', 'N', 'n', 'c', 'q', 'G', 'C', 'w', 'x', 'L', 'd', 'b', 'm']);
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
    if (a.startsWith('--')) {
      const name = a.split('=')[0]!;
      const blocked = BLOCKED_LONG.find((b) => b.startsWith(name));
      if (blocked)
        throw new UserError(`sbatch_arg: '${name}' ${name === blocked ? 'is' : `abbreviates (or may abbreviate) ${blocked}, which is`} set by bild-bench itself or redirects sbatch (${BLOCKED_LONG.join(', ')}); use --shards/--array_parallel for the array`);
    } else if (!ALLOWED_SHORT.has(a[1] ?? '') || a.length < 3)
      throw new UserError(`sbatch_arg: '${a}': of the short options only -${[...ALLOWED_SHORT].join(', -')} are passed, each with its value attached (e.g. -Amylab); give others by their long name (--mem=16G)`);
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
