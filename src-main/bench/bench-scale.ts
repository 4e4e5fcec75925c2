// npm run bench:scale [-- --shapes t5-small,t5-base --dtypes fp32,int8,q4 --rows greedy,bild,deviation --block_size 32 --accuracy_level 4 --ep cpu|webgpu|cuda --kv_cache host,device --steps 64 --src 32 --repeats 3 --cache DIR --out DIR --prepare]
// Real-size speed on this machine (issue #17; --ep: the execution provider, default the CPU):
// random-weight checkpoints shaped like T5-small/base/large and mT5-small/large (scale-shapes.ts),
// exported by this project at each dtype and, at fp32, int8 and q4, to transformers.js's layout
// (its int8/q4 files hold this project's MatMulNBits weights: same weights, same kernels, another
// engine around them). Rows: greedy ms/token (encode --src tokens,
// decode --steps, EOS ignored) of this engine and of transformers.js generate() at the same dtype; a BiLD-like
// pattern (BiLD's loop with every draft accepted: 10 small steps + one large chunk of 11),
// sequential and pipelined, with the paper's small model or the large shape at a lower dtype as
// the drafter. Each row's weight bytes read per token against the memory bandwidth measured in
// the same run, a STREAM-like copy and a read-only stream ("x of floor"); and each quantized
// export's logit deviation from fp32 (logit-deviation.ts). Prints Markdown tables and the issue's targets;
// writes results.json and results.csv (with the machine) to --out. --prepare: write the
// checkpoints and exports only (then time on a quiet machine). --kv_cache host,device: this engine's
// greedy rows in both decoder cache layouts (t5-graphs.ts), timed in turns in one run.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, freemem, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { autoThreads, computeTypeFor } from '../engine/model';
import { EXPORT_FILES, EXPORTER_VERSION, ensureExported } from '../engine/onnx/export-t5';
import { t5Parameters } from '../engine/onnx/t5-weights';
import { DEFAULT_ACCURACY_LEVEL, DEFAULT_BLOCK_SIZE, MAX_ACCURACY_LEVEL, QUANTIZED_DTYPES, WEIGHT_DTYPES, type WeightDType } from '../engine/weight-options';
import { externalDataOf } from '../engine/onnx/export-files';
import { exportTransformersJs, TRANSFORMERS_JS_DTYPES, transformersJsFiles, type TransformersJsDType } from '../engine/onnx/transformersjs-export';
import { appHome } from '../engine/paths';
import { appGitCommit } from '../engine/runner/environment';
import { benchArgs } from './bench-args';
import { csvField } from '../engine/runner/csv';
import { resolveProvider } from '../engine/runtime/providers';
import { defaultKvCache, T5Runtime } from '../engine/runtime/t5-runtime';
import type { KvCacheLayout } from '../engine/onnx/t5-graphs';
import { describeMachine } from './machine';
import { bestBandwidth, measureBandwidth, type Bandwidth } from './memory-bandwidth';
import { checkpointDir, ensureCheckpoint, exportBytesEstimate, freeBytes, hasCheckpoint, parameterCount, SCALE_SHAPES } from './scale-shapes';
import { bildLikeFixed, fixedSource, greedyFixed, interleavedMsPerToken, loadTjs, msPerToken, TJS_DEVICES, type Decoding, type TjsDevice, type Timing } from './scale-timing';
import { graphWeightBytesPerRun } from './weight-bytes';
import { logitDeviation, type LogitDeviation } from './logit-deviation';

const DEFAULT_SHAPES = 't5-small,t5-base,t5-large,mt5-small';
const GB = 1e9;
const MB = 1e6;

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: DEFAULT_SHAPES },
    dtypes: { type: 'string', default: 'fp32,int8,q4' },
    steps: { type: 'string', default: '64' },
    src: { type: 'string', default: '32' },
    repeats: { type: 'string', default: '3' },
    block_size: { type: 'string', default: String(DEFAULT_BLOCK_SIZE) },
    accuracy_level: { type: 'string', default: String(DEFAULT_ACCURACY_LEVEL) },
    ep: { type: 'string', default: 'cpu' },
    rows: { type: 'string', default: 'greedy,bild,deviation' },
    kv_cache: { type: 'string' },
    cache: { type: 'string', default: join(appHome(), 'bench-scale') },
    out: { type: 'string' },
    prepare: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(`${readFileSync(new URL(import.meta.url), 'utf8').split('\n')[0]!.slice(3)}\nshapes: ${Object.keys(SCALE_SHAPES).join(', ')}; dtypes: ${WEIGHT_DTYPES.join(', ')}; eps: ${TJS_DEVICES.join(', ')}\n`);
  process.exit(0);
}

