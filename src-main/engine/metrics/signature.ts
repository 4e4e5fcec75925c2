/**
 * The sacreBLEU release whose behaviour these metrics reproduce. Signatures carry it as
 * `version:2.6.0` so that they compare equal to sacreBLEU's own; IMPLEMENTATION says that the
 * numbers came from this project's TypeScript port, not from sacreBLEU itself.
 */
export const SACREBLEU_VERSION = '2.6.0';
export const IMPLEMENTATION = `bild-bench port of sacreBLEU ${SACREBLEU_VERSION}`;
/** rouge_score release whose behaviour the ROUGE port follows. */
export const ROUGE_SCORE_VERSION = '0.1.2';
export const ROUGE_IMPLEMENTATION = `bild-bench port of rouge_score ${ROUGE_SCORE_VERSION}`;

/** sacreBLEU's `nrefs` value: the count, or `var` when segments have different counts. */
export function nrefsField(counts: ReadonlySet<number>): string {
  return counts.size === 1 ? String([...counts][0]) : 'var';
}

/** Joins `key:value` pairs the way sacreBLEU's Signature.format does (version last). */
export function formatSignature(fields: ReadonlyArray<readonly [string, string | number]>): string {
  return [...fields, ['version', SACREBLEU_VERSION] as const].map(([k, v]) => `${k}:${v}`).join('|');
}
