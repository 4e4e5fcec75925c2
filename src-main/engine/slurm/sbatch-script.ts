/** The job-array script: Slurm resources as #SBATCH lines, then one offline `bild-bench slurm task` per array task. */
import { UserError } from '../errors';
import type { SlurmJobSpec } from './types';

/** A POSIX shell word: single quotes, each ' written as '\''. */
export function shellQuote(s: string): string {
  if (/[\0\n\r]/.test(s)) throw new UserError(`${JSON.stringify(s)}: a path or value in the job script cannot span lines`);
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function sbatchScript(job: SlurmJobSpec, folder: string): string {
  const o = job.slurm;
  const n = job.dataset.examples;
  const lines = [
    '#!/bin/bash',
    `# bild-bench ${job.appVersion} Slurm job ${job.name}: a ${job.kind} over ${n} sentences in ${job.shards.length} array tasks.`,
    '# Submitted by `bild-bench slurm` (submit/resubmit) with --array, --output and --job-name; see docs/slurm.md.',
  ];
  if (o.partition) lines.push(`#SBATCH --partition=${o.partition}`);
  if (o.gres) lines.push(`#SBATCH --gres=${o.gres}`);
  if (o.time) lines.push(`#SBATCH --time=${o.time}`);
  if (o.cpusPerTask) lines.push(`#SBATCH --cpus-per-task=${o.cpusPerTask}`);
  lines.push(
    '',
    '# Models, exports and data were fetched on the submitting host into these shared folders: tasks never download.',
    'export HF_HUB_OFFLINE=1',
    ...Object.entries(job.env).map(([k, v]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new UserError(`env: '${k}' is not an environment variable name`);
      return `export ${k}=${shellQuote(v)}`;
    }),
    '',
    '# Decodes this task\'s slice (SLURM_ARRAY_TASK_ID) with every variant into tasks/<id>/.',
    `exec ${shellQuote(job.node)} ${shellQuote(job.cli)} slurm task ${shellQuote(folder)}`,
    '',
  );
  return lines.join('\n');
}
