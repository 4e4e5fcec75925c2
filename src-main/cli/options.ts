import { UserError } from '../engine/errors';
import { numberOpt, type ParsedArgs } from './command';
import { LIMITS } from '../engine/limits';
import type { WeightDType } from '../engine/onnx/t5-weights';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../engine/runtime/execution-provider';


export function parseEp(value: string | undefined): ExecutionProvider {
  if (value === undefined) return 'cpu';
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(value)) throw new UserError(`--ep: '${value}' is not one of ${EXECUTION_PROVIDERS.join(', ')}`);
  return value as ExecutionProvider;
}

/** --dtype: fp32 (default) or fp16. */
export function parseDtype(value: string | undefined): WeightDType {
  if (value === undefined || value === 'fp32' || value === 'fp16') return value ?? 'fp32';
  throw new UserError(`--dtype: '${value}' is not one of fp32, fp16`);
}

/** --bild_fallback, --bild_rollback, --max_small as given (undefined when absent), range-checked. */
export function bildOptions(args: ParsedArgs): { fallback?: number; rollback?: number; maxSmall?: number } {
  return {
    fallback: numberOpt(args, 'bild_fallback', { min: 0, max: 1 }),
    rollback: numberOpt(args, 'bild_rollback', { min: 0, minExclusive: true }),
    maxSmall: numberOpt(args, 'max_small', { min: 1, max: LIMITS.maxSmall, integer: true }),
  };
}
