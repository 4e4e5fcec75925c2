import type { ConfidenceInterval, EngineApi, EngineEvent, MethodRef, RunSpec, RunSummary, VariantSummary } from '../../engine/api';
import { createInProcessEngine } from '../../engine/api';
import { UserError } from '../../engine/errors';
import { flag, numberOpt, stringOpt, type Command, type Options, type ParsedArgs } from '../command';
import { bildOptions, parseEp, parseWeightOptions, WEIGHT_OPTIONS } from '../options';
import { ProgressBar } from '../progress-bar';
import { textTable } from '../text-table';
import { SLURM_OPTIONS, SLURM_USAGE, slurmOptionsOf, submitToSlurm } from '../slurm-submit';

/** Flags shared by `run` and `sweep`, named as in the official BiLD scripts where they exist. */
export const COMMON_OPTIONS: Options = {
  small: { type: 'string' },
  large: { type: 'string' },
  dataset_name: { type: 'string' },
  dataset_config: { type: 'string' },
  dataset_revision: { type: 'string' },
  split: { type: 'string' },
  task: { type: 'string' },
  source_lang: { type: 'string' },
  target_lang: { type: 'string' },
  source_prefix: { type: 'string' },
  source_field: { type: 'string' },
  target_field: { type: 'string' },
  text_column: { type: 'string' },
  summary_column: { type: 'string' },
  limit: { type: 'string' },
  max_eval_samples: { type: 'string' },
  seed: { type: 'string' },
  max_length: { type: 'string' },
  max_source_length: { type: 'string' },
  max_small: { type: 'string' },
  draft: { type: 'string' },
  bild_pipeline: { type: 'boolean' },
  ep: { type: 'string' },
  allow_cpu_fallback: { type: 'boolean' },
  ...WEIGHT_OPTIONS,
  small_dtype: { type: 'string' },
  threads: { type: 'string' },
  warmup: { type: 'string' },
  repeats: { type: 'string' },
  out: { type: 'string' },
  label: { type: 'string' },
  json: { type: 'boolean' },
};

/** The request fields both commands share; models and methods are each command's own. */
export function commonSpec(args: ParsedArgs): Omit<RunSpec, 'models' | 'methods' | 'bild'> {
  const name = stringOpt(args, 'dataset_name');
  if (!name) throw new UserError('missing required option --dataset_name (demo, a preset, a Hub dataset id or a file)');
  const task = stringOpt(args, 'task');
  if (task !== undefined && task !== 'translation' && task !== 'summarization')
    throw new UserError(`--task: '${task}' is not one of translation, summarization`);
  return {
    dataset: {
      name,
      config: stringOpt(args, 'dataset_config'),
      split: stringOpt(args, 'split'),
      revision: stringOpt(args, 'dataset_revision'),
      task,
      sourceLang: stringOpt(args, 'source_lang'),
      targetLang: stringOpt(args, 'target_lang'),
      prefix: stringOpt(args, 'source_prefix'),
      // --text_column/--summary_column: the names of HF's summarization script
      sourceField: stringOpt(args, 'source_field') ?? stringOpt(args, 'text_column'),
      targetField: stringOpt(args, 'target_field') ?? stringOpt(args, 'summary_column'),
      limit: numberOpt(args, 'limit', { min: 1, integer: true }) ?? numberOpt(args, 'max_eval_samples', { min: 1, integer: true }),
      seed: numberOpt(args, 'seed', { integer: true }),
    },
    maxLength: numberOpt(args, 'max_length', { min: 2, integer: true }),
    maxSourceLength: numberOpt(args, 'max_source_length', { min: 1, integer: true }),
    draft: numberOpt(args, 'draft', { min: 1, integer: true }),
    pipeline: flag(args, 'bild_pipeline') || undefined,
    ep: parseEp(stringOpt(args, 'ep')),
    allowCpuFallback: flag(args, 'allow_cpu_fallback') || undefined,
    ...parseWeightOptions(args), // checked against every dtype of the run by its plan
    smallDtype: stringOpt(args, 'small_dtype') as RunSpec['smallDtype'], // checked by the plan, like --methods
    threads: numberOpt(args, 'threads', { min: 0, integer: true }),
    warmup: numberOpt(args, 'warmup', { min: 0, integer: true }),
    repeats: numberOpt(args, 'repeats', { min: 1, integer: true }),
    outDir: stringOpt(args, 'out'),
    label: stringOpt(args, 'label'),
  };
}