const { fail, bounded, listOf, blockSize: blockSizeOf } = benchArgs('bench:scale');

const shapes = listOf('shapes', values.shapes, Object.keys(SCALE_SHAPES));
const dtypes = listOf('dtypes', values.dtypes, WEIGHT_DTYPES);
/** The row groups to run: greedy timing, BiLD-like timing, each quantized export's logit deviation from fp32. */
const ROW_GROUPS = ['greedy', 'bild', 'deviation'] as const;
const rowGroups = listOf('rows', values.rows, ROW_GROUPS);
if (rowGroups.includes('deviation') && !(dtypes.includes('fp32') && dtypes.some((d) => QUANTIZED_DTYPES.includes(d))))
  fail(`--rows deviation compares int8/q4 with fp32: --dtypes needs fp32 and int8 or q4 (it is ${dtypes.join(',')})`);
/** transformers.js is timed in greedy rows only: other row groups need no transformers.js layout. */
const tjsDtypes = rowGroups.includes('greedy') ? dtypes.filter(isTjsDtype) : [];
const steps = bounded('steps', values.steps, 1, 500);
const srcLen = bounded('src', values.src, 1, 512);
const repeats = bounded('repeats', values.repeats, 1, 20);
const blockSize = blockSizeOf('block_size', values.block_size);
const accuracyLevel = bounded('accuracy_level', values.accuracy_level, 0, MAX_ACCURACY_LEVEL);
/** This engine's execution provider and transformers.js's `device` of the same name. */
const ep = values.ep as TjsDevice;
if (!TJS_DEVICES.includes(ep)) fail(`--ep: ${values.ep} not among ${TJS_DEVICES.join(', ')}`);
try {
  resolveProvider(ep);
} catch (err) {
  fail((err as Error).message.replace(/ \(allow a CPU fallback with [^)]*\)$/, ''));
}
/**
 * The decoder cache layouts of this engine's greedy rows (t5-runtime.ts), the provider's own
 * first: the one every other row and every target uses. Listing both times them in one run.
 */
const defaultLayout = defaultKvCache(ep);
const layouts = listOf('kv_cache', values.kv_cache ?? defaultLayout, ['host', 'device'] as const).sort((a, b) => Number(b === defaultLayout) - Number(a === defaultLayout));
const primaryLayout = layouts[0]!;
const cache = values.cache;
const started = new Date();
const outDir = values.out ?? join(cache, 'results', started.toISOString().replace(/[:.]/g, '-'));
const src = fixedSource(srcLen);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Row {
  shape: string;
  dtype: WeightDType;
  engine: 'bild-bench' | 'transformers.js';
  /** bild-bench rows: where the decoder's cache lives between steps. */
  kvCache?: KvCacheLayout;
  method: 'greedy' | 'bild-like' | 'bild-like pipelined';
  /** The models decoding: `shape@dtype`, drafter first. */
  models: string;
  /** The fastest decoding's; every ratio uses it. */
  msPerToken: number;
  meanMsPerToken: number;
  tokens: number;
  smallCalls: number;
  largeCalls: number;
  /** Weight bytes read per generated token (encoders amortised over the decoding). */
  bytesPerToken: number;
  floorMsPerToken: number;
  xOfFloor: number;
  /** bild-bench fp32 greedy ms/token of the same (large) shape over this row's. */
  speedupVsFp32Greedy?: number;
  /** Greedy rows: transformers.js ms/token at the same shape and dtype over this row's. */
  speedupVsTjs?: number;
}
/** What a row says before it is timed. */
type RowSpec = Omit<Row, 'msPerToken' | 'meanMsPerToken' | 'floorMsPerToken' | 'xOfFloor' | 'tokens' | 'smallCalls' | 'largeCalls'>;
const rows: Row[] = [];
const notes: string[] = [];

