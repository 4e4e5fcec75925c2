// npm run bench:gpu [-- --quick] [--ep webgpu,cuda] — GPU decoding speed on a Linux machine with an
// NVIDIA GPU (docs/gpu.md): the demo pair (ms/token, BiLD speedup) and random-weight exports
// shaped like T5-large / mT5-large (with T5-small / mT5-small as the small model), fp32 and fp16.
// Random weights decode nonsense, so those rows time a fixed call pattern instead of a text:
// greedy = one-token steps; BiLD-like = 10 small one-token steps + 1 large chunk of 11.
// --quick: tiny shapes and few sentences, to check the script on lavapipe (software Vulkan).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { T5Config } from '../engine/checkpoint/config';
import { MT5_SMALL, writeRandomT5Checkpoint } from '../engine/checkpoint/safetensors-writer';
import { generate } from '../engine/decoding/generate';
import { loadModel } from '../engine/model';
import { exportT5 } from '../engine/onnx/export-t5';
import type { WeightDType } from '../engine/onnx/t5-weights';
import { resourcesDir } from '../engine/paths';
import { fp16Unsupported, providerStatus } from '../engine/runtime/providers';
import type { ExecutionProvider } from '../engine/runtime/session';
import { releaseSource, T5Runtime } from '../engine/runtime/t5-runtime';
import { describeMachine } from './machine';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, ep: { type: 'string' }, sentences: { type: 'string' } } });
const quick = values.quick === true;
const eps = (values.ep?.split(',') ?? ['webgpu', 'cuda']) as ExecutionProvider[];
const nSentences = Number(values.sentences ?? (quick ? 3 : 50));
const rows: string[] = [];
const row = (...cells: (string | number)[]): number => rows.push(`| ${cells.join(' | ')} |`);

const T5: Partial<T5Config> = { modelType: 't5', vocabSize: 32128, dKv: 64, ffProj: 'relu', tieWordEmbeddings: true };
const SHAPES: Record<string, { large: Partial<T5Config>; small: Partial<T5Config> }> = quick
  ? { 'tiny (quick)': { large: { ...T5, vocabSize: 1000, dModel: 128, dFf: 256, numLayers: 3, numDecoderLayers: 3, numHeads: 4 }, small: { ...T5, vocabSize: 1000, dModel: 64, dFf: 128, numLayers: 1, numDecoderLayers: 1, numHeads: 2 } } }
  : {
      'T5-large': { large: { ...T5, dModel: 1024, dFf: 4096, numLayers: 24, numDecoderLayers: 24, numHeads: 16 }, small: { ...T5, dModel: 512, dFf: 2048, numLayers: 6, numDecoderLayers: 6, numHeads: 8 } },
      'mT5-large': { large: { ...MT5_SMALL, dModel: 1024, dFf: 2816, numLayers: 24, numDecoderLayers: 24, numHeads: 16 }, small: { ...MT5_SMALL } },
    };

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

async function demoRows(ep: ExecutionProvider, dtype: WeightDType): Promise<void> {
  const lines = readFileSync(join(resourcesDir(), 'datasets', 'toy-de-en.test.jsonl'), 'utf8').trim().split('\n').slice(0, nSentences);
  const data = lines.map((l) => (JSON.parse(l) as { translation: { de: string } }).translation.de);
  const large = await loadModel(join(resourcesDir(), 'models', 'toy-t5-large'), { ep, dtype });
  const small = await loadModel(join(resourcesDir(), 'models', 'toy-t5-small'), { ep, dtype });
  const runs = { large: [] as number[], small: [] as number[], bild: [] as number[] };
  const tokens = { large: 0, small: 0, bild: 0 };
  for (const s of data.slice(0, 2)) for (const m of ['large', 'small', 'bild'] as const) await generate(m, { small, large }, s, { bild: { fallback: 0.5, rollback: 2 } });
  for (const s of data)
    for (const m of ['large', 'small', 'bild'] as const) {
      const o = await generate(m, { small, large }, s, { bild: { fallback: 0.5, rollback: 2 } });
      runs[m].push(o.totalMs);
      tokens[m] += o.tokens;
    }
  const perTok = (m: keyof typeof runs) => (runs[m].reduce((a, b) => a + b, 0) / tokens[m]).toFixed(2);
  row('demo toy-t5-large / toy-t5-small', ep, dtype, `${mean(runs.large).toFixed(1)} ms/sent, ${perTok('large')} ms/tok`, `${mean(runs.small).toFixed(1)} ms/sent, ${perTok('small')} ms/tok`, `${mean(runs.bild).toFixed(1)} ms/sent`, `${(mean(runs.large) / mean(runs.bild)).toFixed(2)}x`);
  for (const m of [large, small]) await m.runtime.release();
}

