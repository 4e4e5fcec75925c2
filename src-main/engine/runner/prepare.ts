/**
 * Everything before the models load: check the execution provider, resolve model references,
 * compare the pair's tokenizers (cheap: a fingerprint of the vocabulary) and read the dataset. An
 * unavailable provider, a bad pair or an empty dataset fails here, before any download, export or
 * model load.
 */
import type { ModelRole, WeightDType } from '../api/types';
import type { LoadedDataset } from '../data';
import { UserError } from '../errors';
import { checkSameTokenizer } from '../model';
import { resolveProvider } from '../runtime/providers';
import { loadTokenizer, type Tokenizer } from '../tokenizer/load-tokenizer';
import type { ResolvedModelRef, RunnerDeps } from './deps';
import type { RunPlan } from './plan';
import { rolesOfMethod } from './variant-roles';

export type Role = ModelRole;

export interface PreparedRun {
  resolved: Partial<Record<Role, ResolvedModelRef>>;
  /** A pair's tokenizers, already compared: loading the models reuses them. */
  tokenizers: Partial<Record<Role, Tokenizer>>;
  dataset: LoadedDataset;
  /** Valid but hardly meant (environment.warnings). */
  warnings: string[];
}

export function rolesOf(plan: RunPlan): Role[] {
  return (['small', 'large'] as const).filter((r) => plan.variants.some((v) => rolesOfMethod(v.method).includes(r)));
}

/** A role's model at one dtype, and the variants that decode with it. */
export interface RoleExport {
  role: Role;
  dtype: WeightDType;
  variants: string[];
}

/** Every (role, dtype) the run's variants use, small before large, in the order of the variants that first use them. */
export function exportsOf(plan: RunPlan): RoleExport[] {
  const out: RoleExport[] = [];
  for (const role of rolesOf(plan))
    for (const v of plan.variants) {
      const dtype = v.dtypes?.[role];
      if (!dtype) continue;
      const e = out.find((x) => x.role === role && x.dtype === dtype);
      if (e) e.variants.push(v.id);
      else out.push({ role, dtype, variants: [v.id] });
    }
  return out;
}

/** The large checkpoint drafting for itself at the same dtype: valid, but BiLD then costs more than large alone. */
function sameExportWarning(plan: RunPlan, smallFolder: string, largeFolder: string): string | undefined {
  const same = plan.variants.filter((v) => v.dtypes?.small && v.dtypes.small === v.dtypes.large);
  if (smallFolder !== largeFolder || !same.length) return undefined;
  return (
    `the small and the large model are the same checkpoint at the same dtype in ${same.map((v) => `'${v.id}'`).join(', ')} ` +
    `(${same[0]!.dtypes!.small}): the drafter is as slow as the model it drafts for; a lower small dtype (--small_dtype q4) makes it a quantized drafter`
  );
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
  const warnings: string[] = [];
  if (resolved.small && resolved.large) {
    const [small, large] = await Promise.all([loadTokenizer(resolved.small.folder), loadTokenizer(resolved.large.folder)]);
    checkSameTokenizer({ checkpointDir: resolved.small.folder, tokenizer: small }, { checkpointDir: resolved.large.folder, tokenizer: large });
    Object.assign(tokenizers, { small, large });
    const same = sameExportWarning(plan, resolved.small.folder, resolved.large.folder);
    if (same) warnings.push(same);
  }
  progress('dataset', plan.spec.dataset.name);
  const dataset = await deps.loadDataset(plan.dataset, { hub: { signal } });
  if (dataset.examples.length === 0) throw new UserError(`dataset ${dataset.id} (${dataset.split}) has no examples`);
  if (plan.warmup > dataset.examples.length)
    throw new UserError(`warmup: ${plan.warmup} is above the bound of the run's ${dataset.examples.length} examples (dataset ${dataset.id}, ${dataset.split})`);
  return { resolved, tokenizers, dataset, warnings };
}
