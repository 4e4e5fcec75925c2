import { UserError } from '../engine/errors';
import { numberOpt, stringOpt, type Options, type ParsedArgs } from './command';
import { LIMITS } from '../engine/limits';
import { BLOCK_SIZES, MAX_ACCURACY_LEVEL, parseWeightDType, WEIGHT_DTYPES, weightFormat, type WeightDType } from '../engine/onnx/t5-weights';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../engine/runtime/execution-provider';


export function parseEp(value: string | undefined): ExecutionProvider {
  if (value === undefined) return 'cpu';
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(value)) throw new UserError(`--ep: '${value}' is not one of ${EXECUTION_PROVIDERS.join(', ')}`);
  return value as ExecutionProvider;
}

/** --dtype: fp32 (default), fp16, int8 or q4. */
export function parseDtype(value: string | undefined): WeightDType {
  return value === undefined ? 'fp32' : parseWeightDType('--dtype', value);
}

/** The weight flags of every command that exports: --dtype and, for int8/q4, the quantization's. */
export const WEIGHT_OPTIONS: Options = { dtype: { type: 'string' }, block_size: { type: 'string' }, accuracy_level: { type: 'string' } };
export const WEIGHT_USAGE = `[--dtype ${WEIGHT_DTYPES.join('|')} [--block_size ${BLOCK_SIZES.join('|')}] [--accuracy_level 0..${MAX_ACCURACY_LEVEL}]]`;

/** --dtype (undefined when absent), --block_size and --accuracy_level as given; a run checks them against all its dtypes (runner/plan.ts). */
export function parseWeightOptions(args: ParsedArgs): { dtype?: WeightDType; blockSize?: number; accuracyLevel?: number } {
  const flagValue = stringOpt(args, 'dtype');
  return {
    dtype: flagValue === undefined ? undefined : parseDtype(flagValue),
    blockSize: numberOpt(args, 'block_size', { integer: true }),
    accuracyLevel: numberOpt(args, 'accuracy_level', { integer: true }),
  };
}

/** --dtype (undefined when absent), --block_size and --accuracy_level, checked together: the last two apply to int8/q4 only. */
export function weightOptions(args: ParsedArgs): { dtype?: WeightDType; blockSize?: number; accuracyLevel?: number } {
  const { dtype, blockSize, accuracyLevel } = parseWeightOptions(args);
  weightFormat({ dtype, blockSize, accuracyLevel }, { dtype: '--dtype', blockSize: '--block_size', accuracyLevel: '--accuracy_level' });
  return { dtype, blockSize, accuracyLevel };
}

/** --bild_fallback, --bild_rollback, --max_small as given (undefined when absent), range-checked. */
export function bildOptions(args: ParsedArgs): { fallback?: number; rollback?: number; maxSmall?: number } {
  return {
    fallback: numberOpt(args, 'bild_fallback', { min: 0, max: 1 }),
    rollback: numberOpt(args, 'bild_rollback', { min: 0, minExclusive: true }),
    maxSmall: numberOpt(args, 'max_small', { min: 1, max: LIMITS.maxSmall, integer: true }),
  };
}
