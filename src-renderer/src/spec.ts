// Turns the form into the engine's RunSpec / SweepSpec (the engine validates every value).
import type { DatasetRef, RunSpec, SweepSpec, Task } from '../../src-main/engine/api/types';
import { BILD_DEFAULTS, DEFAULT_REPEATS, DEFAULT_WARMUP, SPECULATIVE_DEFAULT_DRAFT } from '../../src-main/engine/run-defaults';
import { DATASET_FILE, store, type RunConfig } from './store';
import { extraVariants, quantizedInUse, usesRole } from './weights';

/** The BiLD paper's threshold ranges per task: the engine's default sweep grids. */
export { PAPER_GRIDS } from '../../src-main/engine/runner/sweep-grid';

export function datasetTask(c: RunConfig): Task {
  if (c.dataset === DATASET_FILE) return c.fileTask;
  return store.datasets.find((d) => d.name === c.dataset)?.task ?? 'translation';
}

function datasetRef(c: RunConfig): DatasetRef {
  if (c.dataset !== DATASET_FILE) return { name: c.dataset, split: c.split, limit: c.limit };
  const field = (f: string): string | undefined => f.trim() || undefined;
  return { name: c.filePath.trim(), split: c.split, limit: c.limit, task: c.fileTask, sourceField: field(c.sourceField), targetField: field(c.targetField) };
}

/** The engine's defaults for the advanced fields, shown as placeholders. */
export const ENGINE_DEFAULTS = {
  maxSmall: BILD_DEFAULTS.maxSmall,
  draft: SPECULATIVE_DEFAULT_DRAFT,
  maxLength: BILD_DEFAULTS.maxLength,
  warmup: DEFAULT_WARMUP,
  repeats: DEFAULT_REPEATS,
} as const;

/** An advanced field's value, or undefined (the engine's default) when left empty. */
const given = (v: number | ''): number | undefined => (v === '' ? undefined : v);

/** Settings both runs and sweeps take. */
function common(c: RunConfig): Pick<RunSpec, 'maxLength' | 'warmup' | 'repeats'> {
  return { maxLength: given(c.maxLength), warmup: given(c.warmup), repeats: given(c.repeats) };
}

/**
 * The weight settings as the form shows them: the small dtype only where a method uses the small
 * model, the quantization options only where something is quantized (hidden fields are not sent).
 */
function weights(c: RunConfig, mode: 'run' | 'sweep'): Pick<RunSpec, 'dtype' | 'smallDtype' | 'blockSize' | 'accuracyLevel'> {
  const quantized = quantizedInUse(c, mode);
  return {
    dtype: c.dtype,
    smallDtype: c.smallDtype === '' || !usesRole(c, mode, 'small') ? undefined : c.smallDtype,
    blockSize: quantized ? given(c.blockSize) : undefined,
    accuracyLevel: quantized ? given(c.accuracyLevel) : undefined,
  };
}

export function runSpec(c: RunConfig): RunSpec {
  const onlyLarge = c.methods.length === 1 && c.methods[0] === 'large';
  return {
    models: onlyLarge ? { large: c.large } : { small: c.small, large: c.large },
    methods: [...c.methods, ...extraVariants(c)],
    bild: c.methods.includes('bild') ? { fallback: c.fallback, rollback: c.rollback, maxSmall: given(c.maxSmall) } : undefined,
    draft: c.methods.includes('speculative') ? given(c.draft) : undefined,
    ...common(c),
    dataset: datasetRef(c),
    ep: c.ep,
    allowCpuFallback: c.allowCpuFallback,
    ...weights(c, 'run'),
    pipeline: c.ep === 'cpu' && c.pipeline,
    label: c.label.trim() || undefined,
  };
}

export function sweepSpec(c: RunConfig, fallbacks: number[], rollbacks: number[], includeSmall: boolean): SweepSpec {
  return {
    models: { small: c.small, large: c.large },
    fallbacks,
    rollbacks,
    includeSmall,
    maxSmall: given(c.maxSmall),
    ...common(c),
    dataset: datasetRef(c),
    ep: c.ep,
    allowCpuFallback: c.allowCpuFallback,
    ...weights(c, 'sweep'),
    pipeline: c.ep === 'cpu' && c.pipeline,
    label: c.label.trim() || undefined,
  };
}

/** "0.5, 0.6 0.7" -> [0.5, 0.6, 0.7]; null when something is not a number. */
export function parseList(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  const nums = parts.map(Number);
  return nums.length > 0 && nums.every(Number.isFinite) ? nums : null;
}
