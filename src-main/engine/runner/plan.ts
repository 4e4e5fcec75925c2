/**
 * Validation of run and sweep requests into a plan: every check that needs no file content, no
 * network and no model, so bad requests fail at once with a message that names the option.
 */
import type { BildThresholds, ExecutionProvider, Method, ModelRole, RunSpec, SweepSpec, Task, Variant, WeightDType } from '../api/types';
import { parseWeightDType, WEIGHT_DTYPES, weightFormat, type WeightFormat } from '../onnx/t5-weights';
import type { DatasetSpec } from '../data';
import { BILD_DEFAULTS, checkBildParams } from '../decoding/bild';
import { DEFAULT_REPEATS, DEFAULT_WARMUP } from '../run-defaults';
import { METHODS } from '../decoding/generate';
import { SPECULATIVE_DEFAULT_DRAFT } from '../decoding/speculative';
import { UserError } from '../errors';
import { DEFAULT_MAX_SOURCE_LENGTH, LIMITS, maxThreads } from '../limits';
import { EXECUTION_PROVIDERS } from '../runtime/execution-provider';
import { datasetSpecOf, taskOf } from './dataset-ref';
import { bildVariantId, PAPER_GRIDS } from './sweep-grid';
import { ownRole, rolesOfMethod } from './variant-roles';

export interface RunPlan {
  kind: 'run' | 'sweep';
  spec: RunSpec | SweepSpec;
  models: { small?: string; large?: string };
  variants: Variant[];
  dataset: DatasetSpec;
  task: Task;
  maxSmall: number;
  maxLength: number;
  /** Source tokens kept (the first ones and the EOS), as the official script's max_source_length. */
  maxSourceLength: number;
  draft: number;
  /** BiLD variants run pipelined (decoding/bild-pipelined.ts). */
  pipeline: boolean;
  ep: ExecutionProvider;
  allowCpuFallback: boolean;
  /** The run's default dtype (every variant's are in its `dtypes`). */
  dtype: WeightDType;
  /** Every dtype a variant uses, with its export options (int8/q4: the run's block size and accuracy level). */
  formats: Partial<Record<WeightDType, WeightFormat>>;
  /** undefined: per model, autoThreads() */
  threads: number | undefined;
  warmup: number;
  /** Timed decodings per sentence and method; latencies are their medians (repeats.ts). */
  repeats: number;
}

/** Each repeat multiplies the run's time; beyond 20 the median no longer gets steadier. */
const MAX_REPEATS = 20;

/** `why`: the reason for the upper bound, said in the refusal. */
function int(name: string, v: number | undefined, min: number, dflt: number, max: number, why: string): number {
  if (v === undefined) return dflt;
  // JSON.stringify: an emptied form field arrives as '' and would print as nothing
  if (!Number.isInteger(v) || v < min) throw new UserError(`${name}: ${JSON.stringify(v)} must be an integer >= ${min}`);
  if (v > max) throw new UserError(`${name}: ${v} is above the bound of ${max} (${why})`);
  return v;
}

function checkDtype(name: string, v: string | undefined): WeightDType | undefined {
  return v === undefined ? undefined : parseWeightDType(name, v);
}

/** `method` or `method@dtype`, checked. */
function parseMethodRef(ref: string): { method: Method; dtype?: WeightDType } {
  if (typeof ref !== 'string') throw new UserError(`methods: ${JSON.stringify(ref)} is not a method name`);
  const [method, dtype, ...rest] = ref.split('@');
  if (!(METHODS as readonly string[]).includes(method!) || rest.length > 0)
    throw new UserError(`methods: unknown method '${ref}' (use ${METHODS.join(', ')}, each optionally @${WEIGHT_DTYPES.join('|')}, e.g. large@q4)`);
  return { method: method as Method, dtype: checkDtype(`methods: '${ref}'`, dtype) };
}

function dtypesOf(method: Method, dflt: Record<ModelRole, WeightDType>, own?: WeightDType): Partial<Record<ModelRole, WeightDType>> {
  return Object.fromEntries(rolesOfMethod(method).map((r) => [r, r === ownRole(method) ? (own ?? dflt[r]) : dflt[r]]));
}

function sameDtypes(a: Variant, b: Variant): boolean {
  return rolesOfMethod(a.method).every((r) => a.dtypes![r] === b.dtypes![r]);
}

