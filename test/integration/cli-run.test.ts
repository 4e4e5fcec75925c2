// End to end through the CLI (`bild-bench run/sweep/runs` from source) on the demo pair.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunListEntry, RunSummary, SentenceResult, VariantSummary } from '../../src-main/engine/api';
import { CSV_COLUMNS, parseCsv } from '../../src-main/engine/runner/csv';
import { MODELS, ROOT } from '../helpers/paths';

const home = mkdtempSync(join(tmpdir(), 'bild-cli-run-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const env = { ...process.env, BILD_BENCH_HOME: home };
const SMALL = join(MODELS, 'toy-t5-small');
const LARGE = join(MODELS, 'toy-t5-large');
// CI has two cores and two test workers: one onnxruntime thread each.
const PAIR = ['--model', 'bild', '--small', SMALL, '--large', LARGE, '--dataset_name', 'demo', '--threads', '1'];
const CLI = ['--import', 'tsx', 'src-main/cli/main.ts'];

function cli(...args: string[]) {
  // A hang fails the test instead of blocking the suite.
  const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', env, timeout: 150_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function rowsOf(csvPath: string): Record<string, string>[] {
  const [head, ...rows] = parseCsv(readFileSync(csvPath, 'utf8'));
  expect(head).toEqual([...CSV_COLUMNS]);
  return rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i]!])));
}

const byVariant = (s: RunSummary, id: string): VariantSummary => s.summaries.find((v) => v.variant === id)!;

