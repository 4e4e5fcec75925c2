/**
 * A run's deliberate deviations (docs/runs.md, Environment): BiLD's own, and each export's (fp16
 * compute, quantization) said of the variants that use that export, so an fp32 variant beside a
 * q4 one does not claim quantization.
 */
import type { ModelInfo, Variant } from '../api/types';
import { BILD_DEVIATIONS } from '../decoding/bild';
import { FP16_COMPUTE_DEVIATION } from '../onnx/t5-graphs';
import { quantDeviation } from '../onnx/t5-weights';

export interface RunDeviations {
  /** Environment.deviations: BiLD's, then each export's prefixed with the variants it applies to (`large@q4, bild@q4: ...`). */
  all: string[];
  /** Environment.variantDeviations: per variant id, only what applies to it (BiLD's for BiLD variants), unprefixed. */
  byVariant: Record<string, string[]>;
}

function exportDeviations(m: ModelInfo): string[] {
  return [...(m.compute === 'fp16' ? [FP16_COMPUTE_DEVIATION] : []), ...(m.quant ? [quantDeviation(m.quant)] : [])];
}

export function runDeviations(variants: readonly Variant[], models: readonly ModelInfo[]): RunDeviations {
  const users = new Map<string, Set<string>>(); // deviation -> the variants it applies to, in the variants' order
  for (const m of models)
    for (const d of exportDeviations(m)) {
      const ids = users.get(d) ?? new Set<string>();
      for (const v of variants) if (!m.variants || m.variants.includes(v.id)) ids.add(v.id);
      users.set(d, ids);
    }
  const ordered = (ids: Set<string>): string[] => variants.map((v) => v.id).filter((id) => ids.has(id));
  return {
    all: [...BILD_DEVIATIONS, ...[...users].map(([d, ids]) => `${ordered(ids).join(', ')}: ${d}`)],
    byVariant: Object.fromEntries(
      variants.map((v) => [v.id, [...(v.method === 'bild' ? BILD_DEVIATIONS : []), ...[...users].filter(([, ids]) => ids.has(v.id)).map(([d]) => d)]]),
    ),
  };
}