function fmt(v: number | null, digits = 2): string {
  return v === null || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

/** `27.30 [26.10, 28.40]`; the bare value for runs recorded without intervals. */
export function withInterval(value: string, ci: ConfidenceInterval | null | undefined, digits = 2): string {
  return ci ? `${value} [${fmt(ci[0], digits)}, ${fmt(ci[1], digits)}]` : value;
}

/** `S q4 L fp32`: each role's dtype, small first. */
function weightsCell(r: VariantSummary): string {
  return (['small', 'large'] as const).flatMap((role) => (r.dtypes?.[role] ? [`${role === 'small' ? 'S' : 'L'} ${r.dtypes[role]}`] : [])).join(' ');
}

/** Lower-precision variants against their fp32 counterparts (VariantSummary.vsFp32), a line each; empty without any. */
export function fp32Comparison(rows: readonly VariantSummary[]): string[] {
  const compared = rows.filter((r) => r.vsFp32);
  if (!compared.length) return [];
  const signed = (x: number): string => (x >= 0 ? '+' : '') + x.toFixed(2);
  return [
    `Against fp32 on the same sentences (${rows[0]!.quality.primaryName} difference [95% paired bootstrap], identical outputs, same BiLD/speculative decisions per position):`,
    ...compared.map((r) => {
      const c = r.vsFp32!;
      const decisions = c.decisionAgreement === null ? '' : `, decisions ${(100 * c.decisionAgreement).toFixed(2)}% of ${c.comparedPositions} positions`;
      return `  ${r.variant} vs ${c.baseline}: ${signed(c.metricDelta)} [${signed(c.metricDeltaCI[0])}, ${signed(c.metricDeltaCI[1])}], identical ${(100 * c.identical).toFixed(1)}%${decisions}`;
    }),
  ];
}

/**
 * A fixed-width table of the variant summaries, with a line saying what the intervals are; a
 * WEIGHTS column (each role's dtype) where a variant is not fp32, and the comparisons with fp32.
 */
export function summaryTable(rows: readonly VariantSummary[]): string {
  const weights = rows.some((r) => Object.values(r.dtypes ?? {}).some((d) => d !== 'fp32'));
  const head = ['VARIANT', ...(weights ? ['WEIGHTS'] : []), rows[0]?.quality.primaryName ?? 'QUALITY', 'MS MEAN', 'MEDIAN', 'P90', 'P99', 'TOK/S', 'SPEEDUP', 'FB %', 'RB %', 'ACC LEN', 'SAME AS L'];
  const cells = rows.map((r) => [
    r.variant,
    ...(weights ? [weightsCell(r)] : []),
    withInterval(fmt(r.quality.primary), r.qualityCI),
    fmt(r.latencyMs.mean, 1),
    fmt(r.latencyMs.median, 1),
    fmt(r.latencyMs.p90, 1),
    fmt(r.latencyMs.p99, 1),
    fmt(r.tokensPerSecond, 0),
    r.speedup === null ? '-' : withInterval(`${r.speedup.toFixed(2)}x`, r.speedupCI),
    fmt(r.fallbackPct, 1),
    fmt(r.rollbackPct, 1),
    fmt(r.meanAcceptedLength),
    r.identicalToLarge === null ? '-' : `${(100 * r.identicalToLarge).toFixed(0)}%`,
  ]);
  const table = textTable(head, cells, new Set(head.map((_, i) => i).slice(1))); // numbers right-aligned
  const b = rows[0]?.bootstrap;
  const notes = b ? [`[low, high]: ${Math.round(100 * b.confidence)}% bootstrap intervals, paired over sentences (${b.resamples} resamples, seed ${b.seed})`] : [];
  if (weights) notes.push('WEIGHTS: the dtype of each model the variant uses (S small, L large); the exports are in summary.json, environment.models');
  const baseline = rows[0]?.baseline;
  if (baseline && rows.filter((r) => r.method === 'large').length > 1) notes.push(`SPEEDUP, SAME AS L: against ${baseline}`); // which large, where there are several
  const comparison = fp32Comparison(rows);
  return [table, ...notes, ...(comparison.length ? ['', ...comparison] : [])].join('\n');
}

/**
 * Starts a job, shows its progress on stderr, cancels it on Ctrl-C (a second Ctrl-C quits at
 * once) and returns its summary; the exit code is 130 for a cancelled run, as for SIGINT.
 */
export async function runJob(
  start: (engine: EngineApi) => Promise<{ runId: string }>,
  print: (summary: RunSummary, json: boolean) => void,
  json: boolean,
): Promise<number> {
  const engine = createInProcessEngine();
  const bar = new ProgressBar('decoding');
  let exportBar: ProgressBar | undefined;
  let runId: string | undefined;
  const unsubscribe = engine.subscribe((e: EngineEvent) => {
    if (e.runId !== runId) return;
    if (e.type === 'progress' && e.stage === 'export') (exportBar ??= new ProgressBar('exporting')).update(e.done, e.total);
    else if (e.type === 'progress' && e.stage === 'decode') bar.update(e.done, e.total);
    else if (e.type === 'run-started') {
      exportBar?.done();
      process.stderr.write(`run ${e.runId}: ${e.total} sentences x ${e.variants.length} variants -> ${e.outDir}\n`);
    }
  });
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\ncancelling (Ctrl-C again to quit at once)...\n');
    if (runId) void engine.cancelRun(runId).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  try {
    runId = (await start(engine)).runId;
    if (interrupts > 0) await engine.cancelRun(runId);
    const summary = await engine.waitForRun(runId);
    bar.done();
    print(summary, json);
    if (summary.status === 'cancelled') process.stderr.write(`cancelled: partial result over ${summary.sentences} sentences in ${summary.outDir}\n`);
    return summary.status === 'cancelled' ? 130 : 0;
  } finally {
    bar.done();
    process.off('SIGINT', onSigint);
    unsubscribe();
    await engine.close();
  }
}

/** Checked by the plan (unknown methods and dtypes are refused there, by name). */
function parseMethods(raw: string | undefined): MethodRef[] | undefined {
  return raw === undefined ? undefined : (raw.split(',').map((s) => s.trim()).filter(Boolean) as MethodRef[]);
}

export const runCommand: Command = {
  name: 'run',
  summary: 'benchmark BiLD against baselines over a dataset (CSV, JSON, history)',
  usage:
    `bild-bench run --model bild --small S --large L --dataset_name D [--dataset_config C] [--split validation] [--source_lang de --target_lang en] [--source_field F --target_field F] [--bild_fallback FB] [--bild_rollback RB] [--bild_pipeline] [--limit N] [--max_length N] [--max_source_length N] [--methods large,small,bild,speculative (each optionally @fp32|fp16|int8|q4: large@q4, bild@q4)] [--repeats N] [--ep cpu|cuda|webgpu|dml|coreml [--allow_cpu_fallback]] [--dtype fp32|fp16|int8|q4 [--small_dtype D] [--block_size N] [--accuracy_level N]] [--out DIR] [--json] ${SLURM_USAGE}   |   bild-bench run --model <path|hub-id|catalog-name> --dataset_name D ...`,
  options: {
    ...COMMON_OPTIONS,
    ...SLURM_OPTIONS,
    model: { type: 'string' },
    methods: { type: 'string' },
    bild_fallback: { type: 'string' },
    bild_rollback: { type: 'string' },
  },
  async run(args) {
    const model = stringOpt(args, 'model');
    const small = stringOpt(args, 'small');
    const large = stringOpt(args, 'large');
    let models: RunSpec['models'];
    if (model === undefined || model === 'bild' || model === 'speculative') {
      if (!small || !large) throw new UserError(`${model ? `--model ${model}` : 'a pair run'} needs --small and --large`);
      models = { small, large };
    } else {
      if (small || large) throw new UserError('--model <checkpoint> runs one model alone; use --model bild with --small and --large for a pair');
      models = { large: model };
    }
    const spec: RunSpec = {
      ...commonSpec(args),
      models,
      methods: parseMethods(stringOpt(args, 'methods')),
      bild: bildOptions(args),
    };
    const json = flag(args, 'json');
    const slurm = slurmOptionsOf(args);
    if (slurm) return submitToSlurm({ kind: 'run', spec }, slurm, json);
    return runJob(
      (engine) => engine.startRun(spec),
      (summary, asJson) =>
        process.stdout.write(asJson ? JSON.stringify(summary, null, 2) + '\n' : summaryTable(summary.summaries) + `\n\nresults: ${summary.outDir}\n`),
      json,
    );
  },
};