/** An exported model of the cache: its folder and the weight bytes one encoder and one decoder run read. */
interface Exported {
  dir: string;
  /** Bytes of its weights file. */
  weightBytes: number;
  encBytes: number;
  decBytes: number;
  /** Intra-op threads when --threads is not given (engine/model.ts autoThreads). */
  autoThreads: number;
}
/** undefined: the export failed (noted once). */
const exported = new Map<string, Exported | undefined>();
const key = (shape: string, dtype: string): string => `${shape}@${dtype}`;

/** This project's export of `shape` at `dtype` (cached by ensureExported under the cache folder); undefined when the exporter refuses the dtype. */
async function exportOf(shape: string, dtype: WeightDType): Promise<Exported | undefined> {
  const k = key(shape, dtype);
  if (exported.has(k)) return exported.get(k);
  try {
    const e = await ensureExported(checkpointDir(cache, shape), {
      dtype,
      ...(QUANTIZED_DTYPES.includes(dtype) ? { blockSize, accuracyLevel } : {}),
      compute: computeTypeFor(ep, dtype),
      cacheRoot: join(cache, 'onnx'),
    });
    const x = {
      dir: e.dir,
      weightBytes: e.manifest.weightBytes,
      // threads as the app picks them: from the checkpoint's fp32 size, the same at every dtype
      autoThreads: autoThreads(4 * t5Parameters(e.manifest.config)),
      encBytes: graphWeightBytesPerRun(join(e.dir, EXPORT_FILES.encoder)),
      decBytes: graphWeightBytesPerRun(join(e.dir, EXPORT_FILES.decoder)),
    };
    exported.set(k, x);
    return x;
  } catch (err) {
    exported.set(k, undefined);
    // one shape or dtype failing (a full disk, a quantizer refusing a shape) leaves the others to run
    notes.push(`${k}: not measured, the export failed: ${(err as Error).message.split('\n')[0]}`);
    log(`  ${notes.at(-1)}`);
    return undefined;
  }
}

/** Threads apply to the CPU provider only. */
const loadRuntime = (e: Exported, threads?: number, kvCache = primaryLayout): Promise<T5Runtime> =>
  T5Runtime.load(e.dir, { ep, ...(ep === 'cpu' ? { threads: threads ?? e.autoThreads } : {}), maxLength: steps + 1, kvCache });

let bandwidth: Bandwidth;
const floorMs = (bytes: number): number => (bytes / bestBandwidth(bandwidth)) * 1000;

function addRow(r: RowSpec, m: Timing): void {
  const d = m.last;
  const floor = floorMs(r.bytesPerToken);
  rows.push({ ...r, msPerToken: m.best, meanMsPerToken: m.mean, tokens: d.tokens, smallCalls: d.smallCalls, largeCalls: d.largeCalls, floorMsPerToken: floor, xOfFloor: m.best / floor });
  const x = rows.at(-1)!;
  log(`  ${x.engine}${layouts.length > 1 && x.kvCache ? ` (${x.kvCache} cache)` : ''} ${x.method} ${x.models}: ${x.msPerToken.toFixed(2)} ms/token, ${(x.bytesPerToken / MB).toFixed(1)} MB/token, ${x.xOfFloor.toFixed(2)}x of floor`);
  report(false);
}

/** A greedy row's decoder, not loaded yet. */
interface Contender {
  row: RowSpec;
  /** Bytes of its weight files (what loading it costs in memory). */
  fileBytes: number;
  load(): Promise<{ decode: () => Promise<Decoding>; release: () => Promise<void> }>;
}

/**
 * Greedy rows of one shape: this engine and transformers.js at each dtype (transformers.js at fp32,
 * int8 and q4: the dtypes whose transformers.js layout this project writes). Loaded together
 * and timed taking turns when their weights fit in half the free memory (machine noise then hits
 * every row alike: the ratios between them are what the targets compare); else one after another.
 */
