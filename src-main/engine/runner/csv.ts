/** The run's CSVs (columns documented in docs/runs.md): per sentence and variant, and per variant's summary. */
import type { RunSummary, SentenceResult, Variant, VariantSummary } from '../api/types';

export const CSV_COLUMNS = [
  'run_id',
  'position',
  'example_index',
  'variant',
  'method',
  'bild_fallback',
  'bild_rollback',
  'tokens',
  'small_tokens',
  'large_tokens',
  'small_calls',
  'large_calls',
  'fallbacks',
  'rollbacks',
  'rolled_back_tokens',
  'accepted_length',
  'encoder_ms',
  'decode_ms',
  'total_ms',
  'metric',
  'identical_to_large',
  'output',
  'reference',
  'source',
  // schema 2: appended, so that readers of schema 1 find the columns above where they were
  'origins',
  'rolled_back',
  // each role's weight dtype (empty for a role the method does not use, and in runs recorded before per-variant dtypes)
  'small_dtype',
  'large_dtype',
] as const;

/** RFC 4180: quote fields with a comma, quote or line break; double inner quotes. */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(',') + '\n';
}

/** Rows (newline-terminated) of one sentence; thresholds and dtypes come from the variants (by id). */
export function csvRows(runId: string, s: SentenceResult, variants: ReadonlyMap<string, Variant>): string {
  let out = '';
  for (const o of s.outputs) {
    const v = variants.get(o.variant);
    const t = v?.bild;
    const cells = [
      runId,
      s.position,
      s.exampleIndex,
      o.variant,
      o.method,
      t?.fallback,
      t?.rollback,
      o.tokens,
      o.smallTokens,
      o.largeTokens,
      o.smallCalls,
      o.largeCalls,
      o.fallbacks,
      o.rollbacks,
      o.rolledBackTokens,
      o.acceptedLength,
      o.encoderMs,
      o.decodeMs,
      o.totalMs,
      o.metric,
      o.identicalToLarge,
      o.text,
      s.reference,
      s.source,
      o.trace?.origin,
      o.trace?.rollbacks.map((r) => `${r.position}:${r.removed.length}`).join(' '),
      v?.dtypes?.small,
      v?.dtypes?.large,
    ];
    out += cells.map(csvField).join(',') + '\n';
  }
  return out;
}

export const SUMMARY_CSV_COLUMNS = [
  'schema_version',
  'run_id',
  'kind',
  'variant',
  'method',
  'bild_fallback',
  'bild_rollback',
  'sentences',
  'metric_name',
  'metric',
  'metric_low',
  'metric_high',
  'mean_ms',
  'speedup',
  'speedup_low',
  'speedup_high',
  'identical_to_large',
  'baseline',
  'fallback_pct',
  'rollback_pct',
  'same_outputs_as',
  'deviations',
  // per-variant weights and the comparison with the fp32 counterpart (VariantSummary.vsFp32); empty where none
  'small_dtype',
  'large_dtype',
  'block_size',
  'vs_fp32',
  'metric_delta',
  'metric_delta_low',
  'metric_delta_high',
  'identical_to_fp32',
  'decision_agreement',
] as const;

/** The block size of the variant's quantized exports (one per run), from the environment's models. */
function blockSize(summary: RunSummary, v: VariantSummary): number | undefined {
  return summary.environment?.models.find((m) => m.quant && v.dtypes?.[m.role] === m.dtype)?.quant?.blockSize;
}

/** The per-variant summary CSV (header included): summary.json's headline figures with their 95% intervals, empty where a run has none. */
export function summaryCsv(summary: RunSummary): string {
  // the deviations are part of every result a user may quote (docs/runs.md, Environment); one cell, ' | ' between them,
  // the variant's own (a run recorded before they were per variant: the run's)
  const env = summary.environment;
  const deviations = (v: VariantSummary): string | undefined => (env?.variantDeviations?.[v.variant] ?? env?.deviations)?.join(' | ');
  const rows = summary.summaries.map((v) =>
    [
      summary.schemaVersion,
      summary.runId,
      summary.kind,
      v.variant,
      v.method,
      v.bild?.fallback,
      v.bild?.rollback,
      v.sentences,
      v.quality.primaryName,
      v.quality.primary,
      v.qualityCI?.[0],
      v.qualityCI?.[1],
      v.latencyMs.mean,
      v.speedup,
      v.speedupCI?.[0],
      v.speedupCI?.[1],
      v.identicalToLarge,
      v.baseline,
      v.fallbackPct,
      v.rollbackPct,
      v.sameOutputsAs,
      deviations(v),
      v.dtypes?.small,
      v.dtypes?.large,
      blockSize(summary, v),
      v.vsFp32?.baseline,
      v.vsFp32?.metricDelta,
      v.vsFp32?.metricDeltaCI[0],
      v.vsFp32?.metricDeltaCI[1],
      v.vsFp32?.identical,
      v.vsFp32?.decisionAgreement,
    ]
      .map(csvField)
      .join(','),
  );
  return [SUMMARY_CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}

/** Parses RFC 4180 text (for tests and re-imports): rows of string cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else if (c !== '\r') cell += c;
  }
  if (cell !== '' || row.length) row.push(cell), rows.push(row);
  return rows;
}