/** The run's variants: each method ref with the dtype of every role it uses; two refs that decode alike are refused. */
function methodVariants(refs: readonly string[], dflt: Record<ModelRole, WeightDType>, bild: BildThresholds): Variant[] {
  if (refs.length === 0) throw new UserError(`methods: give at least one of ${METHODS.join(', ')}`);
  const variants: Variant[] = [];
  for (const ref of refs) {
    const { method, dtype } = parseMethodRef(ref);
    const v: Variant = { id: dtype ? `${method}@${dtype}` : method, method, ...(method === 'bild' && { bild }), dtypes: dtypesOf(method, dflt, dtype) };
    const twin = variants.find((w) => w.method === method && sameDtypes(w, v));
    if (twin)
      throw new UserError(
        twin.id === v.id
          ? `methods: '${refs.join(',')}' names '${v.id}' twice`
          : `methods: '${v.id}' is '${twin.id}' (the run's ${ownRole(method)} dtype is ${dflt[ownRole(method)]}); give one of them`,
      );
    variants.push(v);
  }
  return variants;
}

/** Export options of every dtype the variants use; the block size and accuracy level only where one is quantized. */
function formatsOf(spec: RunSpec | SweepSpec, variants: readonly Variant[]): RunPlan['formats'] {
  const names = { dtype: 'dtype', blockSize: 'block_size', accuracyLevel: 'accuracy_level' };
  const used = [...new Set(variants.flatMap((v) => Object.values(v.dtypes!)))];
  const formats: RunPlan['formats'] = {};
  for (const dtype of used) {
    const quantized = weightFormat({ dtype }).quant !== undefined;
    formats[dtype] = quantized ? weightFormat({ dtype, blockSize: spec.blockSize, accuracyLevel: spec.accuracyLevel }, names) : { dtype };
  }
  if (!used.some((d) => formats[d]!.quant))
    weightFormat({ dtype: spec.dtype, blockSize: spec.blockSize, accuracyLevel: spec.accuracyLevel }, names); // refuses block_size/accuracy_level without a quantized dtype
  return formats;
}

/** The default dtype of each role: `dtype` for both, `smallDtype` for the small one where given. */
function roleDtypes(spec: RunSpec | SweepSpec): Record<ModelRole, WeightDType> {
  const dtype = checkDtype('dtype', spec.dtype) ?? 'fp32';
  return { large: dtype, small: checkDtype('small_dtype', spec.smallDtype) ?? dtype };
}

function checkModels(models: RunSpec['models'], methods: readonly Method[]): void {
  for (const m of methods) {
    const roles = rolesOfMethod(m);
    if (roles.includes('small') && !models.small)
      throw new UserError(`method '${m}' needs a small model (--small)${roles.includes('large') ? ' and a large model (--large)' : ''}`);
    if (roles.includes('large') && !models.large) throw new UserError(`method '${m}' needs a large model (--large)`);
  }
}

function common(spec: RunSpec | SweepSpec): Omit<RunPlan, 'kind' | 'spec' | 'variants' | 'maxSmall' | 'models' | 'dtype' | 'formats'> {
  if (!spec.dataset || typeof spec.dataset.name !== 'string') throw new UserError('a run needs a dataset');
  if (spec.ep !== undefined && !EXECUTION_PROVIDERS.includes(spec.ep)) throw new UserError(`ep: '${spec.ep}' is not one of ${EXECUTION_PROVIDERS.join(', ')}`);
  const limit = int('limit', spec.dataset.limit, 1, LIMITS.limit, LIMITS.limit, 'more examples than any split holds');
  if (spec.pipeline !== undefined && typeof spec.pipeline !== 'boolean') throw new UserError(`pipeline: '${String(spec.pipeline)}' must be true or false`);
  if (spec.pipeline && (spec.ep ?? 'cpu') !== 'cpu') throw new UserError(`pipeline: runs on the CPU provider only (the run asks for '${spec.ep}')`);
  return {
    dataset: datasetSpecOf(spec.dataset),
    task: taskOf(spec.dataset),
    maxLength: int('max_length', spec.maxLength, 2, BILD_DEFAULTS.maxLength, LIMITS.maxLength, 'decoder positions: a fixed cap, T5 has relative positions'),
    maxSourceLength: int('max_source_length', spec.maxSourceLength, 1, DEFAULT_MAX_SOURCE_LENGTH, LIMITS.maxSourceLength, "source tokens: the encoder's memory grows with their square"),
    draft: int('draft', spec.draft, 1, SPECULATIVE_DEFAULT_DRAFT, LIMITS.draft, 'a draft longer than a generation is never used'),
    pipeline: spec.pipeline === true,
    ep: spec.ep ?? 'cpu',
    allowCpuFallback: spec.allowCpuFallback === true,
    threads: spec.threads === undefined ? undefined : int('threads', spec.threads, 0, 0, maxThreads(), '4 x the cores of this machine'),
    repeats: int('repeats', spec.repeats, 1, DEFAULT_REPEATS, MAX_REPEATS, 'each repeat decodes the whole run again'),
    warmup: int('warmup', spec.warmup, 0, DEFAULT_WARMUP, Math.min(LIMITS.warmup, limit), spec.dataset.limit === undefined ? 'warm-up sentences' : 'at most the run\'s --limit'),
  };
}