describe('bild-bench run', () => {
  const out = join(home, 'run100');
  let summary: RunSummary;

  it('runs 100 demo sentences with every method: CSV, summary.json and --json agree', () => {
    const r = cli('run', ...PAIR, '--limit', '100', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    summary = JSON.parse(r.stdout) as RunSummary;
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(summary);
    expect(summary).toMatchObject({ schemaVersion: 2, status: 'completed', sentences: 100, plannedSentences: 100, kind: 'run' });
    expect(summary.summaries.map((s) => s.variant)).toEqual(['large', 'small', 'bild', 'speculative']);
    expect(summary.environment!.models.map((m) => [m.role, m.threads])).toEqual([['small', 1], ['large', 1]]);
    expect(summary.environment!.gitCommit).toMatch(/^[0-9a-f]{40}(-dirty)?$/); // this checkout's own commit

    const rows = rowsOf(join(out, 'sentences.csv'));
    expect(rows).toHaveLength(400);
    for (const v of summary.summaries) {
      const mine = rows.filter((r) => r.variant === v.variant);
      expect(new Set(mine.map((r) => r.position)).size).toBe(100);
      const total = (col: string): number => mine.reduce((a, r) => a + Number(r[col]), 0);
      expect(total('tokens')).toBe(v.totals.tokens);
      expect(total('small_tokens')).toBe(v.totals.smallTokens);
      expect(total('large_calls')).toBe(v.totals.largeCalls);
      expect(total('fallbacks')).toBe(v.totals.fallbacks);
      expect(total('rollbacks')).toBe(v.totals.rollbacks);
      expect(v.fallbackPct).toBeCloseTo((100 * v.totals.fallbacks) / v.totals.tokens, 10);
      expect(Math.abs(total('total_ms') / 100 - v.latencyMs.mean)).toBeLessThan(0.01);
    }
    const lines = readFileSync(join(out, 'sentences.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SentenceResult);
    expect(lines).toHaveLength(100);
    // the per-token trace (schema 2): BiLD and speculative only, one letter per token, in the JSONL and the CSV
    for (const s of lines)
      for (const o of s.outputs) {
        const row = rows.find((r) => r.position === String(s.position) && r.variant === o.variant)!;
        if (o.method === 'large' || o.method === 'small') expect([o.trace, row.origins, row.rolled_back]).toEqual([undefined, '', '']);
        else {
          expect(o.trace!.origin).toHaveLength(o.tokens);
          expect(row.origins).toBe(o.trace!.origin);
          expect(row.rolled_back).toBe(o.trace!.rollbacks.map((r) => `${r.position}:${r.removed.length}`).join(' '));
        }
      }
    const bildOrigins = rows.filter((r) => r.variant === 'bild').map((r) => r.origins).join('');
    expect(bildOrigins).toMatch(/^[SFMRL]+$/);
    for (const letter of ['S', 'M', 'R']) expect(bildOrigins).toContain(letter);

    // The paper's claims on the demo pair: BiLD no worse than small; speculative exact.
    expect(byVariant(summary, 'bild').quality.primary).toBeGreaterThanOrEqual(byVariant(summary, 'small').quality.primary);
    expect(byVariant(summary, 'speculative').identicalToLarge).toBe(1);
    expect(rows.filter((r) => r.variant === 'speculative').every((r) => r.identical_to_large === 'true')).toBe(true);
    expect(byVariant(summary, 'large').speedup).toBe(1);
    expect(byVariant(summary, 'bild').meanAcceptedLength).toBeGreaterThan(1);

    const e = summary.environment!;
    expect(e.models.map((m) => m.role)).toEqual(['small', 'large']);
    expect(e.models[0]!.checkpointHash).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(e.models[0]!.fileHashes)).toContain('tokenizer.json');
    expect(e.dataset).toMatchObject({ id: 'toy-de-en', split: 'validation', task: 'translation', examples: 100 });
    expect(e.thresholds).toMatchObject({ fallback: 0.6, rollback: 5, maxSmall: 10, maxLength: 128 });
    expect(e.models.map((m) => m.compute)).toEqual(['fp32', 'fp32']);
    expect(e.deviations).toHaveLength(2); // BiLD's two; fp16 compute would add a third (test/gpu/webgpu.test.ts)
    expect(e.onnxruntime).toMatch(/^\d+\.\d+/);
    expect(e.ep).toBe('cpu');
  });

  it('keeps the run in the history: runs list, show, export', () => {
    const list = cli('runs', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    const entry = (JSON.parse(list.stdout) as RunListEntry[]).find((x) => x.runId === summary.runId)!;
    expect(entry).toMatchObject({ status: 'completed', sentences: 100, dataset: 'toy-de-en', split: 'validation' });
    const show = cli('runs', 'show', summary.runId);
    expect(show.stdout).toContain('speculative');
    const again = join(home, 'reexport');
    const ex = cli('runs', 'export', summary.runId, '--out', again);
    expect(ex.code, ex.stderr).toBe(0);
    expect(readFileSync(join(again, 'sentences.csv'), 'utf8')).toBe(readFileSync(join(out, 'sentences.csv'), 'utf8'));
    expect(JSON.parse(readFileSync(join(again, 'summary.json'), 'utf8'))).toEqual(summary);
    expect(cli('runs', 'show', 'no-such-run').code).toBe(2);
  });

  it('reads a local TSV whose columns --source_field/--target_field name: the same outputs as the demo split', () => {
    const demo = readFileSync(join(ROOT, 'resources', 'datasets', 'toy-de-en.validation.jsonl'), 'utf8').trim().split('\n').slice(0, 5);
    const pairs = demo.map((l) => (JSON.parse(l) as { translation: { de: string; en: string } }).translation);
    const tsv = join(home, 'pairs.tsv');
    writeFileSync(tsv, ['id\tgerman\tenglish', ...pairs.map((p, i) => `${i}\t${p.de}\t${p.en}`)].join('\n') + '\n');
    const dir = join(home, 'from-tsv');
    const r = cli('run', '--model', LARGE, '--dataset_name', tsv, '--source_field', 'german', '--target_field', 'english', '--threads', '1', '--out', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(join(dir, 'sentences.csv'));
    expect(rows.map((x) => x.reference)).toEqual(pairs.map((p) => p.en));
    const fromDemo = rowsOf(join(out, 'sentences.csv')).filter((x) => x.variant === 'large').slice(0, 5);
    expect(rows.map((x) => x.output)).toEqual(fromDemo.map((x) => x.output));
    const missing = cli('run', '--model', LARGE, '--dataset_name', tsv, '--threads', '1');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${tsv}:1: no column 'de' in the header (columns: id, german, english); name the columns to read with --source_field/--target_field`);
  });

  it('--bild_pipeline: the same BiLD outputs and decisions, recorded in the environment', () => {
    const dir = join(home, 'pipelined');
    const r = cli('run', ...PAIR, '--limit', '40', '--methods', 'bild', '--bild_pipeline', '--out', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as RunSummary).environment!.pipeline).toBe(true);
    expect(summary.environment!.pipeline).toBe(false);
    const decisions = ['output', 'large_calls', 'fallbacks', 'rollbacks', 'rolled_back_tokens', 'small_tokens'];
    const seq = rowsOf(join(out, 'sentences.csv')).filter((x) => x.variant === 'bild');
    const pipe = rowsOf(join(dir, 'sentences.csv'));
    expect(pipe).toHaveLength(40);
    // float rounding may flip a decision on a threshold (bild-pipelined.test.ts); none did when written
    const same = pipe.filter((x, i) => decisions.every((c) => x[c] === seq[i]![c])).length;
    expect(same).toBeGreaterThanOrEqual(39);
  });

  it('SIGINT cancels and leaves a valid partial result', async () => {
    const dir = join(home, 'sigint');
    const child = spawn(process.execPath, [...CLI, 'run', ...PAIR, '--limit', '300', '--out', dir, '--json'], { cwd: ROOT, env });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const csv = join(dir, 'sentences.csv');
    for (let i = 0; i < 600; i++) {
      if (existsSync(csv) && readFileSync(csv, 'utf8').split('\n').length > 1 + 4 * 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
    expect(await exited).toBe(130);
    clearTimeout(deadline);
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
    expect(JSON.parse(stdout)).toEqual(s);
    expect(s.status).toBe('cancelled');
    expect(s.sentences).toBeGreaterThanOrEqual(3);
    expect(s.sentences).toBeLessThan(300);
    expect(rowsOf(csv)).toHaveLength(4 * s.sentences);
    expect(s.summaries.every((v) => v.sentences === s.sentences)).toBe(true);
  });
});

describe('bild-bench sweep', () => {
  it('returns quality-vs-speedup points and their Pareto front', () => {
    const r = cli('sweep', ...PAIR.slice(2), '--fallbacks', '0.3,0.9', '--rollbacks', '1:3:2', '--limit', '6', '--warmup', '0', '--out', join(home, 'sweep'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as RunSummary;
    expect(s.kind).toBe('sweep');
    expect(s.variants.map((v) => v.id)).toEqual(['large', 'small', 'bild@0.3/1', 'bild@0.3/3', 'bild@0.9/1', 'bild@0.9/3']);
    const sw = s.sweep!;
    expect(sw.qualityName).toBe('BLEU');
    expect(sw.points).toHaveLength(6);
    expect(sw.front.length).toBeGreaterThan(0);
    for (const p of sw.front)
      expect(sw.points.some((q) => q.quality >= p.quality && q.speedup >= p.speedup && (q.quality > p.quality || q.speedup > p.speedup))).toBe(false);
  });
});

describe('bild-bench sweep: uncertainty', () => {
  it('marks cells with the same decoding, gives every point intervals and repeats the timings', () => {
    // demo/tiny drafts for demo/large: RB 0.5 rolls back, RB 100 and 200 never do (the same work)
    const tinyPair = ['--small', join(MODELS, 'toy-t5-tiny'), '--large', LARGE, '--dataset_name', 'demo', '--threads', '1'];
    const r = cli('sweep', ...tinyPair, '--fallbacks', '0.5', '--rollbacks', '0.5,100,200', '--no_small', '--limit', '8', '--warmup', '0', '--repeats', '2', '--out', join(home, 'sweep-ci'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as RunSummary;
    expect(s.spec.repeats).toBe(2);
    expect(s.summaries.map((v) => [v.variant, v.sameOutputsAs])).toEqual([
      ['large', null],
      ['bild@0.5/0.5', null],
      ['bild@0.5/100', null],
      ['bild@0.5/200', 'bild@0.5/100'],
    ]);
    expect(byVariant(s, 'bild@0.5/0.5').totals.rollbacks).toBeGreaterThan(0);
    for (const v of s.summaries) {
      expect(v.bootstrap).toEqual({ method: 'paired-percentile', resamples: 1000, seed: 12345, confidence: 0.95 });
      expect(v.qualityCI![0]).toBeLessThanOrEqual(v.quality.primary);
      expect(v.qualityCI![1]).toBeGreaterThanOrEqual(v.quality.primary);
      expect(v.speedupCI![0]).toBeLessThanOrEqual(v.speedup!);
      expect(v.speedupCI![1]).toBeGreaterThanOrEqual(v.speedup!);
    }
    expect(byVariant(s, 'large').speedupCI).toEqual([1, 1]); // paired: large against itself on every resample
    // identical outputs: identical quality intervals
    expect(byVariant(s, 'bild@0.5/200').qualityCI).toEqual(byVariant(s, 'bild@0.5/100').qualityCI);
    const points = s.sweep!.points;
    expect(points.find((p) => p.variant === 'bild@0.5/200')!.sameOutputsAs).toBe('bild@0.5/100');
    for (const p of points) expect(typeof p.distinguishable).toBe('boolean');
    expect(points.filter((p) => p.distinguishable).every((p) => p.onFront)).toBe(true);
  });

  it('--repeats is bounded', () => {
    const r = cli('sweep', ...PAIR.slice(2), '--repeats', '21', '--limit', '2');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('repeats: 21 is above the bound of 20');
  });
});

describe('bad arguments exit 2 before anything heavy', () => {
  const badHome = mkdtempSync(join(tmpdir(), 'bild-cli-bad-'));
  afterAll(() => rmSync(badHome, { recursive: true, force: true }));
  const bad = (...args: string[]) => {
    const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...env, BILD_BENCH_HOME: badHome }, timeout: 60_000 });
    return { code: r.status, stderr: r.stderr };
  };
  // A copy of a demo model whose vocabulary differs in one piece.
  const other = join(badHome, 'other-tokenizer');
  cpSync(join(MODELS, 'toy-t5-tiny'), other, { recursive: true });
  const tok = JSON.parse(readFileSync(join(other, 'tokenizer.json'), 'utf8')) as { model: { vocab: [string, number][] } };
  tok.model.vocab[200]![0] = '▁zzzz';
  writeFileSync(join(other, 'tokenizer.json'), JSON.stringify(tok));
  const aFile = join(badHome, 'a-file');
  writeFileSync(aFile, 'x');

  it.each([
    [['run', ...PAIR.slice(0, 6), '--dataset_name', 'no-such-dataset'], /unknown dataset 'no-such-dataset'/],
    [['run', ...PAIR, '--split', 'nope'], /no split 'nope'/],
    [['run', ...PAIR, '--bild_fallback', '1.5'], /--bild_fallback: 1.5 must be <= 1/],
    [['run', ...PAIR, '--bild_rollback', '0'], /--bild_rollback: 0 must be > 0/],
    [['run', ...PAIR, '--methods', 'large,fast'], /unknown method 'fast'/],
    [['run', ...PAIR, '--limit', '0'], /--limit: 0 must be >= 1/],
    [['run', ...PAIR, '--out', aFile], /out: cannot write the run's files to '.*a-file' \(a file is in the way\)/],
    [['run', ...PAIR, '--seed', '3'], /seed samples `limit` examples: give a limit too/],
    [['run', ...PAIR, '--bild_pipeline', '--ep', 'webgpu'], /pipeline: runs on the CPU provider only/],
    [['generate', '--model', LARGE, '--text', 'Hallo', '--bild_pipeline'], /--bild_pipeline: applies to --model bild only/],
    [['generate', '--model', 'bild', '--small', SMALL, '--large', LARGE, '--text', 'Hallo', '--bild_pipeline', '--ep', 'webgpu'], /--bild_pipeline: runs on the CPU provider only \(--ep webgpu\)/],
    [['run', '--model', 'bild', '--small', SMALL, '--dataset_name', 'demo'], /needs --small and --large/],
    [['run', '--model', 'bild', '--small', other, '--large', LARGE, '--dataset_name', 'demo'], /different tokenizers/],
    [['run', '--model', join(badHome, 'missing'), '--dataset_name', 'demo'], /does not exist/],
    [['sweep', ...PAIR.slice(2), '--fallbacks', '0.5,2'], /--fallbacks: 2 must be within 0..1/],
  ])('%j', (args, message) => {
    const r = bad(...args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(badHome, 'onnx')) && readdirSync(join(badHome, 'onnx')).length).toBeFalsy();
  });
});
