/**
 * Runner overhead on the demo pair: per sentence, the wall time the runner spends outside
 * generate() (metrics, CSV/JSONL/SQLite writes, events) against the time inside it.
 * Target: under 2% (docs/runs.md records results). Usage: node out/main/bench-runner.js [--limit N] [--threads N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createInProcessEngine } from '../engine/api';

const { values } = parseArgs({ options: { limit: { type: 'string', default: '200' }, threads: { type: 'string', default: '0' } } });
const tmp = mkdtempSync(join(tmpdir(), 'bench-runner-'));
const engine = createInProcessEngine({ historyPath: join(tmp, 'history.sqlite') });
let events = 0;
engine.subscribe(() => void events++); // a listener, as every front end has one
try {
  const { runId } = await engine.startRun({
    models: { small: 'demo/small', large: 'demo/large' },
    dataset: { name: 'demo', limit: Number(values.limit) },
    threads: Number(values.threads),
    warmup: 2,
    outDir: join(tmp, 'out'),
  });
  const s = await engine.waitForRun(runId);
  const decodeMs = s.summaries.reduce((a, v) => a + v.latencyMs.mean, 0);
  console.log(`node ${process.version}, ${cpus()[0]?.model} x${cpus().length}, onnxruntime ${s.environment?.onnxruntime}`);
  console.log(`${s.sentences} sentences x ${s.variants.length} methods, ${events} events`);
  for (const v of s.summaries) console.log(`  ${v.variant.padEnd(12)} ${v.latencyMs.mean.toFixed(2)} ms/sentence`);
  console.log(`generate() per sentence (all methods): ${decodeMs.toFixed(2)} ms`);
  console.log(`runner overhead per sentence: ${s.overhead!.meanMsPerSentence.toFixed(3)} ms = ${s.overhead!.pctOfDecode.toFixed(3)}% (target < 2%)`);
  process.exitCode = s.overhead!.pctOfDecode < 2 ? 0 : 1;
} finally {
  await engine.close();
  rmSync(tmp, { recursive: true, force: true });
}
