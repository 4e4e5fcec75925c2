// The Run form's weight settings (issue #17) as the engine reads them: which dtype each variant's
// roles load, so the form offers only variants that differ and sends block size and accuracy
// level only where a variant is quantized (the engine refuses them otherwise).
import type { Method, MethodRef } from '../../src-main/engine/api/types';
import { DEFAULT_ACCURACY_LEVEL, DEFAULT_BLOCK_SIZE, MAX_ACCURACY_LEVEL, QUANTIZED_DTYPES, type WeightDType } from '../../src-main/engine/weight-options';
import type { RunConfig } from './store';

export { BLOCK_SIZES, WEIGHT_DTYPES } from '../../src-main/engine/weight-options';
export const ACCURACY_LEVELS: readonly number[] = Array.from({ length: MAX_ACCURACY_LEVEL + 1 }, (_, i) => i);
export const ENGINE_QUANT_DEFAULTS = { blockSize: DEFAULT_BLOCK_SIZE, accuracyLevel: DEFAULT_ACCURACY_LEVEL } as const;

/** The role whose dtype `method@dtype` sets: the small model's for small, the large one's otherwise. */
export function ownRole(m: Method): 'small' | 'large' {
  return m === 'small' ? 'small' : 'large';
}

/** The dtype a role loads in variants without a suffix. */
export function roleDtype(c: RunConfig, role: 'small' | 'large'): WeightDType {
  return role === 'small' && c.smallDtype !== '' ? c.smallDtype : c.dtype;
}

/** The extra variants of the checked methods, in the methods' order. */
export function extraVariants(c: RunConfig): MethodRef[] {
  return c.methods.flatMap((m) => c.variants.filter((v) => v.split('@')[0] === m));
}

/** Whether the run loads `role`'s model (a sweep loads both: BiLD). */
export function usesRole(c: RunConfig, mode: 'run' | 'sweep', role: 'small' | 'large'): boolean {
  return mode === 'sweep' || c.methods.some((m) => (role === 'small' ? m !== 'large' : m !== 'small'));
}

/** Every dtype the run loads: the roles its methods use at the run's dtypes, and the extra variants'. */
function dtypesInUse(c: RunConfig, mode: 'run' | 'sweep'): WeightDType[] {
  const roles = (['small', 'large'] as const).filter((r) => usesRole(c, mode, r));
  const extra = mode === 'run' ? extraVariants(c).map((v) => v.split('@')[1] as WeightDType) : [];
  return [...roles.map((r) => roleDtype(c, r)), ...extra];
}

export function quantizedInUse(c: RunConfig, mode: 'run' | 'sweep'): boolean {
  return dtypesInUse(c, mode).some((d) => QUANTIZED_DTYPES.includes(d));
}