async function greedyRows(shape: string): Promise<void> {
  const contenders: Contender[] = [];
  for (const dtype of dtypes) {
    const e = await exportOf(shape, dtype);
    if (!e) continue;
    for (const kvCache of layouts)
      contenders.push({
        row: { shape, dtype, engine: 'bild-bench', kvCache, method: 'greedy', models: key(shape, dtype), bytesPerToken: e.decBytes + e.encBytes / steps },
        fileBytes: e.weightBytes,
        load: async () => {
          const rt = await loadRuntime(e, undefined, kvCache);
          return { decode: () => greedyFixed(rt, src, steps), release: () => rt.release() };
        },
      });
    if (isTjsDtype(dtype)) {
      const t = await tjsContender(shape, dtype, e).catch((err: unknown) => {
        notes.push(`${key(shape, dtype)}: transformers.js not measured, its export failed: ${(err as Error).message.split('\n')[0]}`);
        log(`  ${notes.at(-1)}`);
        return undefined;
      });
      if (t) contenders.push(t);
    }
  }
  // a GPU's memory is not known here: on a GPU provider each row loads alone
  const fits = ep === 'cpu' && 2 * contenders.reduce((n, c) => n + c.fileBytes, 0) < freemem();
  const groups = fits ? [contenders] : contenders.map((c) => [c]);
  for (const group of groups) {
    const loaded: Awaited<ReturnType<Contender['load']>>[] = [];
    try {
      for (const c of group) loaded.push(await c.load());
      const timings = await interleavedMsPerToken(loaded.map((l) => l.decode), steps, repeats);
      group.forEach((c, i) => addRow(c.row, timings[i]!));
    } finally {
      for (const l of loaded) await l.release();
    }
  }
  if (!fits) notes.push(`${shape}: greedy rows timed one after another (together they need more than half the free memory)`);
}

function isTjsDtype(dtype: WeightDType): dtype is TransformersJsDType {
  return (TRANSFORMERS_JS_DTYPES as readonly string[]).includes(dtype);
}

/**
 * This project's transformers.js layout of the shape at `dtype`, written unless cached. One folder
 * holds fp32 and int8/q4 at the default block size and accuracy level; other quantization settings
 * get a folder of their own (a folder's int8/q4 files are of one setting).
 */
/** The transformers.js folder of a shape at a dtype: one for fp32 and the default quantization, one per other block size/accuracy level. */
function tjsDir(shape: string, dtype: TransformersJsDType): string {
  const defaults = dtype === 'fp32' || (blockSize === DEFAULT_BLOCK_SIZE && accuracyLevel === DEFAULT_ACCURACY_LEVEL);
  return join(cache, shape, `transformersjs-v${EXPORTER_VERSION}${defaults ? '' : `-b${blockSize}-a${accuracyLevel}`}`);
}
const hasTjsExport = (shape: string, dtype: TransformersJsDType): boolean => existsSync(join(tjsDir(shape, dtype), transformersJsFiles(dtype).decoder));

async function ensureTjsExport(shape: string, dtype: TransformersJsDType): Promise<string> {
  const quant = dtype !== 'fp32';
  const dir = tjsDir(shape, dtype);
  if (!hasTjsExport(shape, dtype))
    await exportTransformersJs(checkpointDir(cache, shape), dir, { dtype, ...(quant ? { blockSize, accuracyLevel } : {}) });
  return dir;
}

/** transformers.js generate() over the same weights as this engine's export at `dtype` (`e`). */
async function tjsContender(shape: string, dtype: TransformersJsDType, e: Exported): Promise<Contender> {
  const dir = await ensureTjsExport(shape, dtype);
  return {
    // the same weights per token as this engine's export at that dtype (cross-attention K/V once per source in both)
    row: { shape, dtype, engine: 'transformers.js', method: 'greedy', models: key(shape, dtype), bytesPerToken: e.decBytes + e.encBytes / steps },
    fileBytes: Object.values(transformersJsFiles(dtype)).reduce((n, f) => n + statSync(join(dir, externalDataOf(f))).size, 0),
    load: async () => {
      const tjs = await loadTjs(dir, dtype, ep);
      return { decode: () => tjs.greedy(src, steps), release: () => tjs.dispose() };
    },
  };
}

