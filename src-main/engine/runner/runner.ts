/**
 * Executes a planned run or sweep: prepare (cheap checks), load each model once, warm up, then
 * decode every example with every variant on the same input, writing and announcing each
 * finished sentence. A cancel stops at the next decoder step; the sentence in flight is dropped
 * and the result over the finished ones is written with status "cancelled".
 */
import type { EngineEvent, ModelInfo, ProgressStage, RunStatus, RunSummary, SentenceResult, Variant, VariantOutput, WeightDType } from '../api/types';
import { RESULT_SCHEMA_VERSION } from '../api/types';
import type { Example } from '../data';
import { generate, type GenerateParams, type Models, type SentenceOutput } from '../decoding/generate';
import { CancelledError } from '../errors';
import type { LoadedModel } from '../model';
import type { RunnerDeps } from './deps';
import { captureEnvironment, datasetInfo, modelInfo } from './environment';
import { HistoryDiskError, type RunHistory } from './history';
import { sweepResult } from './pareto';
import type { RunPlan } from './plan';
import { exportsOf, prepareRun, type Role } from './prepare';
import { repeated } from './repeats';
import { ResultFiles } from './result-files';
import { sentenceMetric } from './sentence-metric';
import { baselineIndex, summarizeVariants } from './summary';

export interface RunContext {
  runId: string;
  outDir: string;
  deps: RunnerDeps;
  signal: AbortSignal;
  emit(event: EngineEvent): void;
  history?: RunHistory;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function variantOutput(variant: string, o: SentenceOutput, metric: number, large: SentenceOutput | undefined): VariantOutput {
  return {
    variant,
    method: o.method,
    text: o.text,
    tokens: o.tokens,
    smallTokens: o.smallTokens,
    largeTokens: o.largeTokens,
    smallCalls: o.smallCalls,
    largeCalls: o.largeCalls,
    fallbacks: o.fallbacks,
    rollbacks: o.rollbacks,
    rolledBackTokens: o.rolledBackTokens,
    acceptedLength: o.acceptedLength ?? null,
    encoderMs: o.encoderMs,
    decodeMs: o.decodeMs,
    totalMs: o.totalMs,
    metric,
    identicalToLarge: large ? sameIds(o.ids, large.ids) : null,
    trace: o.trace,
  };
}

function cancelled(signal: AbortSignal, err: unknown): boolean {
  return signal.aborted || err instanceof CancelledError;
}

export async function executeRun(plan: RunPlan, ctx: RunContext): Promise<RunSummary> {
  const { signal, runId } = ctx;
  const progress = (stage: ProgressStage, done: number, total: number, message: string): void =>
    ctx.emit({ type: 'progress', runId, stage, done, total, message });

  const { resolved, tokenizers, dataset, warnings } = await prepareRun(plan, ctx.deps, signal, (stage, msg) => progress(stage, 0, 1, msg));
  for (const w of warnings) console.warn(`bild-bench: ${w}`);
  // each (checkpoint, dtype) is loaded once: `large` and `bild` share large's fp32 export, a small
  // role that is the large checkpoint at the same dtype shares it too
  const loaded = new Map<string, LoadedModel>();
  const exports = exportsOf(plan);
  const keyOf = (role: Role, dtype: WeightDType): string => `${resolved[role]!.folder}\0${dtype}`;
  const modelOf = (role: Role, dtype: WeightDType): LoadedModel => loaded.get(keyOf(role, dtype))!;
  try {
    for (const { role, dtype } of exports) {
      const key = keyOf(role, dtype);
      if (loaded.has(key)) continue;
      const folder = resolved[role]!.folder;
      const format = plan.formats[dtype]!;
      progress('load', 0, 1, `${role} model ${folder} (${dtype})`);
      loaded.set(
        key,
        await ctx.deps.loadModel(folder, {
          ep: plan.ep,
          allowCpuFallback: plan.allowCpuFallback,
          dtype,
          blockSize: format.quant?.blockSize,
          accuracyLevel: format.quant?.accuracyLevel,
          threads: plan.threads,
          maxLength: plan.maxLength,
          tokenizer: tokenizers[role],
          signal,
          onProgress: (_stage, done, total) => progress('export', done, total, `exporting the ${role} model to ONNX (${dtype})`),
        }),
      );
    }
    const modelsOf = ({ dtypes }: Variant): Models => ({ small: dtypes!.small && modelOf('small', dtypes!.small), large: dtypes!.large && modelOf('large', dtypes!.large) });
    const byVariant = new Map(plan.variants.map((v) => [v.id, modelsOf(v)]));
    return await measure(plan, ctx, (v) => byVariant.get(v.id)!, dataset.examples, async (startedAt) => {
      const infos: ModelInfo[] = [];
      for (const e of exports)
        infos.push({ ...(await modelInfo(e.role, plan.models[e.role]!, resolved[e.role]!, modelOf(e.role, e.dtype))), variants: e.variants });
      const models = [...loaded.values()];
      const environment = captureEnvironment(plan, infos, datasetInfo(dataset, plan), startedAt, { ep: models[0]?.ep ?? plan.ep, fallback: models.find((m) => m.epFallback)?.epFallback });
      return warnings.length ? { ...environment, warnings } : environment;
    });
  } finally {
    for (const m of loaded.values()) await m.runtime.release();
  }
}

async function measure(
  plan: RunPlan,
  ctx: RunContext,
  modelsOf: (v: Variant) => Models,
  examples: readonly Example[],
  environmentAt: (startedAt: string) => Promise<RunSummary['environment']>,
): Promise<RunSummary> {
  const { signal, runId } = ctx;
  const startedAt = new Date().toISOString();
  const environment = await environmentAt(startedAt);
  const task = environment!.dataset.task;
  const params = (bild: RunPlan['variants'][number]['bild']): GenerateParams => ({
    bild: { ...bild, maxSmall: plan.maxSmall, maxLength: plan.maxLength },
    draft: plan.draft,
    maxLength: plan.maxLength,
    maxSourceLength: plan.maxSourceLength,
    pipeline: plan.pipeline,
    signal,
  });

  const summary: RunSummary = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId,
    kind: plan.kind,
    status: 'running',
    label: plan.spec.label ?? null,
    spec: plan.spec,
    variants: plan.variants,
    environment,
    sentences: 0,
    plannedSentences: examples.length,
    startedAt,
    finishedAt: null,
    summaries: [],
    sweep: null,
    overhead: null,
    error: null,
    outDir: ctx.outDir,
  };
  const files = new ResultFiles(ctx.outDir, runId, plan.variants);
  // The history is a copy of what the files hold: when it cannot be written (a locked database,
  // the run deleted by another process) the run goes on without it and says so once; when its
  // disk is full or read-only, the run stops (files and history must hold the same sentences).
  let history = ctx.history;
  const record = (write: (h: RunHistory) => void): void => {
    if (!history) return;
    try {
      write(history);
    } catch (err) {
      if (err instanceof HistoryDiskError) throw err;
      history = undefined;
      console.warn(`bild-bench: the run history stopped recording run ${runId} (${(err as Error).message}); its files in ${ctx.outDir} are complete`);
    }
  };
  try {
    files.writeSummary(summary);
    record((h) => h.insert(summary));
  } catch (err) {
    files.close();
    throw err;
  }
  ctx.emit({ type: 'run-started', runId, kind: plan.kind, variants: plan.variants, total: examples.length, environment: environment!, outDir: ctx.outDir });