/** Mean ms of one decoder call with a chunk of k tokens after P cached positions (random weights: fixed ids). */
async function timeSteps(rt: T5Runtime, k: number, calls: number): Promise<number> {
  const src = await rt.encode(Array.from({ length: 32 }, (_, i) => 3 + i));
  const dec = rt.newDecoder(src);
  const chunk = Array.from({ length: k }, (_, i) => 3 + i);
  const run = async () => {
    await dec.extend(chunk);
    dec.commit();
    if (dec.fed > 100) dec.truncate(1); // keep the cache length in a realistic range
  };
  for (let i = 0; i < 3; i++) await run();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await run();
  const ms = (performance.now() - t0) / calls;
  dec.dispose();
  releaseSource(src);
  return ms;
}

async function randomRows(ep: ExecutionProvider, dtype: WeightDType, dir: string): Promise<void> {
  for (const [name, shape] of Object.entries(SHAPES)) {
    const rts: T5Runtime[] = [];
    for (const role of ['large', 'small'] as const) {
      const ckpt = join(dir, `${name}-${role}`);
      const out = join(dir, `${name}-${role}-${dtype}-${ep}`);
      await writeRandomT5Checkpoint(ckpt, shape[role], 1, 'F16');
      await exportT5(ckpt, out, { dtype, compute: dtype === 'fp16' ? 'fp16' : 'fp32' });
      rts.push(await T5Runtime.load(out, { ep }));
    }
    const [large, small] = rts as [T5Runtime, T5Runtime];
    const steps = quick ? 10 : 50;
    const l1 = await timeSteps(large, 1, steps);
    const l11 = await timeSteps(large, 11, Math.ceil(steps / 5));
    const s1 = await timeSteps(small, 1, steps);
    const bildPer11 = 10 * s1 + l11;
    row(`random ${name}`, ep, dtype, `${l1.toFixed(2)} ms/tok (chunk of 11: ${l11.toFixed(2)} ms)`, `${s1.toFixed(2)} ms/tok`, `${(bildPer11 / 11).toFixed(2)} ms/tok (10 small + 1 large x11)`, `${((11 * l1) / bildPer11).toFixed(2)}x`);
    for (const r of rts) await r.release();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bench-gpu-'));
process.env.BILD_BENCH_HOME ??= dir;
try {
  process.stdout.write(`${describeMachine()}\n\n`);
  row('model', 'ep', 'dtype', 'large alone', 'small alone', 'BiLD', 'BiLD speedup');
  row('---', '---', '---', '---', '---', '---', '---');
  for (const ep of eps) {
    const st = providerStatus(ep);
    if (!st.available) {
      process.stderr.write(`skipping ${ep}: ${st.reason}\n`);
      continue;
    }
    const dtypes: WeightDType[] = fp16Unsupported(ep) ? ['fp32'] : ['fp32', 'fp16'];
    for (const dtype of dtypes) {
      await demoRows(ep, dtype);
      await randomRows(ep, dtype, dir);
    }
  }
  process.stdout.write(`${rows.join('\n')}\n\nReference (HF transformers 5.17 eager PyTorch, H100/H200, batch 1, greedy, fp32): T5-large ~20 ms/token, T5-small ~6.5, mT5-large ~27; toy-t5-large 172 ms/sentence (~6 ms/token), toy-t5-small 111 ms.\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
