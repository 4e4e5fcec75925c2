/**
 * Validation of run and sweep requests into a plan: every check that needs no file content, no
 * network and no model, so bad requests fail at once with a message that names the option.
 */
import type { BildThresholds, ExecutionProvider, Method, QuantSpec, RunSpec, SweepSpec, Task, Variant, WeightDType } from '../api/types';
import { weightFormat } from '../onnx/t5-weights';
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
  dtype: WeightDType;
  /** int8/q4: block size and accuracy level of the quantized linears. */
  quant?: QuantSpec;
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

function needsSmall(m: Method): boolean {
  return m !== 'large';
}
function needsLarge(m: Method): boolean {
  return m !== 'small';
}

function checkMethods(methods: readonly string[]): Method[] {
  if (methods.length === 0) throw new UserError('methods: give at least one of ' + METHODS.join(', '));
  for (const m of methods)
    if (!(METHODS as readonly string[]).includes(m)) throw new UserError(`methods: unknown method '${m}' (use ${METHODS.join(', ')})`);
  if (new Set(methods).size !== methods.length) throw new UserError(`methods: '${methods.join(',')}' names a method twice`);
  return methods as Method[];
}

function checkModels(models: RunSpec['models'], methods: readonly Method[]): void {
  for (const m of methods) {
    if (needsSmall(m) && !models.small)
      throw new UserError(`method '${m}' needs a small model (--small)${m === 'small' ? '' : ' and a large model (--large)'}`);
    if (needsLarge(m) && !models.large) throw new UserError(`method '${m}' needs a large model (--large)`);
  }
}

function common(spec: RunSpec | SweepSpec): Omit<RunPlan, 'kind' | 'spec' | 'variants' | 'maxSmall' | 'models'> {
  if (!spec.dataset || typeof spec.dataset.name !== 'string') throw new UserError('a run needs a dataset');
  if (spec.ep !== undefined && !EXECUTION_PROVIDERS.includes(spec.ep)) throw new UserError(`ep: '${spec.ep}' is not one of ${EXECUTION_PROVIDERS.join(', ')}`);
  const weights = weightFormat(
    { dtype: spec.dtype, blockSize: spec.blockSize, accuracyLevel: spec.accuracyLevel },
    { dtype: 'dtype', blockSize: 'block_size', accuracyLevel: 'accuracy_level' },
  );
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
    dtype: weights.dtype,
    ...(weights.quant && { quant: weights.quant }),
    threads: spec.threads === undefined ? undefined : int('threads', spec.threads, 0, 0, maxThreads(), '4 x the cores of this machine'),
    repeats: int('repeats', spec.repeats, 1, DEFAULT_REPEATS, MAX_REPEATS, 'each repeat decodes the whole run again'),
    warmup: int('warmup', spec.warmup, 0, DEFAULT_WARMUP, Math.min(LIMITS.warmup, limit), spec.dataset.limit === undefined ? 'warm-up sentences' : 'at most the run\'s --limit'),
  };
}

export function planRun(spec: RunSpec): RunPlan {
  const models = spec.models ?? {};
  const pair = Boolean(models.small && models.large);
  const methods = checkMethods(spec.methods ?? (pair ? [...METHODS] : models.small && !models.large ? ['small'] : ['large']));
  checkModels(models, methods);
  const thresholds: BildThresholds = {
    fallback: spec.bild?.fallback ?? BILD_DEFAULTS.fallback,
    rollback: spec.bild?.rollback ?? BILD_DEFAULTS.rollback,
  };
  const maxSmall = int('max_small', spec.bild?.maxSmall, 1, BILD_DEFAULTS.maxSmall, LIMITS.maxSmall, 'more than a generation is never used');
  const rest = common(spec);
  checkBildParams({ ...thresholds, maxSmall, maxLength: rest.maxLength });
  const variants: Variant[] = methods.map((m) => (m === 'bild' ? { id: m, method: m, bild: thresholds } : { id: m, method: m }));
  return { kind: 'run', spec, models: { small: models.small, large: models.large }, variants, maxSmall, ...rest };
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
  const rest = common(spec);
  const grid = PAPER_GRIDS[rest.task];
  const fallbacks = checkList('fallbacks', spec.fallbacks ?? grid.fallbacks);
  const rollbacks = checkList('rollbacks', spec.rollbacks ?? grid.rollbacks);
  const maxSmall = int('max_small', spec.maxSmall, 1, BILD_DEFAULTS.maxSmall, LIMITS.maxSmall, 'more than a generation is never used');
  if (fallbacks.length * rollbacks.length > LIMITS.gridPoints)
    throw new UserError(`fallbacks x rollbacks: ${fallbacks.length} x ${rollbacks.length} points is above the bound of ${LIMITS.gridPoints} BiLD points per sweep`);
  const variants: Variant[] = [{ id: 'large', method: 'large' }];
  if (spec.includeSmall ?? true) variants.push({ id: 'small', method: 'small' });
  for (const fallback of fallbacks)
    for (const rollback of rollbacks) {
      checkBildParams({ fallback, rollback, maxSmall, maxLength: rest.maxLength });
      variants.push({ id: bildVariantId(fallback, rollback), method: 'bild', bild: { fallback, rollback } });
    }
  return { kind: 'sweep', spec, models: { small: models.small, large: models.large }, variants, maxSmall, ...rest };
}