export function planRun(spec: RunSpec): RunPlan {
  const models = spec.models ?? {};
  const pair = Boolean(models.small && models.large);
  const dtypes = roleDtypes(spec);
  const thresholds: BildThresholds = {
    fallback: spec.bild?.fallback ?? BILD_DEFAULTS.fallback,
    rollback: spec.bild?.rollback ?? BILD_DEFAULTS.rollback,
  };
  const maxSmall = int('max_small', spec.bild?.maxSmall, 1, BILD_DEFAULTS.maxSmall, LIMITS.maxSmall, 'more than a generation is never used');
  const rest = common(spec);
  checkBildParams({ ...thresholds, maxSmall, maxLength: rest.maxLength });
  const variants = methodVariants(spec.methods ?? (pair ? [...METHODS] : models.small && !models.large ? ['small'] : ['large']), dtypes, thresholds);
  checkModels(models, [...new Set(variants.map((v) => v.method))]);
  checkSmallDtype(spec, variants);
  const formats = formatsOf(spec, variants);
  return { kind: 'run', spec, models: { small: models.small, large: models.large }, variants, maxSmall, dtype: dtypes.large, formats, ...rest };
}

/** small_dtype without a method that uses the small model is a mistake, not a no-op. */
function checkSmallDtype(spec: RunSpec | SweepSpec, variants: readonly Variant[]): void {
  if (spec.smallDtype !== undefined && !variants.some((v) => v.dtypes!.small))
    throw new UserError(`small_dtype: the run uses no small model (methods ${variants.map((v) => v.id).join(', ')})`);
}

function checkList(name: string, xs: readonly number[]): number[] {
  if (xs.length === 0) throw new UserError(`${name}: give at least one value`);
  if (xs.length > LIMITS.gridPoints) throw new UserError(`${name}: ${xs.length} values is above the bound of ${LIMITS.gridPoints} BiLD points per sweep`);
  if (new Set(xs).size !== xs.length) throw new UserError(`${name}: a value appears twice`);
  return [...xs];
}

/** A sweep: large-only (the speedup baseline), optionally small, and BiLD at every FB × RB point. */
export function planSweep(spec: SweepSpec): RunPlan {
  const models = spec.models ?? {};
  if (!models.small || !models.large) throw new UserError('a sweep needs a small and a large model (--small, --large)');
  const dtypes = roleDtypes(spec);
  const rest = common(spec);
  const grid = PAPER_GRIDS[rest.task];
  const fallbacks = checkList('fallbacks', spec.fallbacks ?? grid.fallbacks);
  const rollbacks = checkList('rollbacks', spec.rollbacks ?? grid.rollbacks);
  const maxSmall = int('max_small', spec.maxSmall, 1, BILD_DEFAULTS.maxSmall, LIMITS.maxSmall, 'more than a generation is never used');
  if (fallbacks.length * rollbacks.length > LIMITS.gridPoints)
    throw new UserError(`fallbacks x rollbacks: ${fallbacks.length} x ${rollbacks.length} points is above the bound of ${LIMITS.gridPoints} BiLD points per sweep`);
  const variants: Variant[] = [{ id: 'large', method: 'large', dtypes: dtypesOf('large', dtypes) }];
  if (spec.includeSmall ?? true) variants.push({ id: 'small', method: 'small', dtypes: dtypesOf('small', dtypes) });
  for (const fallback of fallbacks)
    for (const rollback of rollbacks) {
      checkBildParams({ fallback, rollback, maxSmall, maxLength: rest.maxLength });
      variants.push({ id: bildVariantId(fallback, rollback), method: 'bild', bild: { fallback, rollback }, dtypes: dtypesOf('bild', dtypes) });
    }
  return { kind: 'sweep', spec, models: { small: models.small, large: models.large }, variants, maxSmall, dtype: dtypes.large, formats: formatsOf(spec, variants), ...rest };
}
