// npm run bench:gpu [-- --quick] [--ep webgpu,cuda|none] [--sentences N] [--pytorch python3 [--torch_device cuda]]
//                   [--json out.json] [--work DIR]
// GPU decoding speed on a Linux machine with an NVIDIA GPU (docs/gpu.md): the demo pair (ms/token,
// BiLD speedup) and random-weight exports shaped like T5-large / mT5-large (T5-small / mT5-small as
// the small model), fp32 and fp16; and, in the same run on the same GPU and the same weights,
// HF transformers' eager PyTorch generate() (scripts/bench-gpu-pytorch.py) when python3 has torch.
// Random weights decode nonsense, so those rows time fixed shapes: greedy = encode 32 tokens and
// decode 64 (each step fed the previous argmax); BiLD-like = 10 small one-token steps + 1 large
// chunk of 11 per 11 tokens, a best case (every draft accepted, no rollback, encoders left out).
// --quick: tiny shapes and few sentences, to check the script on lavapipe.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { T5Config } from '../engine/checkpoint/config';
import { MT5_SMALL, writeRandomT5Checkpoint } from '../engine/checkpoint/safetensors-writer';
import { generate, type Method } from '../engine/decoding/generate';
import { computeTypeFor, loadModel, type LoadedModel } from '../engine/model';
import { exportT5 } from '../engine/onnx/export-t5';
import type { WeightDType } from '../engine/onnx/t5-weights';
import { appRoot, resourcesDir } from '../engine/paths';
import { fp16Unsupported, providerStatus } from '../engine/runtime/providers';
import type { ExecutionProvider } from '../engine/runtime/session';
import { releaseSource, T5Runtime } from '../engine/runtime/t5-runtime';
import { demoTestSet } from './demo-set';
import { nvidiaGpus } from '../engine/runner/environment';
import { describeMachine } from './machine';
import { fixedSource, greedyFixed, msPerToken } from './scale-timing';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    ep: { type: 'string' },
    sentences: { type: 'string' },
    pytorch: { type: 'string' },
    torch_device: { type: 'string' },
    json: { type: 'string' },
    work: { type: 'string' },
  },
});
const quick = values.quick === true;
const eps = (values.ep === 'none' ? [] : (values.ep?.split(',') ?? ['webgpu', 'cuda'])) as ExecutionProvider[];
const nSentences = Number(values.sentences ?? (quick ? 3 : 50));
const torchDevice = values.torch_device ?? 'cuda';
const SRC_LEN = 32;
const NEW_TOKENS = quick ? 16 : 64;
const CALLS = quick ? 2 : 3;

const T5: Partial<T5Config> = { modelType: 't5', vocabSize: 32128, dKv: 64, ffProj: 'relu', tieWordEmbeddings: true };
const SHAPES: Record<string, { large: Partial<T5Config>; small: Partial<T5Config> }> = quick
  ? { 'tiny (quick)': { large: { ...T5, vocabSize: 1000, dModel: 128, dFf: 256, numLayers: 3, numDecoderLayers: 3, numHeads: 4 }, small: { ...T5, vocabSize: 1000, dModel: 64, dFf: 128, numLayers: 1, numDecoderLayers: 1, numHeads: 2 } } }
  : {
      'T5-large': { large: { ...T5, dModel: 1024, dFf: 4096, numLayers: 24, numDecoderLayers: 24, numHeads: 16 }, small: { ...T5, dModel: 512, dFf: 2048, numLayers: 6, numDecoderLayers: 6, numHeads: 8 } },
      'mT5-large': { large: { ...MT5_SMALL, dModel: 1024, dFf: 2816, numLayers: 24, numDecoderLayers: 24, numHeads: 16 }, small: { ...MT5_SMALL } },
    };

/** One measurement: ms per generated token of one model/method (and ms per sentence where it applies). */
interface Result {
  model: string;
  engine: string; // 'bild-bench <ep>' or 'pytorch eager'
  dtype: WeightDType;
  method: Method | 'bild-like';
  msPerToken: number;
  msPerSentence?: number;
  /** The PyTorch row this one is compared with (BiLD rows: the large model alone). */
  baseline?: string;
  note?: string;
}
const results: Result[] = [];
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const f2 = (x: number | undefined): string => (x === undefined ? '' : x.toFixed(2));

