// npm run bench:bild — BiLD against the large model alone on all 500 demo test sentences, CPU,
// one run, warm-up excluded. Prints a Markdown table for docs/performance.md.
import { join } from 'node:path';
import { generate, type Method, type Models, type SentenceOutput } from '../engine/decoding/generate';
import { corpusBleu, percentile } from '../engine/metrics';
import { loadModel, type LoadedModel } from '../engine/model';
import { resourcesDir } from '../engine/paths';
import { demoTestSet } from './demo-set';
import { describeMachine } from './machine';

interface Row {
  label: string;
  method: Method;
  models: Models;
  bild?: { fallback: number; rollback: number };
  draft?: number;
  pipeline?: boolean;
}

const limit = Number(process.env.BENCH_SENTENCES ?? 500);
const threads = process.env.BENCH_THREADS === undefined ? undefined : Number(process.env.BENCH_THREADS);
const data = (await demoTestSet(limit)).map((e) => ({ de: e.source, en: e.reference }));
const model = (name: string): Promise<LoadedModel> => loadModel(join(resourcesDir(), 'models', name), { threads });

const large = await model('toy-t5-large');
const small = await model('toy-t5-small');
const tiny = await model('toy-t5-tiny');
const rows: Row[] = [
  { label: 'toy-t5-large alone', method: 'large', models: { large } },
  { label: 'toy-t5-small alone', method: 'small', models: { small } },
  { label: 'BiLD toy-t5-small (FB 0.5, RB 2)', method: 'bild', models: { small, large }, bild: { fallback: 0.5, rollback: 2 } },
  { label: 'BiLD toy-t5-tiny (FB 0.8, RB 3)', method: 'bild', models: { small: tiny, large }, bild: { fallback: 0.8, rollback: 3 } },
  { label: 'BiLD toy-t5-small pipelined', method: 'bild', models: { small, large }, bild: { fallback: 0.5, rollback: 2 }, pipeline: true },
  { label: 'BiLD toy-t5-tiny pipelined', method: 'bild', models: { small: tiny, large }, bild: { fallback: 0.8, rollback: 3 }, pipeline: true },
  { label: 'speculative toy-t5-small (k 4)', method: 'speculative', models: { small, large }, draft: 4 },
];

// warm-up: every row on a few sentences (first calls allocate and optimize)
for (const r of rows) for (const s of data.slice(0, 5)) await generate(r.method, r.models, s.de, { bild: r.bild, draft: r.draft, pipeline: r.pipeline });

const results = new Map<string, SentenceOutput[]>();
// interleave rows per sentence, so that machine noise hits every method alike
for (const s of data)
  for (const r of rows) {
    const out = await generate(r.method, r.models, s.de, { bild: r.bild, draft: r.draft, pipeline: r.pipeline });
    (results.get(r.label) ?? results.set(r.label, []).get(r.label)!).push(out);
  }

const refs = [data.map((d) => d.en)];
const summarize = (outs: SentenceOutput[]) => {
  const ms = outs.map((o) => o.totalMs);
  const tokens = outs.reduce((a, o) => a + o.tokens, 0);
  const seconds = ms.reduce((a, b) => a + b, 0) / 1000;
  const mean = (f: (o: SentenceOutput) => number) => outs.reduce((a, o) => a + f(o), 0) / outs.length;
  return {
    encoderMs: mean((o) => o.encoderMs),
    decodeMs: mean((o) => o.decodeMs),
    smallCalls: mean((o) => o.smallCalls),
    largeCalls: mean((o) => o.largeCalls),
    median: percentile(ms, 50),
    p90: percentile(ms, 90),
    tokensPerS: tokens / seconds,
    smallShare: outs.reduce((a, o) => a + o.smallTokens, 0) / tokens,
    bleu: corpusBleu(outs.map((o) => o.text), refs).score,
  };
};
const base = summarize(results.get(rows[0]!.label)!);
console.log(describeMachine());
console.log(`${data.length} demo test sentences, threads ${threads ?? 'auto (1 below 16 MB of weights, else all cores)'}, warm-up excluded\n`);
console.log('| method | ms/sentence median | p90 | tokens/s | speedup vs large | small-model tokens | BLEU | encoder ms (mean) | decode ms (mean) | small / large calls per sentence |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const s = summarize(results.get(r.label)!);
  console.log(
    `| ${r.label} | ${s.median.toFixed(1)} | ${s.p90.toFixed(1)} | ${s.tokensPerS.toFixed(0)} | ${(s.tokensPerS / base.tokensPerS).toFixed(2)}x | ${(100 * s.smallShare).toFixed(0)}% | ${s.bleu.toFixed(2)} | ${s.encoderMs.toFixed(2)} | ${s.decodeMs.toFixed(1)} | ${s.smallCalls.toFixed(1)} / ${s.largeCalls.toFixed(1)} |`,
  );
}
for (const m of [large, small, tiny]) await m.runtime.release();
