// Per-variant dtypes (issue #17): one run holds the demo pair's large model at fp32 and q4
// (`large,large@q4,bild,bild@q4`), each export loaded once, every quantized variant compared with
// its fp32 counterpart; a second run uses the large checkpoint itself at q4 as BiLD's small model.
// The comparisons are recomputed here from sentences.jsonl, independently of runner/dtype-compare.ts;
// a third run on the first 60 demo validation sentences bounds the quality cost of q4 (docs/performance.md).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createInProcessEngine, type EngineApi, type RunSpec, type RunSummary, type SentenceResult, type VariantSummary } from '../../src-main/engine/api';
import { BILD_DEVIATIONS } from '../../src-main/engine/decoding/bild';
import type { DecodeTrace } from '../../src-main/engine/decoding/trace';
import { loadModel } from '../../src-main/engine/model';
import { corpusBleu, percentile } from '../../src-main/engine/metrics';
import { seededResamples } from '../../src-main/engine/metrics/bootstrap';
import { quantDeviation } from '../../src-main/engine/onnx/t5-weights';
import { csvField, parseCsv, SUMMARY_CSV_COLUMNS, CSV_COLUMNS } from '../../src-main/engine/runner/csv';
import { fp32Counterparts } from '../../src-main/engine/runner/dtype-compare';
import { planRun, planSweep } from '../../src-main/engine/runner/plan';
import { baselineIndex } from '../../src-main/engine/runner/summary';
import { argsRefusal } from '../../src-main/host/validate-args';
import { runCli } from '../helpers/cli';
import { DATASETS, MODELS } from '../helpers/paths';

const home = mkdtempSync(join(tmpdir(), 'bild-qvariants-'));
const small = join(MODELS, 'toy-t5-small');
const large = join(MODELS, 'toy-t5-large');
/**
 * Demo validation rows: the first eight, and four on which q4 changed large's output or BiLD's
 * decisions (FB 0.8, RB 1) when this was written (rows 21, 90, 91, 159 of a 200-sentence run).
 */
const ROWS = [0, 1, 2, 3, 4, 5, 6, 7, 21, 90, 91, 159];
const data = join(home, 'rows.jsonl');
const bild = { fallback: 0.8, rollback: 1 };

let engine: EngineApi;
/** `folder@dtype` of every deps.loadModel call of the latest run. */
let loads: string[] = [];
beforeAll(() => {
  process.env.BILD_BENCH_HOME = home;
  const lines = readFileSync(join(DATASETS, 'toy-de-en.validation.jsonl'), 'utf8').split('\n');
  writeFileSync(data, ROWS.map((i) => lines[i]).join('\n') + '\n');
  engine = createInProcessEngine({
    deps: {
      loadModel: (dir, opts) => {
        loads.push(`${basename(dir)}@${opts.dtype}`);
        return loadModel(dir, opts);
      },
    },
  });
});
afterAll(async () => {
  await engine.close();
  rmSync(home, { recursive: true, force: true });
});

