// npm run bench:peers — this engine against @huggingface/transformers (transformers.js) on this
// machine's CPU, same weights: toy-t5-large exported to transformers.js's layout by this exporter.
// (1) large-only greedy: ours vs transformers.js generate(); (2) BiLD (toy-t5-small, FB 0.5, RB 2; sequential and pipelined)
// against both. One run, warm-up excluded, methods alternating in blocks of sentences. Prints a Markdown section for
// docs/performance.md ("Peers").
import { mkdtempSync, rmSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForSeq2SeqLM, AutoTokenizer } from '@huggingface/transformers';
import { generate } from '../engine/decoding/generate';
import { loadModel } from '../engine/model';
import { exportTransformersJs } from '../engine/onnx/transformersjs-export';
import { resourcesDir } from '../engine/paths';
import { demoTestSet } from './demo-set';
import { describeMachine } from './machine';

const limit = Number(process.env.BENCH_SENTENCES ?? 100);
const data = (await demoTestSet(limit)).map((e) => e.source);
const modelPath = (n: string): string => join(resourcesDir(), 'models', n);
// intra-op threads for this engine (default: per model, see autoThreads); transformers.js keeps onnxruntime's default
const threads = process.env.BENCH_THREADS === undefined ? undefined : Number(process.env.BENCH_THREADS);

const tmp = mkdtempSync(join(tmpdir(), 'bench-peers-'));
try {
  const tjsDir = join(tmp, 'toy-t5-large-transformersjs');
  await exportTransformersJs(modelPath('toy-t5-large'), tjsDir);
  const tok = await AutoTokenizer.from_pretrained(tjsDir, { local_files_only: true });
  const tjs = await AutoModelForSeq2SeqLM.from_pretrained(tjsDir, { local_files_only: true, dtype: 'fp32', device: 'cpu' });
  const large = await loadModel(modelPath('toy-t5-large'), { threads });
  const small = await loadModel(modelPath('toy-t5-small'), { threads });
  const bild = { fallback: 0.5, rollback: 2 };

  /** transformers.js end to end: tokenize, generate (greedy, up to 127 new tokens), detokenize. */
  const runTjs = async (s: string): Promise<number[]> => {
    const out = (await tjs.generate({ ...tok(s), max_new_tokens: 127 })) as { tolist(): bigint[][] };
    const ids = out.tolist()[0]!.map(Number);
    tok.decode(ids, { skip_special_tokens: true });
    return ids;
  };
  const rows = {
    'transformers.js generate(), toy-t5-large': { ms: [] as number[], tokens: 0, run: async (s: string) => (await runTjs(s)).length - 1 },
    'bild-bench greedy, toy-t5-large': { ms: [] as number[], tokens: 0, run: async (s: string) => (await generate('large', { large }, s)).tokens },
    'bild-bench BiLD, toy-t5-small + toy-t5-large (FB 0.5, RB 2)': {
      ms: [] as number[],
      tokens: 0,
      run: async (s: string) => (await generate('bild', { small, large }, s, { bild })).tokens,
    },
    'bild-bench BiLD pipelined, same pair and thresholds': {
      ms: [] as number[],
      tokens: 0,
      run: async (s: string) => (await generate('bild', { small, large }, s, { bild, pipeline: true })).tokens,
    },
  };
  for (const s of data.slice(0, 5)) for (const r of Object.values(rows)) await r.run(s);
  // Methods take turns in blocks of sentences rather than per sentence: onnxruntime's thread pools
  // keep spinning after a run (transformers.js's do by default), which would slow whichever
  // decoder runs next; blocks confine that to a block's first sentence while still spreading
  // machine noise over all methods.
  const BLOCK = 20;
  for (let b = 0; b < data.length; b += BLOCK)
    for (const r of Object.values(rows))
      for (const s of data.slice(b, b + BLOCK)) {
        const t0 = performance.now();
        r.tokens += await r.run(s);
        r.ms.push(performance.now() - t0);
      }
  let same = 0;
  for (const s of data) if (JSON.stringify(await runTjs(s)) === JSON.stringify((await generate('large', { large }, s)).ids)) same++;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [tj, ours, bi, pipelined] = Object.values(rows).map((r) => mean(r.ms)) as [number, number, number, number];
  let cpu = '';
  try {
    cpu = execSync("lscpu | grep -E '^(Model name|CPU\\(s\\)|Thread|Core)'", { encoding: 'utf8' }).trim().replace(/\n/g, '; ').replace(/\s+/g, ' ');
  } catch {
    cpu = 'lscpu unavailable';
  }
  const out = [
    '## Peers',
    '',
    `\`npm run bench:peers\`, ${data.length} demo test sentences (toy-de-en), CPU provider, fp32, greedy, batch 1, one run after 5 warm-up sentences, bild-bench threads ${threads ?? 'auto'}; ms per sentence end to end (tokenize, encode, decode, detokenize).`,
    `${describeMachine()}; lscpu: ${cpu}.`,
    '',
    '| decoder | ms/sentence | ms/token | vs transformers.js |',
    '|---|---|---|---|',
    ...Object.entries(rows).map(([label, r]) => `| ${label} | ${mean(r.ms).toFixed(1)} | ${(r.ms.reduce((a, b) => a + b, 0) / r.tokens).toFixed(2)} | ${(tj / mean(r.ms)).toFixed(2)}x |`),
    '',
    `Large-only: bild-bench is ${(tj / ours).toFixed(2)}x faster than transformers.js generate() (target >= 1.5x). ` +
      `BiLD: ${(tj / bi).toFixed(2)}x faster than transformers.js large-only (target >= 3x) and ${(ours / bi).toFixed(2)}x faster than bild-bench large-only; ` +
      `pipelined ${(tj / pipelined).toFixed(2)}x and ${(ours / pipelined).toFixed(2)}x. ` +
      `transformers.js and bild-bench large-only produced identical token ids on ${same}/${data.length} sentences.`,
  ].join('\n');
  process.stdout.write(`${out}\n`);
  await tjs.dispose();
  for (const m of [large, small]) await m.runtime.release();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