  const sentences: SentenceResult[] = [];
  let overheadMs = 0;
  let generateMs = 0;
  let status: RunStatus = 'completed';
  let failure: unknown;
  try {
    // Warm-up: first calls pay for allocations and kernel selection; not timed, not recorded.
    // One variant per method and set of exports (a sweep's BiLD cells share theirs).
    const warm = plan.variants.filter((v, i) => plan.variants.findIndex((w) => w.method === v.method && JSON.stringify(w.dtypes) === JSON.stringify(v.dtypes)) === i);
    for (let w = 0; w < plan.warmup; w++) {
      for (const v of warm) await generate(v.method, modelsOf(v), examples[w % examples.length]!.source, params(v.bild));
      ctx.emit({ type: 'progress', runId, stage: 'warmup', done: w + 1, total: plan.warmup, message: 'warming up' });
    }
    const baseline = baselineIndex(plan.variants);
    for (const [position, ex] of examples.entries()) {
      signal.throwIfAborted();
      const t0 = performance.now();
      const raw: SentenceOutput[] = [];
      let gen = 0; // every decoding's own time, each repeat included; the runner's overhead is the rest
      const decode = async (v: (typeof plan.variants)[number]): Promise<SentenceOutput> => {
        const o = await generate(v.method, modelsOf(v), ex.source, params(v.bild));
        gen += o.totalMs;
        return o;
      };
      for (const v of plan.variants) raw.push(await repeated(plan.repeats, `${v.id} on sentence ${position}`, () => decode(v)));
      const large = baseline < 0 ? undefined : raw[baseline];
      const sentence: SentenceResult = {
        position,
        exampleIndex: ex.index,
        source: ex.source,
        reference: ex.reference,
        outputs: raw.map((o, i) => variantOutput(plan.variants[i]!.id, o, sentenceMetric(task, o.text, ex.reference), large)),
      };
      // in the CSV, the JSONL and the history, or (the disk full, say) in none of them
      files.appendSentence(sentence, () => record((h) => h.appendSentence(runId, sentence)));
      sentences.push(sentence);
      if (raw[0]!.sourceTruncated) environment!.sourceTruncation!.truncated++; // counted with the recorded sentences only
      ctx.emit({ type: 'sentence', runId, sentence });
      ctx.emit({ type: 'progress', runId, stage: 'decode', done: position + 1, total: examples.length, message: '' });
      generateMs += gen;
      overheadMs += performance.now() - t0 - gen;
    }
  } catch (err) {
    status = cancelled(signal, err) ? 'cancelled' : 'failed';
    if (status === 'failed') failure = err;
  } finally {
    files.close();
  }

  summary.status = status;
  summary.sentences = sentences.length;
  summary.finishedAt = new Date().toISOString();
  summary.summaries = summarizeVariants(task, plan.variants, sentences);
  summary.sweep = plan.kind === 'sweep' ? sweepResult(summary.summaries) : null;
  summary.overhead = sentences.length
    ? { meanMsPerSentence: overheadMs / sentences.length, pctOfDecode: (100 * overheadMs) / generateMs }
    : null;
  summary.error = failure ? String((failure as Error).message ?? failure) : null;
  // After a failure (the disk full, say) the final summary goes where it still fits, and the
  // first failure is the one reported; a final summary that fits nowhere fails the run.
  const settle = (write: () => void): void => {
    try {
      write();
    } catch (err) {
      if (failure) return;
      failure = err;
      summary.status = 'failed';
      summary.error = (err as Error).message;
    }
  };
  settle(() => files.writeSummary(summary));
  settle(() => record((h) => h.update(summary)));
  ctx.emit({ type: 'summary', runId, summary });
  if (failure) throw failure;
  return summary;
}
