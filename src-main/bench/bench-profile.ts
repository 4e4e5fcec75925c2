// npm run bench:profile [-- --shape t5-large --dtypes fp32,int8,q4 --block_size 32 --accuracy_level 4 --steps 64 --src 32 --threads N --top 12 --cache DIR --out DIR]
// Where a greedy decoder step's time goes, per onnxruntime operator type, for one bench:scale shape
// at each dtype (same random checkpoint and export cache as bench:scale): one warm-up decoding, then
// one profiled decoding whose decoder runs are averaged. Shows how much of a step the weight
// matmuls are and what the rest costs (attention, norms, cache copies, the time outside kernels),
// which bounds what a smaller weight format can gain. Profiling adds a little to every kernel:
// compare the shares, and take ms/token from bench:scale.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { autoThreads } from '../engine/model';
import { EXPORT_FILES, ensureExported } from '../engine/onnx/export-t5';
import { t5Parameters } from '../engine/onnx/t5-weights';
import { appHome } from '../engine/paths';
import { appGitCommit } from '../engine/runner/environment';
import { benchArgs } from './bench-args';
import { T5Runtime } from '../engine/runtime/t5-runtime';
import { DEFAULT_ACCURACY_LEVEL, DEFAULT_BLOCK_SIZE, MAX_ACCURACY_LEVEL, QUANTIZED_DTYPES, WEIGHT_DTYPES, type WeightDType } from '../engine/weight-options';
import { describeMachine } from './machine';
import { profileFileOf, summarizeProfile, type ProfileSummary } from './op-profile';
import { ensureCheckpoint, SCALE_SHAPES } from './scale-shapes';
import { fixedSource, greedyFixed } from './scale-timing';

const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: 't5-large' },
    dtypes: { type: 'string', default: 'fp32,int8,q4' },
    block_size: { type: 'string', default: String(DEFAULT_BLOCK_SIZE) },
    accuracy_level: { type: 'string', default: String(DEFAULT_ACCURACY_LEVEL) },
    steps: { type: 'string', default: '64' },
    src: { type: 'string', default: '32' },
    threads: { type: 'string' },
    top: { type: 'string', default: '12' },
    cache: { type: 'string', default: join(appHome(), 'bench-scale') },
    out: { type: 'string' },
  },
});

const { fail, bounded, listOf, blockSize: blockSizeOf } = benchArgs('bench:profile');

const shape = values.shape;
if (!SCALE_SHAPES[shape]) fail(`--shape: ${shape} not among ${Object.keys(SCALE_SHAPES).join(', ')}`);
const dtypes = listOf('dtypes', values.dtypes, WEIGHT_DTYPES);
const blockSize = blockSizeOf('block_size', values.block_size);
const accuracyLevel = bounded('accuracy_level', values.accuracy_level, 0, MAX_ACCURACY_LEVEL);
// onnxruntime records at most 1M profile events a session: 2 decodings of 256 steps stay under it at T5-large's ~1,050 a step
const steps = bounded('steps', values.steps, 1, 256);
const srcLen = bounded('src', values.src, 1, 512);
const top = bounded('top', values.top, 1, 100);
const config = SCALE_SHAPES[shape]!.config;
// as the app picks them: from the checkpoint's fp32 size, the same at every dtype
const threads = values.threads === undefined ? autoThreads(4 * t5Parameters(config)) : bounded('threads', values.threads, 1, 256);
const started = new Date();
const outDir = values.out ?? join(values.cache, 'profiles', started.toISOString().replace(/[:.]/g, '-'));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Profiled {
  dtype: WeightDType;
  decoder: ProfileSummary;
  encoder: ProfileSummary;
  /** ms per token of the profiled decoding (encoder included). */
  msPerToken: number;
}

