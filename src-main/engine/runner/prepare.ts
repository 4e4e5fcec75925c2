/**
 * Everything before the first ONNX session: resolve model references, compare the pair's
 * tokenizers (cheap: a fingerprint of the vocabulary) and read the dataset. A bad pair or an
 * empty dataset fails here, before any export or model load.
 */
import type { LoadedDataset } from '../data';
import { UserError } from '../errors';
import { loadTokenizer } from '../tokenizer/load-tokenizer';
import type { ResolvedModelRef, RunnerDeps } from './deps';
import type { RunPlan } from './plan';

export type Role = 'small' | 'large';

export interface PreparedRun {
  resolved: Partial<Record<Role, ResolvedModelRef>>;
  dataset: LoadedDataset;
}

export function rolesOf(plan: RunPlan): Role[] {
  return (['small', 'large'] as const).filter((r) => plan.variants.some((v) => (r === 'small' ? v.method !== 'large' : v.method !== 'small')));
}

async function checkPairTokenizers(small: ResolvedModelRef, large: ResolvedModelRef): Promise<void> {
  const [a, b] = await Promise.all([loadTokenizer(small.folder), loadTokenizer(large.folder)]);
  if (a.fingerprint !== b.fingerprint || a.length !== b.length)
    throw new UserError(
      `the small model (${small.folder}) and the large model (${large.folder}) have different tokenizers (${a.length} vs ${b.length} tokens); BiLD needs one shared vocabulary`,
    );
}

export async function prepareRun(
  plan: RunPlan,
  deps: RunnerDeps,
  signal: AbortSignal,
  progress: (stage: 'resolve' | 'dataset', message: string) => void,
): Promise<PreparedRun> {
  const resolved: PreparedRun['resolved'] = {};
  for (const role of rolesOf(plan)) {
    const ref = plan.models[role]!;
    progress('resolve', `${role} model ${ref}`);
    resolved[role] = await deps.resolveModel(ref, signal);
    signal.throwIfAborted();
  }
  if (resolved.small && resolved.large) await checkPairTokenizers(resolved.small, resolved.large);
  progress('dataset', plan.spec.dataset.name);
  const dataset = await deps.loadDataset(plan.dataset, { hub: { signal } });
  if (dataset.examples.length === 0) throw new UserError(`dataset ${dataset.id} (${dataset.split}) has no examples`);
  return { resolved, dataset };
}