/** BiLD-like rows of a large shape with one drafter, sequential then pipelined. */
async function bildRows(shape: string, small: { shape: string; dtype: WeightDType }, largeDtype: WeightDType): Promise<void> {
  const s = await exportOf(small.shape, small.dtype);
  const l = await exportOf(shape, largeDtype);
  if (!s || !l) return;
  const models = `${key(small.shape, small.dtype)} + ${key(shape, largeDtype)}`;
  // pipelined: the large model on all cores but the drafter's (so verifier() needs no second copy of it)
  for (const pipelined of [false, true]) {
    const sr = await loadRuntime(s);
    const lr = await loadRuntime(l, pipelined ? Math.max(1, availableParallelism() - 1) : undefined).catch(async (err: unknown) => {
      await sr.release();
      throw err;
    });
    try {
      const m = await msPerToken(() => bildLikeFixed(sr, lr, src, steps, pipelined), steps, repeats);
      const d = m.last;
      const bytes = (d.smallCalls * s.decBytes + d.largeCalls * l.decBytes + s.encBytes + l.encBytes) / d.tokens;
      addRow({ shape, dtype: largeDtype, engine: 'bild-bench', kvCache: primaryLayout, method: pipelined ? 'bild-like pipelined' : 'bild-like', models, bytesPerToken: bytes }, m);
    } finally {
      await sr.release();
      await lr.release();
    }
  }
}

/** Shapes that need a checkpoint: the selected ones and, for BiLD-like rows, their drafters. */
function neededShapes(): string[] {
  const need = new Set<string>();
  for (const s of shapes) {
    need.add(s);
    const d = SCALE_SHAPES[s]!.drafter;
    if (d && rowGroups.includes('bild')) need.add(d);
  }
  return [...need];
}

/** Writes the checkpoints that fit on the disk; returns the shapes left out, with a line each saying why. */
async function prepareCheckpoints(): Promise<Set<string>> {
  const skipped = new Set<string>();
  for (const shape of neededShapes()) {
    const cfg = SCALE_SHAPES[shape]!.config;
    // conservative: every dtype's export as big as fp32's, in both layouts, and 1 GB to spare
    const need = (hasCheckpoint(cache, shape) ? 0 : 4 * parameterCount(cfg)) + (dtypes.length + tjsDtypes.length) * exportBytesEstimate(cfg) + GB;
    const free = freeBytes(cache);
    const cached = hasCheckpoint(cache, shape) && tjsDtypes.every((d) => hasTjsExport(shape, d));
    if (!cached && need > free) {
      skipped.add(shape);
      notes.push(`${shape}: skipped, its checkpoint and exports need up to ${(need / GB).toFixed(1)} GB and ${cache} has ${(free / GB).toFixed(1)} GB free`);
      log(notes.at(-1)!);
      continue;
    }
    log(`${shape}: ${(parameterCount(cfg) / 1e6).toFixed(0)} M parameters, checkpoint ${hasCheckpoint(cache, shape) ? 'cached' : 'writing'}...`);
    await ensureCheckpoint(cache, shape);
  }
  return skipped;
}

const fmt = (x: number | undefined, digits = 2): string => (x === undefined ? '' : x.toFixed(digits));

function fillRatios(): void {
  for (const r of rows) {
    r.floorMsPerToken = floorMs(r.bytesPerToken); // the bandwidth may have been measured again since
    r.xOfFloor = r.msPerToken / r.floorMsPerToken;
    const base = rows.find((b) => b.shape === r.shape && b.engine === 'bild-bench' && b.kvCache === r.kvCache && b.method === 'greedy' && b.dtype === 'fp32');
    if (base && r.engine === 'bild-bench') r.speedupVsFp32Greedy = base.msPerToken / r.msPerToken;
    const tjs = rows.find((b) => b.shape === r.shape && b.engine === 'transformers.js' && b.dtype === r.dtype);
    if (tjs && r.engine === 'bild-bench' && r.method === 'greedy') r.speedupVsTjs = tjs.msPerToken / r.msPerToken;
  }
}

