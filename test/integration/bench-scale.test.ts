// npm run bench:scale end to end on the tiny shape with tiny settings, so the script cannot rot:
// checkpoints written and reused, every row decodes the asked number of tokens, the BiLD-like
// rows follow the 10 + 11 call pattern, quantized weights read fewer bytes, and the files appear.
// Times are printed by the bench, never asserted here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { LogitDeviation } from '../../src-main/bench/logit-deviation';
import { SCALE_SHAPES } from '../../src-main/bench/scale-shapes';
import { ROOT } from '../helpers/paths';

const home = mkdtempSync(join(tmpdir(), 'bench-scale-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function bench(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/bench/bench-scale.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000, // a busy shared machine: the bench's own timing is not under test
    env: { ...process.env, BILD_BENCH_HOME: home },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Row {
  dtype: string;
  engine: string;
  kvCache?: string;
  method: string;
  models: string;
  msPerToken: number;
  tokens: number;
  smallCalls: number;
  largeCalls: number;
  bytesPerToken: number;
  xOfFloor: number;
}

it('runs every row on the tiny shape and writes results.json and results.csv', () => {
  const out = join(home, 'out');
  const r = bench(['--shapes', 'tiny', '--dtypes', 'fp32,q4', '--steps', '4', '--repeats', '1', '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^\| shape \| dtype \| engine \| kv_cache \| method \|/m);
  expect(r.stdout).toMatch(/^Targets \(issue #17\):$/m);
  expect(r.stdout).toMatch(/GB\/s on one thread/);
  expect(r.stdout).toMatch(/read-only stream \(onnxruntime ReduceSum on every core\): [\d.]+ GB\/s/);

  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { complete: boolean; rows: Row[]; deviations: (LogitDeviation & { shape: string; dtype: string })[]; environment: { machine: string; bandwidth: { allCores: number; read: number } } };
  expect(res.complete).toBe(true);
  expect(res.environment.machine).toMatch(/^machine: /);
  expect(res.environment.bandwidth.allCores).toBeGreaterThan(0);
  expect(res.environment.bandwidth.read).toBeGreaterThan(0);
  const find = (engine: string, method: string, models: string): Row => {
    const row = res.rows.find((x) => x.engine === engine && x.method === method && x.models === models);
    expect(row, `${engine} ${method} ${models}`).toBeDefined();
    return row!;
  };
  const fp32 = find('bild-bench', 'greedy', 'tiny@fp32');
  const q4 = find('bild-bench', 'greedy', 'tiny@q4');
  find('transformers.js', 'greedy', 'tiny@fp32');
  for (const models of ['tiny-small@fp32 + tiny@fp32', 'tiny-small@q4 + tiny@q4', 'tiny@q4 + tiny@fp32']) {
    const seq = find('bild-bench', 'bild-like', models);
    // the large model's first token, then the small model's 3 (maxLength ends the 10-token budget)
    expect([seq.smallCalls, seq.largeCalls], models).toEqual([3, 1]);
    find('bild-bench', 'bild-like pipelined', models);
  }
  // transformers.js at q4 too (its _q4 files: transformersjs-quantized.test.ts checks they are what it loads)
  find('transformers.js', 'greedy', 'tiny@q4');
  for (const row of res.rows) {
    expect(row.tokens, row.models).toBe(4);
    expect(row.msPerToken).toBeGreaterThan(0);
    expect(row.xOfFloor).toBeGreaterThan(0);
  }
  // fp32: a decoder step reads every decoder linear (self Q|K|V and O, cross Q and O, the
  // feed-forward), its norms and the head, 4 bytes each; the encoder (its linears, norms and the
  // cross-attention K|V of every decoder layer) once per 4 tokens; the embedding is only gathered from
  const c = SCALE_SHAPES.tiny!.config;
  const inner = c.numHeads * c.dKv;
  const decoder = c.numDecoderLayers * (6 * c.dModel * inner + 2 * c.dModel * c.dFf + 3 * c.dModel) + c.dModel + c.dModel * c.vocabSize;
  const encoder = c.numLayers * (4 * c.dModel * inner + 2 * c.dModel * c.dFf + 2 * c.dModel) + c.dModel + c.numDecoderLayers * 2 * c.dModel * inner;
  expect(fp32.bytesPerToken).toBe(4 * (decoder + encoder / 4));
  expect(q4.bytesPerToken).toBeLessThan(fp32.bytesPerToken / 2); // 4-bit codes and a scale per block

  // q4's logits against fp32's on fp32's greedy output: moved, but not beyond the logits' own scale
  expect(res.deviations.map((d) => d.dtype)).toEqual(['q4']);
  const dev = res.deviations[0]!;
  expect(dev.positions).toBe(4);
  expect(dev.maxLogitDiff).toBeGreaterThan(0);
  expect(dev.encoderRelErrorOneToken).toBeGreaterThan(0); // logit-deviation.test.ts checks the figures on a trained model

  const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
  expect(csv[0]).toMatch(/^shape,dtype,engine,kv_cache,method,models,ms_per_token,mean_ms_per_token,mb_per_token,.*,machine,date,bandwidth_gb_s$/);
  expect(csv).toHaveLength(res.rows.length + 1);

  // a rerun reuses the checkpoints it wrote; --prepare exports and times nothing
  const again = bench(['--shapes', 'tiny-small', '--dtypes', 'fp32,int8', '--prepare', '--out', join(home, 'again')]);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toMatch(/^tiny-small: .*checkpoint cached/m);
  expect(again.stderr).toMatch(/^prepared /m);
  expect(again.stdout).toBe('');
  expect(existsSync(join(home, 'again'))).toBe(false);
}, 600_000);

it('--rows deviation runs only the deviation rows, and writes no drafter it does not need', () => {
  const cache = join(home, 'deviation-cache');
  const out = join(home, 'deviation-out');
  const r = bench(['--shapes', 'tiny', '--dtypes', 'fp32,int8', '--rows', 'deviation', '--steps', '4', '--cache', cache, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { rows: Row[]; deviations: { dtype: string }[] };
  expect(res.rows).toEqual([]);
  expect(res.deviations.map((d) => d.dtype)).toEqual(['int8']);
  expect(existsSync(join(cache, 'tiny-small'))).toBe(false);
  expect(readdirSync(join(cache, 'tiny')).filter((f) => f.startsWith('transformersjs'))).toEqual([]); // transformers.js is timed in greedy rows only
  const none = bench(['--shapes', 'tiny', '--dtypes', 'q4', '--rows', 'deviation']);
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/--rows deviation compares int8\/q4 with fp32: --dtypes needs fp32 and int8 or q4 \(it is q4\)/);
}, 300_000);

it('--kv_cache host,device times greedy rows in both cache layouts, the provider\'s own first for the ratios', () => {
  const out = join(home, 'layouts-out');
  const r = bench(['--shapes', 'tiny', '--dtypes', 'fp32,q4', '--rows', 'greedy', '--kv_cache', 'device,host', '--steps', '4', '--repeats', '1', '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { rows: (Row & { speedupVsFp32Greedy?: number })[]; settings: { kvCache: string[] } };
  expect(res.settings.kvCache).toEqual(['host', 'device']); // the CPU provider's layout first
  const ours = res.rows.filter((x) => x.engine === 'bild-bench');
  expect(ours.map((x) => `${x.models} ${x.kvCache}`).sort()).toEqual(['tiny@fp32 device', 'tiny@fp32 host', 'tiny@q4 device', 'tiny@q4 host']);
  for (const row of ours) {
    expect(row.tokens).toBe(4);
    // each layout's q4 against its own fp32: the fp32 rows are 1x
    if (row.dtype === 'fp32') expect(row.speedupVsFp32Greedy).toBe(1);
  }
  expect(readFileSync(join(out, 'results.csv'), 'utf8').split('\n')[0]).toMatch(/^shape,dtype,engine,kv_cache,method,/);
  // the targets count the provider's layout only: 2 bild-bench (host) + 2 transformers.js greedy rows
  expect(r.stdout).toMatch(/^- every greedy row within 1\.25x of its bandwidth floor: .*\(\d\/4[;)]/m);
}, 300_000);

it('refuses options out of bounds with exit code 2 and the option named', () => {
  for (const [args, message] of [
    [['--steps', '0'], /--steps: 0 must be a whole number within 1\.\.500/],
    [['--repeats', '1e9'], /--repeats: 1e9 must be a whole number within 1\.\.20/],
    [['--shapes', 't5-huge'], /--shapes: t5-huge not among/],
    [['--dtypes', 'int3'], /--dtypes: int3 not among/],
    [['--rows', 'greedy,beam'], /--rows: beam not among greedy, bild, deviation/],
    [['--kv_cache', 'gpu'], /--kv_cache: gpu not among host, device/],
  ] as const) {
    const r = bench([...args]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
  }
});