async function run(spec: Omit<RunSpec, 'dataset'> & { dataset?: RunSpec['dataset'] }, out: string): Promise<{ summary: RunSummary; sentences: SentenceResult[] }> {
  const outDir = join(home, out);
  loads = [];
  await engine.waitForRun((await engine.startRun({ dataset: { name: data }, ...spec, threads: 1, warmup: 0, outDir })).runId);
  const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as RunSummary;
  const sentences = readFileSync(join(outDir, 'sentences.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SentenceResult);
  return { summary, sentences };
}

const outputsOf = (sentences: SentenceResult[], variant: string) => sentences.map((s) => s.outputs.find((o) => o.variant === variant)!);
const byVariant = (s: RunSummary, id: string): VariantSummary => s.summaries.find((v) => v.variant === id)!;

/** Same origin letter at every position up to and including the first token where the outputs part. */
function agreement(a: DecodeTrace, b: DecodeTrace): [number, number] {
  let [agree, compared] = [0, 0];
  for (let i = 0; i < a.tokens.length && i < b.tokens.length; i++) {
    compared += 1;
    agree += a.origin[i] === b.origin[i] ? 1 : 0;
    if (a.tokens[i] !== b.tokens[i]) break;
  }
  return [agree, compared];
}

/** vsFp32 of `id` against `baseline`, recomputed from the sentences: corpus BLEU on strings, the bootstrap on resampled texts. */
function expectComparison(summary: RunSummary, sentences: SentenceResult[], id: string, baseline: string, traced: boolean): void {
  const c = byVariant(summary, id).vsFp32!;
  expect(c.baseline).toBe(baseline);
  const [v, b] = [outputsOf(sentences, id), outputsOf(sentences, baseline)];
  const refs = sentences.map((s) => s.reference);
  const bleu = (outs: typeof v, idx: ArrayLike<number>): number => corpusBleu(Array.from(idx, (i) => outs[i]!.text), [Array.from(idx, (i) => refs[i]!)]).score;
  const all = sentences.map((_, i) => i);
  expect(c.metricDelta).toBeCloseTo(bleu(v, all) - bleu(b, all), 9);
  const draws: number[] = [];
  for (const idx of seededResamples(sentences.length, 1000, 12345)) draws.push(bleu(v, idx) - bleu(b, idx)); // the array is reused: read it at once
  expect(c.metricDeltaCI[0]).toBeCloseTo(percentile(draws, 2.5), 9);
  expect(c.metricDeltaCI[1]).toBeCloseTo(percentile(draws, 97.5), 9);
  expect(c.identical).toBe(v.filter((o, i) => o.text === b[i]!.text).length / v.length);
  if (!traced) {
    expect(c.decisionAgreement).toBeNull();
    return;
  }
  const sums = v.map((o, i) => agreement(o.trace!, b[i]!.trace!)).reduce(([a, n], [x, m]) => [a + x, n + m], [0, 0]);
  expect(c.comparedPositions).toBe(sums[1]);
  expect(c.decisionAgreement).toBe(sums[0] / sums[1]);
  // with the same outputs, every position is compared
  const sameTokens = v.every((o, i) => o.trace!.tokens.join() === b[i]!.trace!.tokens.join());
  if (sameTokens) expect(c.comparedPositions).toBe(v.reduce((n, o) => n + o.tokens, 0));
}

describe('a run with large, large@q4, bild and bild@q4', () => {
  let result: { summary: RunSummary; sentences: SentenceResult[]; loads: string[] };
  beforeAll(async () => {
    result = { ...(await run({ models: { small, large }, methods: ['large', 'large@q4', 'bild', 'bild@q4'], bild }, 'pair')), loads };
  }, 300_000);

  it('names each variant by its dtype and loads each (checkpoint, dtype) once', () => {
    const { summary } = result;
    expect(summary.status).toBe('completed');
    expect(result.loads.sort()).toEqual(['toy-t5-large@fp32', 'toy-t5-large@q4', 'toy-t5-small@fp32']);
    expect(summary.variants.map((v) => [v.id, v.dtypes])).toEqual([
      ['large', { large: 'fp32' }],
      ['large@q4', { large: 'q4' }],
      ['bild', { small: 'fp32', large: 'fp32' }],
      ['bild@q4', { small: 'fp32', large: 'q4' }],
    ]);
    expect(summary.summaries.map((v) => v.dtypes)).toEqual(summary.variants.map((v) => v.dtypes));
    const env = summary.environment!;
    expect(env.dtype).toBe('fp32');
    expect(env.models.map((m) => [m.role, m.dtype, m.variants, m.quant ?? null])).toEqual([
      ['small', 'fp32', ['bild', 'bild@q4'], null],
      ['large', 'fp32', ['large', 'bild'], null],
      ['large', 'q4', ['large@q4', 'bild@q4'], { bits: 4, blockSize: 32, accuracyLevel: 4, headBits: 8 }],
    ]);
    expect(env.models[1]!.checkpointHash).toBe(env.models[2]!.checkpointHash);
    // the quantization is said of the variants that use the q4 export, and of no other
    const q4 = quantDeviation({ bits: 4, blockSize: 32, accuracyLevel: 4, headBits: 8 });
    expect(env.deviations).toEqual([...BILD_DEVIATIONS, `large@q4, bild@q4: ${q4}`]);
    expect(env.variantDeviations).toEqual({ large: [], 'large@q4': [q4], bild: [...BILD_DEVIATIONS], 'bild@q4': [...BILD_DEVIATIONS, q4] });
    expect(summary.summaries.map((v) => v.baseline)).toEqual(['large', 'large', 'large', 'large']);
    expect(env.warnings).toBeUndefined();
  });

  it('compares every quantized variant with its fp32 counterpart as recomputed from sentences.jsonl', () => {
    const { summary, sentences } = result;
    expect(sentences).toHaveLength(ROWS.length);
    expect(byVariant(summary, 'large').vsFp32).toBeNull();
    expect(byVariant(summary, 'bild').vsFp32).toBeNull();
    expectComparison(summary, sentences, 'large@q4', 'large', false);
    expectComparison(summary, sentences, 'bild@q4', 'bild', true);
  });

  it('writes the dtypes and the comparison into both CSVs', () => {
    const [head, ...rows] = parseCsv(readFileSync(join(home, 'pair', 'summary.csv'), 'utf8'));
    expect(head).toEqual([...SUMMARY_CSV_COLUMNS]);
    const row = (id: string): Record<string, string> => Object.fromEntries(head!.map((c, i) => [c, rows.find((r) => r[3] === id)![i]!]));
    const q = byVariant(result.summary, 'bild@q4').vsFp32!;
    expect(row('bild@q4')).toMatchObject({
      small_dtype: 'fp32',
      large_dtype: 'q4',
      block_size: '32',
      vs_fp32: 'bild',
      metric_delta: csvField(q.metricDelta),
      metric_delta_low: csvField(q.metricDeltaCI[0]),
      metric_delta_high: csvField(q.metricDeltaCI[1]),
      identical_to_fp32: csvField(q.identical),
      decision_agreement: csvField(q.decisionAgreement),
    });
    expect(row('large')).toMatchObject({ small_dtype: '', large_dtype: 'fp32', block_size: '', vs_fp32: '', metric_delta: '', decision_agreement: '', deviations: '', baseline: 'large' });
    expect(row('large@q4').deviations).toBe(result.summary.environment!.variantDeviations!['large@q4']!.join(' | '));
    expect(row('bild').deviations).not.toMatch(/quantized/);
    const [sHead, ...sRows] = parseCsv(readFileSync(join(home, 'pair', 'sentences.csv'), 'utf8'));
    expect(sHead).toEqual([...CSV_COLUMNS]);
    const at = (c: string): number => sHead!.indexOf(c);
    expect(sRows.filter((r) => r[at('variant')] === 'large@q4').map((r) => [r[at('small_dtype')], r[at('large_dtype')]])).toEqual(ROWS.map(() => ['', 'q4']));
  });

  it('the large checkpoint at q4 drafts for itself at fp32: same export as large@q4, the tokenizer by construction', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    let drafter: { summary: RunSummary; sentences: SentenceResult[] };
    let warnings: string[];
    try {
      drafter = await run({ models: { small: large, large }, smallDtype: 'q4', methods: ['large', 'small', 'bild', 'bild@q4'], bild }, 'drafter');
    } finally {
      warnings = warn.mock.calls.map((c) => String(c[0]));
      warn.mockRestore(); // clears the calls too
    }
    const { summary, sentences } = drafter;
    expect(loads.sort()).toEqual(['toy-t5-large@fp32', 'toy-t5-large@q4']); // the q4 export serves both roles
    expect(summary.variants.map((v) => [v.id, v.dtypes])).toEqual([
      ['large', { large: 'fp32' }],
      ['small', { small: 'q4' }],
      ['bild', { small: 'q4', large: 'fp32' }],
      ['bild@q4', { small: 'q4', large: 'q4' }],
    ]);
    const env = summary.environment!;
    expect(env.models.map((m) => [m.role, m.ref, m.dtype, m.variants])).toEqual([
      ['small', large, 'q4', ['small', 'bild', 'bild@q4']],
      ['large', large, 'fp32', ['large', 'bild']],
      ['large', large, 'q4', ['bild@q4']],
    ]);
    expect(new Set(env.models.map((m) => m.checkpointHash)).size).toBe(1);
    expect(new Set(env.models.map((m) => m.tokenizerFingerprint)).size).toBe(1);
    // the small role's q4 export is large@q4's: the same greedy outputs as in the first run
    expect(outputsOf(sentences, 'small').map((o) => o.text)).toEqual(outputsOf(result.sentences, 'large@q4').map((o) => o.text));
    // bild@q4 drafts with the very model it verifies with: allowed, and said to be pointless
    expect(warnings.filter((m) => m.includes('same checkpoint at the same dtype'))).toEqual([expect.stringContaining("'bild@q4' (q4)")]);
    expect(env.warnings).toEqual([warnings.find((m) => m.includes('same checkpoint'))!.replace(/^bild-bench: /, '')]);
    expect(byVariant(summary, 'bild').vsFp32).toBeNull(); // no BiLD with both roles at fp32 here
    expectComparison(summary, sentences, 'bild@q4', 'bild', true);
  }, 300_000);
});

describe('the quality cost of q4 on the demo pair', () => {
  // The first 60 validation sentences, BiLD's default thresholds (docs/performance.md's 1000-sentence
  // table: large@q4 −0.24 BLEU, 98.8% identical; bild@q4 −0.06, 99.1%; its runs gave these 60
  // large@q4 −0.60 and 59/60 identical, bild@q4 0.00 and 60/60).
  it('large@q4 and bild@q4 stay within 1 BLEU of fp32 with at least 90% identical outputs', async () => {
    const { summary } = await run(
      { models: { small, large }, dataset: { name: 'demo', split: 'validation', limit: 60 }, methods: ['large', 'large@q4', 'bild', 'bild@q4'] },
      'quality',
    );
    expect(summary.sentences).toBe(60);
    for (const id of ['large@q4', 'bild@q4']) {
      const c = byVariant(summary, id).vsFp32!;
      expect(Math.abs(c.metricDelta), id).toBeLessThanOrEqual(1);
      expect(c.identical, id).toBeGreaterThanOrEqual(0.9);
    }
  }, 300_000);
});

describe('bad specs are refused by name', () => {
  const pair = { small, large };
  const plan = (spec: Partial<RunSpec>): unknown => planRun({ models: pair, dataset: { name: data }, ...spec } as RunSpec);

  it('in the plan', () => {
    expect(() => plan({ methods: ['large@q3' as 'large'] })).toThrow(/^methods: 'large@q3': 'q3' is not one of fp32, fp16, int8, q4$/);
    expect(() => plan({ methods: ['large@q4@q4' as 'large'] })).toThrow(/methods: unknown method 'large@q4@q4'/);
    expect(() => plan({ methods: ['large', 'large@fp32'] })).toThrow(/methods: 'large@fp32' is 'large' \(the run's large dtype is fp32\)/);
    expect(() => plan({ dtype: 'q4', methods: ['bild', 'bild@q4'] })).toThrow(/'bild@q4' is 'bild'/);
    expect(() => plan({ methods: ['large@q4', 'large@q4'] })).toThrow(/names 'large@q4' twice/);
    expect(() => plan({ smallDtype: 'q5' as 'q4' })).toThrow(/^small_dtype: 'q5' is not one of/);
    expect(() => plan({ smallDtype: 'q4', methods: ['large', 'large@q4'] })).toThrow(/^small_dtype: the run uses no small model \(methods large, large@q4\)$/);
    expect(() => plan({ methods: ['large', 'bild'], blockSize: 64 })).toThrow(/^block_size applies only to the quantized dtypes/);
    expect(() => planSweep({ models: pair, dataset: { name: data }, smallDtype: 'int8', accuracyLevel: 7 })).toThrow(/^accuracy_level: 7/);
    // the spelling: both explicit, the q4 one compared with the fp32 one
    const explicit = planRun({ models: pair, dataset: { name: data }, methods: ['large@fp32', 'large@q4'] }).variants;
    expect(explicit.map((v) => [v.id, v.dtypes])).toEqual([['large@fp32', { large: 'fp32' }], ['large@q4', { large: 'q4' }]]);
    expect(fp32Counterparts(explicit)).toEqual([undefined, 0]);
    // the block size of a run at fp32 applies to its q4 variants
    const p = planRun({ models: pair, dataset: { name: data }, methods: ['large', 'large@q4'], blockSize: 64 });
    expect(p.formats).toEqual({ fp32: { dtype: 'fp32' }, q4: { dtype: 'q4', quant: { bits: 4, blockSize: 64, accuracyLevel: 4, headBits: 8 } } });
  });

  it('speedups refer to the large variant at fp32, else at the run dtype, else the first', () => {
    const ids = (spec: Partial<RunSpec>): string => {
      const { variants } = planRun({ models: pair, dataset: { name: data }, ...spec } as RunSpec);
      return variants[baselineIndex(variants)]?.id ?? 'none';
    };
    expect(ids({ methods: ['large@q4', 'bild', 'large'] })).toBe('large');
    expect(ids({ dtype: 'q4', methods: ['large@int8', 'large', 'large@fp32'] })).toBe('large@fp32');
    expect(ids({ dtype: 'q4', methods: ['large@int8', 'large'] })).toBe('large');
    expect(ids({ methods: ['large@q4', 'large@int8'] })).toBe('large@q4');
    expect(ids({ methods: ['small', 'bild'] })).toBe('none');
    expect(baselineIndex([{ id: 'bild', method: 'bild' }, { id: 'large', method: 'large' }])).toBe(1); // recorded before dtypes
  });

  it('over IPC/HTTP, by the spec shape', () => {
    const spec = { models: pair, dataset: { name: 'demo' } };
    expect(argsRefusal('startRun', [{ ...spec, smallDtype: 4 }])).toBe('startRun: spec.smallDtype must be a string (got 4)');
    expect(argsRefusal('startSweep', [{ ...spec, smallDtype: ['q4'] }])).toBe('startSweep: spec.smallDtype must be a string (got a list)');
    expect(argsRefusal('startRun', [{ ...spec, methods: ['large', 4] }])).toBe('startRun: spec.methods[1] must be a string (got 4)');
    expect(argsRefusal('startRun', [{ ...spec, methods: ['large@q4'], smallDtype: 'q4' }])).toBeUndefined();
  });

  it('by the CLI, with its table naming each role’s dtype and the comparison', () => {
    const env = { BILD_BENCH_HOME: home };
    const bad = runCli(['run', '--small', small, '--large', large, '--dataset_name', data, '--methods', 'large,large@q5'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("methods: 'large@q5': 'q5' is not one of fp32, fp16, int8, q4");
    const ok = runCli(['run', '--small', large, '--large', large, '--small_dtype', 'q4', '--dataset_name', data, '--limit', '2', '--methods', 'large,large@q4,bild', '--out', join(home, 'cli')], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^VARIANT\s+WEIGHTS\s+BLEU/m);
    expect(ok.stdout).toMatch(/^bild\s+S q4 L fp32\s/m);
    expect(ok.stdout).toMatch(/^ {2}large@q4 vs large: [+-]\d+\.\d\d \[[+-]\d+\.\d\d, [+-]\d+\.\d\d\], identical \d+\.\d%$/m);
  });
});
