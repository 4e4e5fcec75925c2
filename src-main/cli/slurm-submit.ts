/** `run --slurm` and `sweep --slurm`: their options and the submission (the `slurm` command does the rest). */
import { UserError } from '../engine/errors';
import { submitSlurmJob, type SlurmOptions, type SlurmRequest } from '../engine/slurm';
import { flag, numberOpt, stringOpt, type Options, type ParsedArgs } from './command';

/** `run` and `sweep`'s options for handing the job to Slurm (docs/slurm.md). */
export const SLURM_OPTIONS: Options = {
  slurm: { type: 'boolean' },
  shards: { type: 'string' },
  partition: { type: 'string' },
  gres: { type: 'string' },
  time: { type: 'string' },
  cpus_per_task: { type: 'string' },
  array_parallel: { type: 'string' },
  sbatch_arg: { type: 'string', multiple: true },
  dry_run: { type: 'boolean' },
  job_dir: { type: 'string' },
};

export const SLURM_USAGE = '[--slurm --shards N [--partition P] [--gres gpu:1] [--time HH:MM:SS] [--cpus_per_task N] [--array_parallel K] [--sbatch_arg ARG]... [--job_dir DIR] [--dry_run]]';

/** The Slurm options given, or undefined without --slurm (where giving any of them is an error). */
export function slurmOptionsOf(args: ParsedArgs): SlurmOptions | undefined {
  if (!flag(args, 'slurm')) {
    const stray = Object.keys(SLURM_OPTIONS).find((k) => args.values[k] !== undefined);
    if (stray) throw new UserError(`--${stray} applies to Slurm jobs only: add --slurm`);
    return undefined;
  }
  const shards = numberOpt(args, 'shards', { min: 1, integer: true });
  if (shards === undefined) throw new UserError('--slurm needs --shards N (the array tasks the sentences are split into)');
  const sbatchArgs = args.values.sbatch_arg;
  return {
    shards,
    partition: stringOpt(args, 'partition'),
    gres: stringOpt(args, 'gres'),
    time: stringOpt(args, 'time'),
    cpusPerTask: numberOpt(args, 'cpus_per_task', { min: 1, integer: true }),
    arrayParallel: numberOpt(args, 'array_parallel', { min: 1, integer: true }),
    sbatchArgs: Array.isArray(sbatchArgs) ? sbatchArgs.map(String) : undefined,
    dryRun: flag(args, 'dry_run'),
    jobDir: stringOpt(args, 'job_dir'),
  };
}

/** `run --slurm` / `sweep --slurm`: writes the job folder, submits it (unless --dry_run) and says where it is. */
export async function submitToSlurm(request: SlurmRequest, options: SlurmOptions, json: boolean): Promise<number> {
  const job = await submitSlurmJob(request, options, { onProgress: (m) => process.stderr.write(`${m}\n`) });
  if (json) {
    process.stdout.write(JSON.stringify(job, null, 2) + '\n');
    return 0;
  }
  const what = `${job.sentences} sentences in ${job.shards.length} array tasks`;
  const lines = job.jobId
    ? [`submitted Slurm job ${job.jobId}: ${what}`, `job folder: ${job.folder}`]
    : [`wrote the job folder (dry run, not submitted): ${what}`, `job folder: ${job.folder}`, `submit it: bild-bench slurm resubmit ${job.folder}`, `  (runs: ${job.command.join(' ')})`];
  lines.push(`status:  bild-bench slurm status ${job.folder}`, `collect: bild-bench slurm collect ${job.folder}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
