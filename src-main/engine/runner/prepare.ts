/**
 * Everything before the models load: check the execution provider, resolve model references,
 * compare the pair's tokenizers (cheap: a fingerprint of the vocabulary) and read the dataset. An
 * unavailable provider, a bad pair or an empty dataset fails here, before any download, export or
 * model load.
 */
import type { LoadedDataset } from '../data';
import { UserError } from '../errors';
import { checkSameTokenizer } from '../model';
import { resolveProvider } from '../runtime/providers';
import { loadTokenizer, type Tokenizer } from '../tokenizer/load-tokenizer';
import type { ResolvedModelRef, RunnerDeps } from './deps';
import type { RunPlan } from './plan';

export type Role = 'small' | 'large';

export interface PreparedRun {
  resolved: Partial<Record<Role, ResolvedModelRef>>;
  /** A pair's tokenizers, already compared: loading the models reuses them. */
  tokenizers: Partial<Record<Role, Tokenizer>>;
  dataset: LoadedDataset;
}

export function rolesOf(plan: RunPlan): Role[] {
  return (['small', 'large'] as const).filter((r) => plan.variants.some((v) => (r === 'small' ? v.method !== 'large' : v.method !== 'small')));
}

export async function prepareRun(
  plan: RunPlan,
  deps: RunnerDeps,
  signal: AbortSignal,
  progress: (stage: 'resolve' | 'dataset', message: string) => void,
): Promise<PreparedRun> {
  resolveProvider(plan.ep, plan.allowCpuFallback); // throws when unavailable and no fallback is allowed
  const resolved: PreparedRun['resolved'] = {};
  for (const role of rolesOf(plan)) {
    const ref = plan.models[role]!;
    progress('resolve', `${role} model ${ref}`);
    resolved[role] = await deps.resolveModel(ref, signal);
    signal.throwIfAborted();
  }
  const tokenizers: PreparedRun['tokenizers'] = {};
  if (resolved.small && resolved.large) {
    const [small, large] = await Promise.all([loadTokenizer(resolved.small.folder), loadTokenizer(resolved.large.folder)]);
    checkSameTokenizer({ checkpointDir: resolved.small.folder, tokenizer: small }, { checkpointDir: resolved.large.folder, tokenizer: large });
    Object.assign(tokenizers, { small, large });
  }
  progress('dataset', plan.spec.dataset.name);
  const dataset = await deps.loadDataset(plan.dataset, { hub: { signal } });
  if (dataset.examples.length === 0) throw new UserError(`dataset ${dataset.id} (${dataset.split}) has no examples`);
  if (plan.warmup > dataset.examples.length)
    throw new UserError(`warmup: ${plan.warmup} is above the bound of the run's ${dataset.examples.length} examples (dataset ${dataset.id}, ${dataset.split})`);
  return { resolved, tokenizers, dataset };
}
