/**
 * Variants that decoded every sentence the same way as an earlier variant: same text and the same
 * work (model calls, fallbacks, rollbacks). Such cells (two rollback thresholds that never
 * trigger, say) ran the same computation, so their timing differences are noise.
 */
import type { Variant, VariantOutput } from '../api/types';
import type { DecodeTotals } from '../decoding/counters';

const WORK: readonly (keyof DecodeTotals | 'tokens' | 'text')[] = [
  'text',
  'tokens',
  'smallTokens',
  'largeTokens',
  'smallCalls',
  'largeCalls',
  'fallbacks',
  'rollbacks',
  'rolledBackTokens',
];

function sameDecoding(a: readonly VariantOutput[], b: readonly VariantOutput[]): boolean {
  return a.every((x, i) => WORK.every((k) => x[k] === b[i]![k]));
}

/** Per variant, the id of the first earlier variant with the same decoding on every sentence, else null. */
export function sameOutputsAs(variants: readonly Variant[], outputs: readonly (readonly VariantOutput[])[]): (string | null)[] {
  const firsts: number[] = [];
  return variants.map((_, j) => {
    const twin = firsts.find((f) => sameDecoding(outputs[f]!, outputs[j]!));
    if (twin === undefined) {
      firsts.push(j);
      return null;
    }
    return variants[twin]!.id;
  });
}

/** Share (0–1) of sentences on which two variants wrote the same output text. */
export function sameTextShare(a: readonly VariantOutput[], b: readonly VariantOutput[]): number {
  return a.length ? a.filter((x, i) => x.text === b[i]!.text).length / a.length : NaN;
}
