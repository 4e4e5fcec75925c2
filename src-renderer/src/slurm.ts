// The app's Slurm state: whether this host can submit (sbatch on PATH), the submission's options
// (shared by the Run and Sweep views), the submission in progress and what it last wrote.
import { reactive } from 'vue';
import type { RunSpec, SlurmInfo, SlurmOptions, SubmittedJob, SweepSpec } from '../../src-main/engine/api/types';
import { call } from './api';
import { showError, store } from './store';

export interface SlurmForm {
  shards: number;
  partition: string;
  /** Generic resources, e.g. gpu:1. */
  gres: string;
  time: string;
  /** '' (an empty field under v-model.number): Slurm's default. */
  cpusPerTask: number | '';
  arrayParallel: number | '';
}

export const slurm = reactive({
  info: null as SlurmInfo | null,
  form: { shards: 2, partition: '', gres: '', time: '', cpusPerTask: '', arrayParallel: '' } as SlurmForm,
  /** The submission fetching and exporting models now (its id, for a cancel), or null. */
  submitting: null as string | null,
  /** The latest job written, from the Run or the Sweep view. */
  last: null as (SubmittedJob & { kind: 'run' | 'sweep' }) | null,
  /** Bumped after a submission, so the jobs list reloads. */
  jobsTick: 0,
});

export async function loadSlurmInfo(): Promise<void> {
  slurm.info ??= await call('slurmInfo');
}

/** The form as the engine's options; empty fields are left to Slurm (and the engine checks every value). */
function slurmOptions(f: SlurmForm, dryRun: boolean): SlurmOptions {
  const text = (s: string): string | undefined => s.trim() || undefined;
  const count = (n: number | ''): number | undefined => (n === '' ? undefined : n);
  return { shards: f.shards, partition: text(f.partition), gres: text(f.gres), time: text(f.time), cpusPerTask: count(f.cpusPerTask), arrayParallel: count(f.arrayParallel), dryRun };
}

/** Submits the run or sweep (`exportOnly`: writes its job folder without submitting). */
export async function submitToSlurm(kind: 'run' | 'sweep', spec: RunSpec | SweepSpec, exportOnly: boolean): Promise<void> {
  const submissionId = `submit-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  slurm.submitting = submissionId;
  slurm.last = null;
  store.notice = null;
  try {
    const job = await call('submitSlurm', { kind, spec, slurm: slurmOptions(slurm.form, exportOnly), submissionId });
    slurm.last = { ...job, kind };
    slurm.jobsTick++;
  } catch (err) {
    showError(err);
  } finally {
    slurm.submitting = null;
  }
}

export async function cancelSubmission(): Promise<void> {
  if (slurm.submitting) await call('cancelSlurmSubmit', slurm.submitting).catch(showError);
}
