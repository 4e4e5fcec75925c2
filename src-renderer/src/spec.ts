// Turns the form into the engine's RunSpec / SweepSpec (the engine validates every value).
import type { DatasetRef, RunSpec, SweepSpec, Task } from '../../src-main/engine/api/types';
import { BILD_DEFAULTS, DEFAULT_REPEATS, DEFAULT_WARMUP, SPECULATIVE_DEFAULT_DRAFT } from '../../src-main/engine/run-defaults';
import { DATASET_FILE, store, type RunConfig } from './store';

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

export function runSpec(c: RunConfig): RunSpec {
  const onlyLarge = c.methods.length === 1 && c.methods[0] === 'large';
  return {
    models: onlyLarge ? { large: c.large } : { small: c.small, large: c.large },
    methods: [...c.methods],
    bild: c.methods.includes('bild') ? { fallback: c.fallback, rollback: c.rollback, maxSmall: given(c.maxSmall) } : undefined,
    draft: c.methods.includes('speculative') ? given(c.draft) : undefined,
    ...common(c),
    dataset: datasetRef(c),
    ep: c.ep,
    allowCpuFallback: c.allowCpuFallback,
    dtype: c.dtype,
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
    dtype: c.dtype,
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