/** The issue's targets, each met, not met (with the numbers) or not measured. */
function targets(): string[] {
  const greedy = (shape: string, dtype: string): Row | undefined =>
    rows.find((r) => r.shape === shape && r.dtype === dtype && r.engine === 'bild-bench' && r.kvCache === primaryLayout && r.method === 'greedy');
  const out: string[] = [];
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  for (const [dtype, want] of [['q4', 4], ['int8', 2]] as const) {
    const r = greedy('t5-large', dtype);
    out.push(r?.speedupVsFp32Greedy ? `T5-large ${dtype} greedy >= ${want}x faster than fp32: ${fmt(r.speedupVsFp32Greedy)}x, ${verdict(r.speedupVsFp32Greedy >= want)}` : `T5-large ${dtype} greedy >= ${want}x faster than fp32: not measured`);
  }
  const g = rows.filter((r) => r.method === 'greedy' && (r.engine !== 'bild-bench' || r.kvCache === primaryLayout));
  const far = g.filter((r) => r.xOfFloor > 1.25);
  if (!g.length) out.push('every greedy row within 1.25x of its bandwidth floor: not measured');
  else out.push(`every greedy row within 1.25x of its bandwidth floor: ${verdict(far.length === 0)} (${g.length - far.length}/${g.length}; ${far.map((r) => `${r.engine} ${r.models} ${fmt(r.xOfFloor)}x`).join(', ') || 'none beyond'})`);
  const vs = rows.filter((r) => r.speedupVsTjs !== undefined && r.kvCache === primaryLayout);
  const slower = vs.filter((r) => r.speedupVsTjs! < 1);
  // every selected dtype: its ratios, or why there are none
  const perDtype = dtypes.map((d) => {
    const at = vs.filter((r) => r.dtype === d);
    if (at.length) return at.map((r) => `${r.models} ${fmt(r.speedupVsTjs)}x`).join(', ');
    return isTjsDtype(d) ? `${d} not measured` : `${d} not measured (no transformers.js layout at ${d})`;
  });
  out.push(`not slower than transformers.js at equal dtype: ${vs.length ? verdict(slower.length === 0) : 'not measured'} (${perDtype.join('; ')})`);
  const small = greedy('t5-small', 'fp32');
  out.push(`>= 1.2x faster than transformers.js at T5-small: ${small?.speedupVsTjs ? `${fmt(small.speedupVsTjs)}x, ${verdict(small.speedupVsTjs >= 1.2)}` : 'not measured'}`);
  // the verifier at fp32 (BiLD's output quality is the fp32 model's); the drafter q4 T5-large or T5-small
  const drafters = /^(t5-large@q4|t5-small@\w+) \+ t5-large@fp32$/;
  const bild = rows.filter((r) => r.method.startsWith('bild-like') && drafters.test(r.models) && r.speedupVsFp32Greedy !== undefined);
  const best = bild.reduce<Row | undefined>((b, r) => (!b || r.speedupVsFp32Greedy! > b.speedupVsFp32Greedy! ? r : b), undefined);
  out.push(`BiLD-like, T5-large fp32 verifying a q4 T5-large or a T5-small drafter, >= 3x faster than fp32 greedy: ${best ? `best ${best.method} ${best.models} ${fmt(best.speedupVsFp32Greedy)}x, ${verdict(best.speedupVsFp32Greedy! >= 3)}` : 'not measured'}`);
  return out;
}

const COLUMNS: [string, (r: Row) => string | number | undefined][] = [
  ['shape', (r) => r.shape],
  ['dtype', (r) => r.dtype],
  ['engine', (r) => r.engine],
  ['kv_cache', (r) => r.kvCache],
  ['method', (r) => r.method],
  ['models', (r) => r.models],
  ['ms_per_token', (r) => fmt(r.msPerToken)],
  ['mean_ms_per_token', (r) => fmt(r.meanMsPerToken)],
  ['mb_per_token', (r) => fmt(r.bytesPerToken / MB, 1)],
  ['floor_ms_per_token', (r) => fmt(r.floorMsPerToken)],
  ['x_of_floor', (r) => fmt(r.xOfFloor)],
  ['vs_fp32_greedy', (r) => fmt(r.speedupVsFp32Greedy)],
  ['vs_transformers_js', (r) => fmt(r.speedupVsTjs)],
  ['tokens', (r) => r.tokens],
  ['small_calls', (r) => r.smallCalls],
  ['large_calls', (r) => r.largeCalls],
];

