// The Run form's weight settings (issue #17) as the engine reads them: which dtype each variant's
// roles load, so the form offers only variants that differ and sends block size and accuracy
// level only where a variant is quantized (the engine refuses them otherwise).
import type { Method, MethodRef, WeightDType } from '../../src-main/engine/api/types';
import type { RunConfig } from './store';

/** The engine's WEIGHT_DTYPES, BLOCK_SIZES and accuracy levels (onnx/t5-weights.ts, which the renderer cannot import: it loads node modules). */
export const WEIGHT_DTYPES: readonly WeightDType[] = ['fp32', 'fp16', 'int8', 'q4'];
export const BLOCK_SIZES: readonly number[] = [16, 32, 64, 128, 256];
export const ACCURACY_LEVELS: readonly number[] = [0, 1, 2, 3, 4];
export const ENGINE_QUANT_DEFAULTS = { blockSize: 32, accuracyLevel: 4 } as const;

const QUANTIZED: readonly WeightDType[] = ['int8', 'q4'];

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
  return dtypesInUse(c, mode).some((d) => QUANTIZED.includes(d));
}