const demoModel = (name: string): string => join(resourcesDir(), 'models', name);
const demoSources = async (): Promise<string[]> => (await demoTestSet(nSentences)).map((e) => e.source);

/** Large-only greedy ids of every demo sentence per engine/dtype, to compare engines' outputs. */
const greedyIds = new Map<string, number[][]>();

async function demoRows(ep: ExecutionProvider, dtype: WeightDType): Promise<void> {
  const data = await demoSources();
  const large = await loadModel(demoModel('toy-t5-large'), { ep, dtype });
  const small = await loadModel(demoModel('toy-t5-small'), { ep, dtype }).catch(async (err: unknown) => {
    await large.runtime.release();
    throw err;
  });
  try {
    await timeDemo(ep, dtype, data, large, small);
  } finally {
    for (const m of [large, small]) await m.runtime.release();
  }
}

async function timeDemo(ep: ExecutionProvider, dtype: WeightDType, data: string[], large: LoadedModel, small: LoadedModel): Promise<void> {
  const methods: Method[] = ['large', 'small', 'bild'];
  const ms: Record<string, number[]> = {};
  const tokens: Record<string, number> = {};
  const ids: number[][] = [];
  const run = (m: Method, s: string) => generate(m, { small, large }, s, { bild: { fallback: 0.5, rollback: 2 } });
  for (const s of data.slice(0, 2)) for (const m of methods) await run(m, s);
  for (const s of data)
    for (const m of methods) {
      const o = await run(m, s);
      (ms[m] ??= []).push(o.totalMs);
      tokens[m] = (tokens[m] ?? 0) + o.tokens;
      if (m === 'large') ids.push(o.ids);
    }
  greedyIds.set(`bild-bench ${ep} ${dtype}`, ids);
  const label = { large: 'toy-t5-large', small: 'toy-t5-small', bild: 'BiLD toy-t5-small/large (FB 0.5, RB 2)' } as Record<Method, string>;
  for (const m of methods)
    results.push({
      model: `demo ${label[m]}`,
      engine: `bild-bench ${ep}`,
      dtype,
      method: m,
      msPerToken: sum(ms[m]!) / tokens[m]!,
      msPerSentence: sum(ms[m]!) / data.length,
      baseline: `demo ${label[m === 'small' ? 'small' : 'large']}`,
    });
}

/** Mean ms per token of greedy decoding: encode SRC_LEN tokens, decode NEW_TOKENS, each fed the last argmax. */
const timeGreedy = async (rt: T5Runtime): Promise<number> => (await msPerToken(() => greedyFixed(rt, fixedSource(SRC_LEN), NEW_TOKENS), NEW_TOKENS, CALLS)).mean;

/** Mean ms of one decoder call with a chunk of k tokens after ~10-100 cached positions. */
async function timeChunk(rt: T5Runtime, k: number, calls: number): Promise<number> {
  const src = await rt.encode(fixedSource(SRC_LEN));
  const dec = rt.newDecoder(src);
  const chunk = Array.from({ length: k }, (_, i) => 3 + i);
  const run = async () => {
    await dec.extend(chunk);
    dec.commit();
    if (dec.fed > 100) dec.truncate(10);
  };
  for (let i = 0; i < 3; i++) await run();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await run();
  const ms = (performance.now() - t0) / calls;
  dec.dispose();
  releaseSource(src);
  return ms;
}

