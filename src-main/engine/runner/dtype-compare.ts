/**
 * Lower-precision variants (`large@q4`, `bild@q4`, ...) against their fp32 counterparts on the
 * same sentences: the metric's difference, the share of identical outputs and, for traced methods,
 * how often the two made the same decision at the same output position (docs/runs.md).
 */
import type { DtypeComparison, Variant, VariantOutput } from '../api/types';
import type { DecodeTrace } from '../decoding/trace';
import { ownRole, rolesOfMethod } from './variant-roles';
import { sameTextShare } from './same-outputs';

/**
 * Per variant, the index of its fp32 counterpart, else undefined: the variant with the same method
 * and thresholds, its own role (large's for large, bild and speculative; small's for small) at
 * fp32 where this one's is not, and the other role at the same dtype.
 */
export function fp32Counterparts(variants: readonly Variant[]): (number | undefined)[] {
  return variants.map((v) => {
    const own = ownRole(v.method);
    if (!v.dtypes || v.dtypes[own] === 'fp32') return undefined;
    const i = variants.findIndex(
      (c) =>
        c.method === v.method &&
        c.bild?.fallback === v.bild?.fallback &&
        c.bild?.rollback === v.bild?.rollback &&
        rolesOfMethod(v.method).every((r) => c.dtypes?.[r] === (r === own ? 'fp32' : v.dtypes![r])),
    );
    return i < 0 ? undefined : i;
  });
}

/**
 * Positions of one sentence where both traces hold a token and every earlier token is the same (so
 * both decided in the same context), and how many of them carry the same origin letter.
 */
export function traceAgreement(a: DecodeTrace, b: DecodeTrace): { agree: number; compared: number } {
  let agree = 0;
  let compared = 0;
  for (let i = 0; i < Math.min(a.tokens.length, b.tokens.length); i++) {
    compared++;
    if (a.origin[i] === b.origin[i]) agree++;
    if (a.tokens[i] !== b.tokens[i]) break; // later positions follow different prefixes
  }
  return { agree, compared };
}

/** `v` against its counterpart `c`, sentence by sentence (same order); `delta` from the paired bootstrap. */
export function dtypeComparison(
  c: { id: string; outputs: readonly VariantOutput[]; quality: number },
  v: { outputs: readonly VariantOutput[]; quality: number },
  deltaCI: DtypeComparison['metricDeltaCI'],
): DtypeComparison {
  let agree = 0;
  let compared = 0;
  let traced = false;
  v.outputs.forEach((o, i) => {
    const base = c.outputs[i]!.trace;
    if (!o.trace || !base) return;
    traced = true;
    const s = traceAgreement(o.trace, base);
    agree += s.agree;
    compared += s.compared;
  });
  return {
    baseline: c.id,
    metricDelta: v.quality - c.quality,
    metricDeltaCI: deltaCI,
    identical: sameTextShare(v.outputs, c.outputs),
    decisionAgreement: traced && compared > 0 ? agree / compared : null,
    comparedPositions: compared,
  };
}