async function profile(dtype: WeightDType): Promise<Profiled> {
  const quant = QUANTIZED_DTYPES.includes(dtype) ? { blockSize, accuracyLevel } : {};
  const e = await ensureExported(await ensureCheckpoint(values.cache, shape), { dtype, ...quant, cacheRoot: join(values.cache, 'onnx') });
  const dir = mkdtempSync(join(tmpdir(), 'bild-bench-profile-'));
  try {
    const rt = await T5Runtime.load(e.dir, { threads, maxLength: steps + 1, profileDir: dir });
    const src = fixedSource(srcLen);
    let ms: number;
    try {
      await greedyFixed(rt, src, steps); // warm-up: its runs are skipped below
      ms = (await greedyFixed(rt, src, steps)).ms;
    } finally {
      await rt.release(); // writes the profiles
    }
    return {
      dtype,
      decoder: summarizeProfile(profileFileOf(dir, EXPORT_FILES.decoder.replace(/\.onnx$/, '')), steps, 2 * steps),
      encoder: summarizeProfile(profileFileOf(dir, EXPORT_FILES.encoder.replace(/\.onnx$/, '')), 1, 2),
      msPerToken: ms / steps,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number): string => x.toFixed(2);
const share = (part: number, whole: number): string => `${Math.round((100 * part) / whole)}%`;

function table(results: Profiled[]): string {
  const ops = [...new Set(results.flatMap((r) => r.decoder.ops.slice(0, top).map((o) => o.op)))];
  const head = `| decoder step, ms (share) | ${results.map((r) => r.dtype).join(' | ')} |`;
  const cell = (r: Profiled, ms: number, count?: number): string => `${fmt(ms)} (${share(ms, r.decoder.runMs)}${count ? `, ×${count}` : ''})`;
  const lines = [head, `|---|${results.map(() => '---').join('|')}|`];
  for (const op of ops)
    lines.push(
      `| ${op} | ${results
        .map((r) => {
          const o = r.decoder.ops.find((x) => x.op === op);
          return o ? cell(r, o.ms, o.count) : '';
        })
        .join(' | ')} |`,
    );
  const rest = (r: Profiled): number => r.decoder.kernelMs - r.decoder.ops.filter((o) => ops.includes(o.op)).reduce((n, o) => n + o.ms, 0);
  lines.push(`| other kernels | ${results.map((r) => cell(r, rest(r))).join(' | ')} |`);
  lines.push(`| outside kernels | ${results.map((r) => cell(r, r.decoder.runMs - r.decoder.kernelMs)).join(' | ')} |`);
  lines.push(`| **decoder run** | ${results.map((r) => `**${fmt(r.decoder.runMs)}**`).join(' | ')} |`);
  lines.push(`| encoder run (once per ${steps} tokens) | ${results.map((r) => fmt(r.encoder.runMs)).join(' | ')} |`);
  lines.push(`| greedy ms/token, profiled | ${results.map((r) => fmt(r.msPerToken)).join(' | ')} |`);
  return lines.join('\n');
}

log(`bench:profile: ${shape}, dtypes ${dtypes.join(',')}, ${threads ? `${threads} threads` : 'threads on every core'}, encode ${srcLen}, decode ${steps}; cache ${values.cache}`);
const results: Profiled[] = [];
for (const dtype of dtypes) {
  log(`  ${shape}@${dtype}...`);
  results.push(await profile(dtype));
}
const environment = {
  machine: describeMachine(),
  date: started.toISOString(),
  commit: appGitCommit() ?? 'unknown',
  shape,
  threads,
  blockSize,
  accuracyLevel,
  steps,
  src: srcLen,
};
const header = `${environment.machine}, ${environment.date}, commit ${environment.commit}; ${shape}, CPU provider, ${threads ? `${threads} intra-op threads` : 'intra-op threads on every core'}, encode ${srcLen} tokens, decode ${steps}; int8/q4: block size ${blockSize}, accuracy level ${accuracyLevel}`;
process.stdout.write(`${header}\n\n${table(results)}\n`);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'results.json'), `${JSON.stringify({ environment, results }, null, 2)}\n`);
log(`wrote ${join(outDir, 'results.json')}`);