/** Greedy ms/token of the large and small model of one random shape, and the BiLD-like call pattern. */
async function randomRows(ep: ExecutionProvider, dtype: WeightDType, name: string, ckpts: Map<string, string>, dir: string): Promise<void> {
  const rts: T5Runtime[] = [];
  const exported: string[] = [];
  try {
    for (const role of ['large', 'small'] as const) {
      const out = join(dir, `${name}-${role}-${dtype}-${ep}`);
      exported.push(out);
      await exportT5(ckpts.get(`${name}-${role}`)!, out, { dtype, compute: computeTypeFor(ep, dtype) });
      rts.push(await T5Runtime.load(out, { ep }));
    }
    const [large, small] = rts as [T5Runtime, T5Runtime];
    const engine = `bild-bench ${ep}`;
    const l1 = await timeGreedy(large);
    const s1 = await timeGreedy(small);
    const l11 = await timeChunk(large, 11, quick ? 5 : 20);
    const s1step = await timeChunk(small, 1, quick ? 10 : 50);
    results.push({ model: `random ${name}`, engine, dtype, method: 'large', msPerToken: l1, baseline: `random ${name}` });
    results.push({ model: `random ${name}-small`, engine, dtype, method: 'small', msPerToken: s1, baseline: `random ${name}-small` });
    results.push({
      model: `random ${name}`,
      baseline: `random ${name}`,
      engine,
      dtype,
      method: 'bild-like',
      msPerToken: (10 * s1step + l11) / 11,
      note: `best case: 10 small steps (${s1step.toFixed(2)} ms) + 1 large chunk of 11 (${l11.toFixed(2)} ms), all accepted, encoders excluded`,
    });
  } finally {
    for (const r of rts) await r.release();
    for (const d of exported) rmSync(d, { recursive: true, force: true });
  }
}

interface TorchRow {
  model: string;
  role: 'large' | 'small';
  dtype: WeightDType;
  ms_per_sentence: number;
  ms_per_token: number;
  tokens: number;
  ids?: number[][];
}

/** Runs scripts/bench-gpu-pytorch.py on the same models and inputs; returns its environment line. */
async function pytorchRows(python: string, ckpts: Map<string, string>, dtypes: WeightDType[]): Promise<string> {
  const large = await loadModel(demoModel('toy-t5-large'), { ep: 'cpu' });
  const inputs = (await demoSources()).map((s) => large.tokenizer.encode(s));
  await large.runtime.release();
  const job = {
    device: torchDevice,
    dtypes,
    demo: { large: demoModel('toy-t5-large'), small: demoModel('toy-t5-small'), inputs, maxLength: 128, warmup: 2 },
    random: Object.keys(SHAPES).map((name) => ({ name, large: ckpts.get(`${name}-large`), small: ckpts.get(`${name}-small`), srcLen: SRC_LEN, newTokens: NEW_TOKENS, calls: CALLS })),
  };
  const p = spawnSync(python, [join(appRoot(), 'scripts', 'bench-gpu-pytorch.py')], {
    input: JSON.stringify(job),
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, HF_HUB_DISABLE_PROGRESS_BARS: '1', TRANSFORMERS_VERBOSITY: 'error' },
  });
  if (p.status !== 0) throw new Error(`${python} ${join('scripts', 'bench-gpu-pytorch.py')} exited with ${p.status ?? p.error?.message} (its stderr is above)`);
  const out = JSON.parse(p.stdout) as { env: Record<string, string>; rows: TorchRow[] };
  for (const r of out.rows) {
    const model = r.model === 'demo' ? `demo toy-t5-${r.role}` : `random ${r.model}${r.role === 'small' ? '-small' : ''}`;
    results.push({ model, engine: 'pytorch eager', dtype: r.dtype, method: r.role, msPerToken: r.ms_per_token, msPerSentence: r.model === 'demo' ? r.ms_per_sentence : undefined });
    if (r.ids && r.role === 'large') greedyIds.set(`pytorch ${r.dtype}`, r.ids);
  }
  return `torch ${out.env.torch}, transformers ${out.env.transformers}, ${out.env.device}`;
}

function gpuName(): string {
  const gpus = nvidiaGpus();
  return gpus ? `GPU: ${gpus}` : 'GPU: none found by nvidia-smi';
}