/** Prints (final) and writes results.json and results.csv: after every row, so an interrupted run keeps what it measured. */
function report(final: boolean): void {
  fillRatios();
  const bw = bestBandwidth(bandwidth);
  const head = [
    `bench:scale, ${started.toISOString()}, commit ${appGitCommit() ?? 'unknown'}`,
    `${describeMachine()}; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at the start, ${loadavg().map((x) => x.toFixed(2)).join(' ')} ${final ? 'at the end' : 'now'}`,
    `execution provider ${ep}${ep === 'cpu' ? '' : " (threads and the bandwidth floor below are the CPU's: the floor does not bound a GPU)"}`,
    `memory bandwidth (STREAM-like copy of ${bandwidth.bytes >> 20} MiB, read + written, best of ${bandwidth.trials}): ${(bandwidth.oneThread / GB).toFixed(1)} GB/s on one thread, ${(bandwidth.allCores / GB).toFixed(1)} GB/s on ${bandwidth.cores} cores; read-only stream (onnxruntime ReduceSum on every core): ${(bandwidth.read / GB).toFixed(1)} GB/s; floor = bytes per token / ${(bw / GB).toFixed(1)} GB/s, the best of the three`,
    `encode ${srcLen} tokens, decode ${steps} (EOS ignored), ms/token of the fastest of ${repeats} decodings after 1 warm-up (and their mean), ratios from the fastest, ${ep} provider, decoder cache ${layouts.join(' and ')} (${primaryLayout}: the BiLD-like rows and the targets); int8/q4: MatMulNBits, block size ${blockSize}, accuracy level ${accuracyLevel}; transformers.js: generate() greedy, device ${ep}, at ${dtypes.filter(isTjsDtype).join(', ') || 'no selected dtype'} (its int8/q4 files hold this project's MatMulNBits weights, not its own quantizer's: same weights and kernels, another engine)`,
  ];
  const goals = targets();
  if (final) {
    const table = [`| ${COLUMNS.map(([c]) => c).join(' | ')} |`, `|${COLUMNS.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${COLUMNS.map(([, f]) => f(r) ?? '').join(' | ')} |`)];
    const devTable = deviations.length
      ? [
          '',
          `Logit deviation from fp32 (the fp32 export's ${steps} greedy tokens fed to both as one chunk; Δlog p: of the fp32 greedy token; agreement: rows whose argmax is that token):`,
          '| shape | dtype | max abs logit diff | max abs logit (fp32) | max abs log p diff | argmax agreement | encoder output rel. error | same, 1-token source |',
          '|---|---|---|---|---|---|---|---|',
          ...deviations.map(
            (d) =>
              `| ${d.shape} | ${d.dtype} | ${fmt(d.maxLogitDiff)} | ${fmt(d.maxLogit)} | ${fmt(d.maxLogprobDiff, 4)} | ${fmt(100 * d.argmaxAgreement, 1)}% | ${fmt(100 * d.encoderRelError, 1)}% | ${fmt(100 * d.encoderRelErrorOneToken, 1)}% |`,
          ),
        ]
      : [];
    process.stdout.write(`${[...head, '', ...table, ...devTable, '', 'Targets (issue #17):', ...goals.map((t) => `- ${t}`), ...notes.map((n) => `note: ${n}`)].join('\n')}\n`);
  }
  mkdirSync(outDir, { recursive: true });
  const environment = { machine: describeMachine(), ep, date: started.toISOString(), commit: appGitCommit(), loadAverageStart: load0, loadAverageNow: loadavg(), bandwidth };
  const settings = { shapes, dtypes, rows: rowGroups, srcLen, steps, repeats, blockSize, accuracyLevel, ep, kvCache: layouts, cache };
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify({ environment, settings, complete: final, rows, deviations, targets: goals, notes }, null, 2)}\n`);
  // every row carries the provider, the machine, the date and the bandwidth, so a CSV alone says where it was measured
  const envCells = [ep, environment.machine, environment.date, fmt(bw / GB, 1)];
  const csv = [
    [...COLUMNS.map(([c]) => c), 'ep', 'machine', 'date', 'bandwidth_gb_s'].join(','),
    ...rows.map((r) => [...COLUMNS.map(([, f]) => f(r)), ...envCells].map(csvField).join(',')),
  ];
  writeFileSync(join(outDir, 'results.csv'), `${csv.join('\n')}\n`);
  if (final) log(`wrote ${join(outDir, 'results.json')} and results.csv`);
}

/** A quantized export's logits against the fp32 export's, teacher-forced on fp32's greedy output (logit-deviation.ts). */
interface DeviationRow extends LogitDeviation {
  shape: string;
  dtype: WeightDType;
}
const deviations: DeviationRow[] = [];

/** Every quantized dtype's deviation rows of a shape, against one load of its fp32 export. */
async function deviationRows(shape: string): Promise<void> {
  const f = await exportOf(shape, 'fp32');
  if (!f) return;
  const fp32 = await loadRuntime(f);
  try {
    for (const dtype of dtypes.filter((x) => QUANTIZED_DTYPES.includes(x)))
      await attempt(`${shape}@${dtype} logit deviation`, async () => {
        const q = await exportOf(shape, dtype);
        if (!q) return;
        const other = await loadRuntime(q);
        try {
          const d = { shape, dtype, ...(await logitDeviation(fp32, other, src, steps)) };
          deviations.push(d);
          log(`  ${shape}@${dtype} vs fp32: max |Δlogit| ${fmt(d.maxLogitDiff)} (max |logit| ${fmt(d.maxLogit)}), max |Δlog p| ${fmt(d.maxLogprobDiff, 4)}, argmax agreement ${fmt(100 * d.argmaxAgreement, 1)}%, encoder output ${fmt(100 * d.encoderRelError, 1)}% off (1-token source ${fmt(100 * d.encoderRelErrorOneToken, 1)}%)`);
        } finally {
          await other.release();
        }
        report(false);
      });
  } finally {
    await fp32.release();
  }
}

/** Runs one group of rows; a failure (out of memory, a refused export) is noted and the next group still runs. */
async function attempt(what: string, part: () => Promise<void>): Promise<void> {
  try {
    await part();
  } catch (err) {
    notes.push(`${what}: failed: ${(err as Error).message.split('\n')[0]}`);
    log(`  ${notes.at(-1)}`);
  }
}

const load0 = loadavg();
log(`bench:scale: shapes ${shapes.join(',')}, dtypes ${dtypes.join(',')}, ep ${ep}, src ${srcLen}, steps ${steps}, repeats ${repeats}; cache ${cache}`);
const skipped = await prepareCheckpoints();
if (values.prepare) {
  // --prepare: checkpoints and exports only, so that a later run on a quiet machine only measures
  for (const shape of neededShapes().filter((x) => !skipped.has(x)))
    for (const dtype of dtypes)
      if ((await exportOf(shape, dtype)) && isTjsDtype(dtype) && tjsDtypes.includes(dtype)) await attempt(`${key(shape, dtype)} transformers.js export`, () => ensureTjsExport(shape, dtype).then(() => undefined));
  log(`prepared ${cache}`);
  process.exit(0);
}
log('memory bandwidth (STREAM-like copy and a read-only stream; again at the end)...');
bandwidth = await measureBandwidth();
for (const shape of shapes) {
  if (skipped.has(shape)) continue;
  log(`${shape}:`);
  if (rowGroups.includes('greedy')) await attempt(`${shape} greedy`, () => greedyRows(shape));
  // option parsing made sure --dtypes holds fp32 and a quantized dtype
  if (rowGroups.includes('deviation')) await attempt(`${shape} logit deviation`, () => deviationRows(shape));
  const drafter = SCALE_SHAPES[shape]!.drafter;
  if (!drafter || !rowGroups.includes('bild')) continue;
  if (!skipped.has(drafter)) for (const d of dtypes) await attempt(`${shape} BiLD-like, ${drafter}@${d} drafting`, () => bildRows(shape, { shape: drafter, dtype: d }, d));
  // the large shape at a lower dtype drafting for itself at fp32
  if (dtypes.includes('fp32'))
    for (const d of dtypes.filter((x) => QUANTIZED_DTYPES.includes(x))) await attempt(`${shape} BiLD-like, ${shape}@${d} drafting`, () => bildRows(shape, { shape, dtype: d }, 'fp32'));
}
// again at the end: other work on a shared machine lowers what one measurement sees; the floor uses the better
const again = await measureBandwidth();
bandwidth = { ...bandwidth, oneThread: Math.max(bandwidth.oneThread, again.oneThread), allCores: Math.max(bandwidth.allCores, again.allCores), read: Math.max(bandwidth.read, again.read), trials: 2 * bandwidth.trials };
report(true);
