// npm run bench:core — (1) export time and peak RSS for a random-weight mT5-small-shaped checkpoint
// (~300M parameters, 1.2 GB of float32), exported in a child process so that its peak RSS is the
// exporter's alone; (2) greedy decode ms/token for toy-t5-large on the CPU provider.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeRandomT5Checkpoint } from '../engine/checkpoint/safetensors-writer';
import { greedyDecode } from '../engine/decoding/greedy';
import { percentile } from '../engine/metrics';
import { loadModel } from '../engine/model';
import { resourcesDir } from '../engine/paths';
import { demoTestSet } from './demo-set';
import { describeMachine } from './machine';

const work = mkdtempSync(join(tmpdir(), 'bench-core-'));
process.env.BILD_BENCH_HOME = join(work, 'home');
try {
  console.log(describeMachine());

  // 1. export of an mT5-small-shaped random checkpoint
  const ckpt = join(work, 'mt5-small-random');
  const written = await writeRandomT5Checkpoint(ckpt, {}, 1);
  const ckptBytes = statSync(written.file).size;
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./export-child.ts', import.meta.url)), ckpt, join(work, 'onnx')], {
    encoding: 'utf8',
    env: process.env,
  });
  if (child.status !== 0) throw new Error(`export failed: ${child.stderr}`);
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as { exportMs: number; maxRssBytes: number; weightBytes: number };
  console.log('\n| checkpoint | parameters | file | export time | peak RSS | peak RSS / checkpoint |');
  console.log('|---|---|---|---|---|---|');
  console.log(
    `| random mT5-small shape (fp32) | ${(written.parameters / 1e6).toFixed(0)} M | ${(ckptBytes / 2 ** 30).toFixed(2)} GiB | ${(r.exportMs / 1000).toFixed(1)} s | ${(r.maxRssBytes / 2 ** 30).toFixed(2)} GiB | ${(r.maxRssBytes / ckptBytes).toFixed(2)}x (target ≤ 1.5x) |`,
  );
  rmSync(ckpt, { recursive: true, force: true });
  rmSync(join(work, 'onnx'), { recursive: true, force: true });

  // 2. greedy decoding on the demo test sentences
  const n = Number(process.env.BENCH_SENTENCES ?? 100);
  const sources = (await demoTestSet(n)).map((e) => e.source);
  console.log('\n| model | threads | ms/token (mean) | ms/sentence median | p90 |');
  console.log('|---|---|---|---|---|');
  for (const threads of [undefined, 1]) {
    const m = await loadModel(join(resourcesDir(), 'models', 'toy-t5-large'), { threads });
    const encoded = [];
    for (const source of sources) encoded.push(await m.runtime.encode(m.tokenizer.encode(source)));
    for (const e of encoded.slice(0, 5)) await greedyDecode(m.runtime, e); // warm-up
    const ms: number[] = [];
    let tokens = 0;
    for (const e of encoded) {
      const t0 = performance.now();
      const g = await greedyDecode(m.runtime, e);
      ms.push(performance.now() - t0);
      tokens += g.calls;
    }
    const total = ms.reduce((a, b) => a + b, 0);
    console.log(`| toy-t5-large | ${threads ?? 'auto'} | ${(total / tokens).toFixed(3)} | ${percentile(ms, 50).toFixed(1)} | ${percentile(ms, 90).toFixed(1)} |`);
    await m.runtime.release();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