function report(torchEnv: string | undefined): string {
  const lines = [describeMachine(), gpuName(), torchEnv ? `PyTorch reference: ${torchEnv}, eager attention, generate() greedy, batch 1` : 'PyTorch reference: not run', ''];
  lines.push('| model | engine | dtype | method | ms/token | ms/sentence | speedup vs PyTorch eager (same dtype; BiLD: vs its large model) | note |', '|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const ref = results.find((t) => t.engine === 'pytorch eager' && t.model === r.baseline && t.dtype === r.dtype);
    const vs = ref ? `${(ref.msPerToken / r.msPerToken).toFixed(2)}x` : '';
    lines.push(`| ${r.model} | ${r.engine} | ${r.dtype} | ${r.method} | ${f2(r.msPerToken)} | ${f2(r.msPerSentence)} | ${vs} | ${r.note ?? ''} |`);
  }
  const ref = greedyIds.get('pytorch fp32');
  if (ref) {
    lines.push('');
    for (const [k, ids] of greedyIds) {
      if (k === 'pytorch fp32') continue;
      const same = ids.filter((x, i) => JSON.stringify(x) === JSON.stringify(ref[i])).length;
      lines.push(`demo toy-t5-large greedy ids, ${k} vs pytorch fp32: identical on ${same}/${ids.length} sentences`);
    }
  }
  return `${lines.join('\n')}\n`;
}

// --work DIR keeps the random checkpoints between runs (a rerun skips writing them)
const dir = values.work ?? mkdtempSync(join(tmpdir(), 'bench-gpu-'));
process.env.BILD_BENCH_HOME ??= join(dir, 'home');
let torchEnv: string | undefined;
const failures: string[] = [];
/** Runs one part of the benchmark; a failure is reported and the next part still runs. */
async function attempt(what: string, part: () => Promise<void>): Promise<void> {
  try {
    await part();
  } catch (err) {
    failures.push(`${what}: ${(err as Error).message.split('\n')[0]}`);
    process.stderr.write(`FAILED ${failures.at(-1)}\n`);
  }
  flush(false);
}
/** Writes the report so far to --json (a crash later in the run keeps what was measured); `final` also prints it. */
function flush(final: boolean): void {
  const text = report(torchEnv) + failures.map((f) => `failed: ${f}\n`).join('');
  if (final) process.stdout.write(text);
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ report: text, results }, null, 2)}\n`);
}
try {
  const ckpts = new Map<string, string>();
  for (const [name, shape] of Object.entries(SHAPES))
    for (const role of ['large', 'small'] as const) {
      const ckpt = join(dir, `${name}-${role}`);
      if (!existsSync(join(ckpt, 'done'))) {
        await writeRandomT5Checkpoint(ckpt, shape[role], 1, 'F16');
        writeFileSync(join(ckpt, 'done'), '');
      }
      ckpts.set(`${name}-${role}`, ckpt);
    }
  const gpuDtypes: WeightDType[] = ['fp32', 'fp16'];
  for (const ep of eps) {
    const st = providerStatus(ep);
    process.stderr.write(`${ep}: ${st.available ? 'available' : 'skipped'}, ${st.reason}\n`);
    if (!st.available) continue;
    for (const dtype of ep === 'cpu' || fp16Unsupported(ep) ? (['fp32'] as WeightDType[]) : gpuDtypes) {
      process.stderr.write(`${ep} ${dtype}...\n`);
      await attempt(`demo ${ep} ${dtype}`, () => demoRows(ep, dtype));
      for (const name of Object.keys(SHAPES)) await attempt(`random ${name} ${ep} ${dtype}`, () => randomRows(ep, dtype, name, ckpts, dir));
    }
  }
  if (values.pytorch) {
    process.stderr.write(`PyTorch eager (${torchDevice})...\n`);
    const python = values.pytorch;
    await attempt(`PyTorch eager (${python})`, async () => {
      torchEnv = await pytorchRows(python, ckpts, torchDevice === 'cpu' ? ['fp32'] : gpuDtypes);
    });
  }
  flush(true);
} finally {
  if (!values.work) rmSync(dir, { recursive: true, force: true });
}
