// npm run bench:gpu [-- --quick] [--ep webgpu,cuda|none] [--dtypes fp32,fp16,int8,q4] [--sentences N]
//                   [--quant_sentences N] [--budget_s S] [--jobs N] [--pytorch python3 [--torch_device cuda]]
//                   [--json out.json] [--work DIR]
// GPU decoding speed on a Linux machine with an NVIDIA GPU (docs/gpu.md): the demo pair (ms/token,
// BiLD speedup) and random-weight exports shaped like T5-large / mT5-large (T5-small / mT5-small as
// the small model), at each dtype of --dtypes: fp32, fp16 (fp16 weights and compute), int8 and q4
// (MatMulNBits weights, 8-bit head, float32 compute); and, in the same run on the same GPU and the
// same weights, HF transformers' eager PyTorch generate() (scripts/bench-gpu-pytorch.py, fp32/fp16)
// when python3 has torch.
// Random weights decode nonsense, so those rows time fixed shapes: greedy = encode 32 tokens and
// decode 64 (each step fed the previous argmax); BiLD-like = 10 small one-token steps + 1 large
// chunk of 11 per 11 tokens, a best case (every draft accepted, no rollback, encoders left out).
// Each dtype's random-shape models are exported once, before any timing, in parallel child
// processes (--jobs), and every provider runs the same exports. Each (provider, dtype) part runs
// in its own try/catch: a provider that refuses a dtype gives a row saying so, and the run goes on.
// For int8/q4 a child process opens each graph with onnxruntime's verbose log and reports where
// the nodes were placed (MatMulNBits on the CPU provider = a CPU fallback, stated on the row).
// --budget_s: parts that would start after that many seconds are skipped (noted on their rows).
// --quick: tiny shapes and few sentences, to check the script on lavapipe.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import type { T5Config } from '../engine/checkpoint/config';
import { MT5_SMALL, writeRandomT5Checkpoint } from '../engine/checkpoint/safetensors-writer';
import { generate, type Method } from '../engine/decoding/generate';
import { computeTypeFor, loadModel, type LoadedModel } from '../engine/model';
import { exportT5 } from '../engine/onnx/export-t5';
import { EXPORT_FILES } from '../engine/onnx/export-files';
import type { ComputeType } from '../engine/onnx/t5-graphs';
import { HEAD_BITS, parseWeightDType, type WeightDType } from '../engine/onnx/t5-weights';
import { appRoot, resourcesDir } from '../engine/paths';
import { fp16Unsupported, providerStatus } from '../engine/runtime/providers';
import type { ExecutionProvider } from '../engine/runtime/session';
import { EXECUTION_PROVIDERS } from '../engine/runtime/execution-provider';
import { releaseSource, T5Runtime } from '../engine/runtime/t5-runtime';
import { DEFAULT_ACCURACY_LEVEL, DEFAULT_BLOCK_SIZE, QUANTIZED_DTYPES } from '../engine/weight-options';
import { demoTestSet } from './demo-set';
import { nvidiaGpus } from '../engine/runner/environment';
import { benchArgs } from './bench-args';
import { describeMachine } from './machine';
import { fixedSource, greedyFixed, msPerToken } from './scale-timing';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    ep: { type: 'string' },
    dtypes: { type: 'string' },
    sentences: { type: 'string' },
    quant_sentences: { type: 'string' },
    budget_s: { type: 'string' },
    jobs: { type: 'string' },
    pytorch: { type: 'string' },
    torch_device: { type: 'string' },
    json: { type: 'string' },
    work: { type: 'string' },
    child: { type: 'string' }, // internal: one job of a child process (see runChild)
  },
});
const started = performance.now();
const elapsedS = (): number => (performance.now() - started) / 1000;
const quick = values.quick === true;
const isQuantized = (d: WeightDType): boolean => QUANTIZED_DTYPES.includes(d);
/** Child processes running and temporary folders not yet removed: a stopped run (Ctrl-C, a time limit's SIGTERM) ends both. */
const children = new Set<ChildProcess>();
const temporary = new Set<string>();
/** Removes every temporary folder it can (a child killed mid-write may hold one a moment longer: the others still go). */
function removeTemporary(): void {
  for (const d of temporary)
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      process.stderr.write(`bench:gpu: could not remove ${d}\n`);
    }
}
const { fail, bounded } = benchArgs('bench:gpu', removeTemporary);
/** A whole number within [lo, hi], the default when not given. */
const intOption = (name: string, v: string | undefined, dflt: number, lo: number, hi: number): number => bounded(name, v ?? String(dflt), lo, hi);
const eps = (values.ep === 'none' ? [] : (values.ep?.split(',') ?? ['webgpu', 'cuda'])) as ExecutionProvider[];
const badEp = eps.find((e) => !EXECUTION_PROVIDERS.includes(e));
if (badEp !== undefined) fail(`--ep: '${badEp}' is not one of ${EXECUTION_PROVIDERS.join(', ')} (or none)`);
const dtypes = ((): WeightDType[] => {
  try {
    return [...new Set((values.dtypes ?? 'fp32,fp16,int8,q4').split(',').map((d) => parseWeightDType('--dtypes', d.trim())))];
  } catch (err) {
    return fail((err as Error).message);
  }
})();
const nSentences = intOption('sentences', values.sentences, quick ? 3 : 20, 1, 1000);
/** Quantized demo rows use fewer sentences by default: they are the run's additions and must fit in its time. */
const nQuantSentences = Math.min(nSentences, intOption('quant_sentences', values.quant_sentences, quick ? 3 : 10, 1, 1000));
/** Seconds after which no further part starts (0: no limit); the default keeps a full run near 8 minutes. */
const budgetS = intOption('budget_s', values.budget_s, quick ? 0 : 480, 0, 24 * 3600);
const exportJobs = intOption('jobs', values.jobs, quick ? 1 : Math.max(1, Math.min(8, availableParallelism() - 2)), 1, 64);
const torchDevice = values.torch_device ?? 'cuda';
const SRC_LEN = 32;
const NEW_TOKENS = quick ? 16 : 64;
const CALLS = quick ? 2 : 3;
const QUANT_NOTE = `MatMulNBits weights (block ${DEFAULT_BLOCK_SIZE}, accuracy level ${DEFAULT_ACCURACY_LEVEL}, head ${HEAD_BITS}-bit), float32 compute`;

const T5: Partial<T5Config> = { modelType: 't5', vocabSize: 32128, dKv: 64, ffProj: 'relu', tieWordEmbeddings: true };
const SHAPES: Record<string, { large: Partial<T5Config>; small: Partial<T5Config> }> = quick
  ? { 'tiny (quick)': { large: { ...T5, vocabSize: 1000, dModel: 128, dFf: 256, numLayers: 3, numDecoderLayers: 3, numHeads: 4 }, small: { ...T5, vocabSize: 1000, dModel: 64, dFf: 128, numLayers: 1, numDecoderLayers: 1, numHeads: 2 } } }
  : {
      'T5-large': { large: { ...T5, dModel: 1024, dFf: 4096, numLayers: 24, numDecoderLayers: 24, numHeads: 16 }, small: { ...T5, dModel: 512, dFf: 2048, numLayers: 6, numDecoderLayers: 6, numHeads: 8 } },
      'mT5-large': { large: { ...MT5_SMALL, dModel: 1024, dFf: 2816, numLayers: 24, numDecoderLayers: 24, numHeads: 16 }, small: { ...MT5_SMALL } },
    };
const ROLES = ['large', 'small'] as const;

/** One measurement: ms per generated token of one model/method (and ms per sentence where it applies). */
interface Result {
  model: string;
  engine: string; // 'bild-bench <ep>' or 'pytorch eager'
  dtype: WeightDType;
  /** '-': a part that failed or was skipped (msPerToken absent, the note says why). */
  method: Method | 'bild-like' | '-';
  msPerToken?: number;
  msPerSentence?: number;
  /** Demo rows: how many test sentences were timed. */
  sentences?: number;
  /** The PyTorch row this one is compared with (BiLD rows: the large model alone). */
  baseline?: string;
  note?: string;
  /** int8/q4: where onnxruntime placed the nodes of the row's graphs (see checkPlacement). */
  placement?: string;
  /** int8/q4: MatMulNBits nodes the provider left to the CPU provider (0: all on the GPU; absent: not checked). */
  matMulNBitsOnCpu?: number;
}
const results: Result[] = [];
/** The exported model folders each bild-bench row ran (for the placement check). */
const rowGraphs = new Map<Result, { role: string; dir: string }[]>();
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const f2 = (x: number | undefined): string => (x === undefined ? '' : x.toFixed(2));
const addNote = (r: Result, note: string): void => {
  r.note = r.note ? `${r.note}; ${note}` : note;
};

const demoModel = (name: string): string => join(resourcesDir(), 'models', name);
const demoSources = async (): Promise<string[]> => (await demoTestSet(nSentences)).map((e) => e.source);

/** Large-only greedy ids of every demo sentence per engine/dtype, to compare engines' outputs. */
const greedyIds = new Map<string, number[][]>();

async function demoRows(ep: ExecutionProvider, dtype: WeightDType): Promise<void> {
  const data = (await demoSources()).slice(0, isQuantized(dtype) ? nQuantSentences : nSentences);
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
  const dirs = { large: [{ role: 'large', dir: large.exported.dir }], small: [{ role: 'small', dir: small.exported.dir }] };
  for (const m of methods) {
    const r: Result = {
      model: `demo ${label[m]}`,
      engine: `bild-bench ${ep}`,
      dtype,
      method: m,
      msPerToken: sum(ms[m]!) / tokens[m]!,
      msPerSentence: sum(ms[m]!) / data.length,
      sentences: data.length,
      baseline: `demo ${label[m === 'small' ? 'small' : 'large']}`,
      note: isQuantized(dtype) ? QUANT_NOTE : undefined,
    };
    results.push(r);
    rowGraphs.set(r, m === 'bild' ? [...dirs.large, ...dirs.small] : dirs[m as 'large' | 'small']);
  }
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

/** One random-shape export: where it is written, and why it failed if it did. */
interface RandomExport {
  ckpt: string;
  out: string;
  dtype: WeightDType;
  compute: ComputeType;
  params: number;
  error?: string;
}
const exportKey = (name: string, role: string, dtype: WeightDType, compute: ComputeType): string => `${name}|${role}|${dtype}|${compute}`;
const randomExports = new Map<string, RandomExport>();

/** Greedy ms/token of the large and small model of one random shape, and the BiLD-like call pattern. */
async function randomRows(ep: ExecutionProvider, dtype: WeightDType, name: string): Promise<void> {
  const rts: T5Runtime[] = [];
  const dirs: { role: string; dir: string }[] = [];
  try {
    for (const role of ROLES) {
      const x = randomExports.get(exportKey(name, role, dtype, computeTypeFor(ep, dtype)));
      if (!x) throw new Error(`no export of ${name}-${role} at ${dtype}`);
      if (x.error) throw new Error(`the export of ${name}-${role} at ${dtype} failed: ${x.error}`);
      dirs.push({ role, dir: x.out });
      rts.push(await T5Runtime.load(x.out, { ep }));
    }
    const [large, small] = rts as [T5Runtime, T5Runtime];
    const engine = `bild-bench ${ep}`;
    const l1 = await timeGreedy(large);
    const s1 = await timeGreedy(small);
    const l11 = await timeChunk(large, 11, quick ? 5 : 20);
    const s1step = await timeChunk(small, 1, quick ? 10 : 50);
    const q = isQuantized(dtype) ? QUANT_NOTE : undefined;
    const push = (r: Result, graphs: { role: string; dir: string }[]): void => {
      results.push(r);
      rowGraphs.set(r, graphs);
    };
    push({ model: `random ${name}`, engine, dtype, method: 'large', msPerToken: l1, baseline: `random ${name}`, note: q }, [dirs[0]!]);
    push({ model: `random ${name}-small`, engine, dtype, method: 'small', msPerToken: s1, baseline: `random ${name}-small`, note: q }, [dirs[1]!]);
    push(
      {
        model: `random ${name}`,
        baseline: `random ${name}`,
        engine,
        dtype,
        method: 'bild-like',
        msPerToken: (10 * s1step + l11) / 11,
        note: `best case: 10 small steps (${s1step.toFixed(2)} ms) + 1 large chunk of 11 (${l11.toFixed(2)} ms), all accepted, encoders excluded${q ? `; ${q}` : ''}`,
      },
      dirs,
    );
  } finally {
    for (const r of rts) await r.release();
  }
}

/** Where onnxruntime put one graph's nodes, read from its verbose log. */
interface GraphPlacement {
  /** The GPU provider's name in the log (e.g. WebGpuExecutionProvider, CUDAExecutionProvider). */
  gpuEp?: string;
  gpuNodes: number;
  cpuOps: string[];
  /** MatMulNBits nodes on the GPU provider; undefined when the log said only "All nodes placed on". */
  matMulNBitsGpu?: number;
  matMulNBitsCpu: number;
  /** Copies to the host that onnxruntime inserted inside the graph (each makes a step wait for the GPU). */
  hostCopies: number;
  /** The log said "All nodes placed on [CPUExecutionProvider]" (no op list): the GPU provider took nothing. */
  allOnCpu?: boolean;
}
/** The log id of the placement child's i-th session: onnxruntime writes it into each log line ("[V:onnxruntime:g3, ..."). */
const placementLogId = (i: number): string => `g${i}`;

/**
 * Reads the verbose log of a placement child (sessions `files` in order, each with its log id):
 * the native log is buffered apart from anything JS writes, so lines are told apart by log id.
 */
function parsePlacement(log: string, files: string[]): Map<string, GraphPlacement> {
  const byId = new Map<string, { p: GraphPlacement; onCpu: boolean }>();
  files.forEach((f, i) => byId.set(placementLogId(i), { p: { gpuNodes: 0, cpuOps: [], matMulNBitsCpu: 0, hostCopies: 0 }, onCpu: false }));
  for (const line of log.split('\n')) {
    const id = /\[[VIWEF]:onnxruntime:(g\d+),/.exec(line)?.[1];
    const cur = id === undefined ? undefined : byId.get(id);
    if (!cur) continue;
    const { p } = cur;
    const placed = /(All nodes|Node\(s\)) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (placed) {
      cur.onCpu = placed[2] === 'CPUExecutionProvider';
      const n = Number(placed[3]);
      if (cur.onCpu) {
        if (placed[1] === 'All nodes') {
          p.allOnCpu = true;
          p.cpuOps.push(...Array<string>(n).fill('?'));
        }
      } else {
        p.gpuEp = placed[2];
        p.gpuNodes += n;
        if (placed[1] !== 'All nodes') p.matMulNBitsGpu ??= 0;
      }
      continue;
    }
    const node = /VerifyEachNodeIsAssignedToAnEp\]\s{3}(\S+) \(/.exec(line);
    if (node) {
      const op = node[1]!;
      if (cur.onCpu) p.cpuOps.push(op);
      if (op === 'MatMulNBits') {
        if (cur.onCpu) p.matMulNBitsCpu++;
        else p.matMulNBitsGpu = (p.matMulNBitsGpu ?? 0) + 1;
      }
      continue;
    }
    if (line.includes('AddCopyNode') && line.includes('MemcpyToHost')) p.hostCopies++;
  }
  const out = new Map<string, GraphPlacement>();
  files.forEach((f, i) => {
    const { p } = byId.get(placementLogId(i))!;
    // no placement lines at all: the log did not say (not "0 nodes")
    if (p.gpuNodes || p.cpuOps.length) out.set(f, p);
  });
  return out;
}

function describePlacement(p: GraphPlacement | undefined): string {
  if (!p) return 'not in the log';
  const gpu = (p.gpuEp ?? 'GPU').replace('ExecutionProvider', '');
  if (p.allOnCpu) return `ALL ${p.cpuOps.length} nodes on CPU`;
  if (!p.cpuOps.length) return `all ${p.gpuNodes} nodes on ${gpu}`;
  const counts = new Map<string, number>();
  for (const op of p.cpuOps) counts.set(op, (counts.get(op) ?? 0) + 1);
  const cpu = [...counts].map(([op, n]) => (n > 1 ? `${op}x${n}` : op)).join(' ');
  const mm = p.matMulNBitsGpu === undefined ? '' : `, MatMulNBits ${p.matMulNBitsGpu} ${gpu}/${p.matMulNBitsCpu} CPU`;
  return `${p.gpuNodes} ${gpu} + ${p.cpuOps.length} CPU (${cpu})${mm}${p.hostCopies ? `, ${p.hostCopies} MemcpyToHost` : ''}`;
}

/**
 * Opens every graph of the (ep, dtype) rows in a child process with onnxruntime's verbose log
 * (it goes to the native stderr) and writes on each row where its nodes were placed; a
 * MatMulNBits node on the CPU provider is a fallback and is said in the row's note.
 */
async function checkPlacement(ep: ExecutionProvider, dtype: WeightDType): Promise<void> {
  const rows = [...rowGraphs].filter(([r]) => r.engine === `bild-bench ${ep}` && r.dtype === dtype);
  // GPU providers run the decoder whose cache stays in device memory (t5-runtime.ts)
  const files = [...new Set(rows.flatMap(([, gs]) => gs.flatMap((g) => [join(g.dir, EXPORT_FILES.encoder), join(g.dir, EXPORT_FILES.decoderDevice)])))];
  if (!files.length) return;
  let log: string;
  try {
    log = await runChild({ kind: 'placement', ep, files }, 'placement check');
  } catch (err) {
    for (const [r] of rows) r.placement = `not checked: ${(err as Error).message.split('\n')[0]}`;
    throw err;
  }
  // --work keeps the log: the evidence behind the placement column
  if (values.work) writeFileSync(join(values.work, `placement-${ep}-${dtype}.log`), `${files.map((f, i) => `${placementLogId(i)} ${f}`).join('\n')}\n${log}`);
  const placed = parsePlacement(log, files);
  for (const [r, graphs] of rows) {
    const parts: string[] = [];
    let mmCpu = 0;
    const allCpu: string[] = [];
    for (const g of graphs)
      for (const graph of ['decoder', 'encoder'] as const) {
        const p = placed.get(join(g.dir, EXPORT_FILES[graph === 'decoder' ? 'decoderDevice' : graph]));
        const label = `${graphs.length > 1 ? `${g.role} ` : ''}${graph}`;
        mmCpu += p?.matMulNBitsCpu ?? 0;
        if (p?.allOnCpu) allCpu.push(label);
        parts.push(`${label}: ${describePlacement(p)}`);
      }
    r.placement = parts.join('; ');
    r.matMulNBitsOnCpu = mmCpu;
    if (mmCpu) addNote(r, `CPU FALLBACK: ${mmCpu} MatMulNBits nodes placed on the CPU provider`);
    if (allCpu.length) addNote(r, `CPU FALLBACK: every node of the ${allCpu.join(', ')} on the CPU provider`);
  }
}

type ChildJob =
  | { kind: 'checkpoint'; out: string; shape: Partial<T5Config> }
  | { kind: 'export'; ckpt: string; out: string; dtype: WeightDType; compute: ComputeType }
  | { kind: 'placement'; ep: ExecutionProvider; files: string[] };

/** Starts the line a failed child writes its error on. */
const CHILD_ERROR = '@@bench-gpu-child-error ';

/** A child process's job (the same script with --child): exports run in parallel, placement logs apart. */
async function childMain(job: ChildJob): Promise<void> {
  if (job.kind === 'checkpoint') {
    await writeRandomT5Checkpoint(job.out, job.shape, 1, 'F16');
    writeFileSync(join(job.out, 'done'), '');
  } else if (job.kind === 'export') await exportT5(job.ckpt, job.out, { dtype: job.dtype, compute: job.compute });
  else
    for (const [i, f] of job.files.entries()) {
      const s = await ort.InferenceSession.create(f, { executionProviders: [job.ep], logSeverityLevel: 0, logId: placementLogId(i), graphOptimizationLevel: 'all' });
      await s.release();
    }
}

function stopOnSignal(signal: NodeJS.Signals, code: number): void {
  process.once(signal, () => {
    for (const c of children) c.kill('SIGKILL');
    removeTemporary();
    process.stderr.write(`bench:gpu: stopped by ${signal}; its temporary files are removed\n`);
    process.exit(code);
  });
}

/**
 * Runs a job in a child process (this script with --child); resolves with its stderr, rejects with
 * its end. The stderr goes to a file, not a pipe: Node makes a piped stderr non-blocking, and
 * onnxruntime's native log (std::clog) stops for good at the first write the full pipe refuses.
 */
function runChild(job: ChildJob, what: string): Promise<string> {
  const logDir = mkdtempSync(join(tmpdir(), 'bench-gpu-child-'));
  temporary.add(logDir);
  const logFile = join(logDir, 'stderr.log');
  const fd = openSync(logFile, 'w');
  let text: string | undefined;
  const read = (): string => {
    if (text === undefined) {
      text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      rmSync(logDir, { recursive: true, force: true });
      temporary.delete(logDir);
    }
    return text;
  };
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--child', JSON.stringify(job)], { stdio: ['ignore', 'ignore', fd] });
    children.add(p);
    closeSync(fd);
    p.on('error', (err) => {
      read();
      reject(err);
    });
    p.on('close', (code, signal) => {
      children.delete(p);
      const err = read();
      if (code === 0) resolve(err);
      else {
        const said = err.split('\n').find((l) => l.startsWith(CHILD_ERROR));
        const last = err.split('\n').filter((l) => l.trim() && !l.includes('[V:onnxruntime') && !l.includes('[I:onnxruntime')).slice(-3).join(' | ');
        reject(new Error(`${said ? said.slice(CHILD_ERROR.length) : last.slice(0, 500)} (${what}: child process exited with ${code ?? signal})`));
      }
    });
  });
}

/** Runs `jobs` with at most `n` at a time. */
async function pool(jobs: (() => Promise<void>)[], n: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
}

/** The PyTorch reference is stopped after this long (a hung import or download must not eat the run). */
const PYTORCH_TIMEOUT_S = 300;

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
    timeout: PYTORCH_TIMEOUT_S * 1000,
  });
  if (p.status !== 0)
    throw new Error(`${python} ${join('scripts', 'bench-gpu-pytorch.py')} exited with ${p.status ?? p.signal ?? p.error?.message}${p.signal === 'SIGTERM' ? ` (stopped after ${PYTORCH_TIMEOUT_S} s)` : ''} (its stderr is above)`);
  const out = JSON.parse(p.stdout) as { env: Record<string, string>; rows: TorchRow[] };
  for (const r of out.rows) {
    const model = r.model === 'demo' ? `demo toy-t5-${r.role}` : `random ${r.model}${r.role === 'small' ? '-small' : ''}`;
    const demo = r.model === 'demo';
    results.push({ model, engine: 'pytorch eager', dtype: r.dtype, method: r.role, msPerToken: r.ms_per_token, msPerSentence: demo ? r.ms_per_sentence : undefined, sentences: demo ? inputs.length : undefined });
    if (r.ids && r.role === 'large') greedyIds.set(`pytorch ${r.dtype}`, r.ids);
  }
  return `torch ${out.env.torch}, transformers ${out.env.transformers}, ${out.env.device}`;
}

function gpuName(): string {
  const gpus = nvidiaGpus();
  return gpus ? `GPU: ${gpus}` : 'GPU: none found by nvidia-smi';
}

let exportLine = '';
function report(torchEnv: string | undefined): string {
  const lines = [
    describeMachine(),
    gpuName(),
    torchEnv ? `PyTorch reference: ${torchEnv}, eager attention, generate() greedy, batch 1` : 'PyTorch reference: not run',
    `dtypes: ${dtypes.join(', ')}; int8/q4 = ${QUANT_NOTE}; demo: ${nSentences} sentences (int8/q4: ${nQuantSentences})${exportLine ? `; ${exportLine}` : ''}`,
    '',
  ];
  lines.push(
    '| model | engine | dtype | method | ms/token | ms/sentence | speedup vs PyTorch eager (same dtype; BiLD: vs its large model) | MatMulNBits on CPU | note |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of results) {
    const ref = r.msPerToken === undefined ? undefined : results.find((t) => t.engine === 'pytorch eager' && t.model === r.baseline && t.dtype === r.dtype);
    const vs = ref?.msPerToken !== undefined && r.msPerToken !== undefined ? `${(ref.msPerToken / r.msPerToken).toFixed(2)}x` : '';
    lines.push(`| ${r.model} | ${r.engine} | ${r.dtype} | ${r.method} | ${f2(r.msPerToken)} | ${f2(r.msPerSentence)} | ${vs} | ${r.matMulNBitsOnCpu ?? ''} | ${r.note ?? ''} |`);
  }
  const placed = results.filter((r) => r.placement && (r.method === 'large' || r.method === 'small'));
  if (placed.length) {
    lines.push('', 'Node placement (onnxruntime verbose log, graph optimization level all; GPU provider + CPU provider nodes):');
    for (const r of placed) lines.push(`- ${r.engine} ${r.dtype} ${r.model}: ${r.placement}`);
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

let torchEnv: string | undefined;
const failures: string[] = [];
/**
 * Runs one part of the benchmark; a failure is reported (and, with `row`, written as a row whose
 * note says why) and the next part still runs. A part that would start after --budget_s is skipped.
 */
async function attempt(what: string, row: Pick<Result, 'model' | 'engine' | 'dtype'> | undefined, part: () => Promise<void>): Promise<void> {
  if (budgetS && elapsedS() > budgetS) {
    const why = `skipped: --budget_s ${budgetS} spent (${elapsedS().toFixed(0)} s elapsed)`;
    failures.push(`${what}: ${why}`);
    if (row) results.push({ ...row, method: '-', note: why });
    process.stderr.write(`SKIPPED ${what} (${why})\n`);
    return;
  }
  try {
    await part();
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0]!;
    failures.push(`${what}: ${msg}`);
    if (row) results.push({ ...row, method: '-', note: `failed: ${msg}` });
    process.stderr.write(`FAILED ${failures.at(-1)}\n`);
  }
  flush(false);
}
/** Writes the report so far to --json (a crash later in the run keeps what was measured); `final` also prints it. */
function flush(final: boolean): void {
  const text = report(torchEnv) + failures.map((f) => `failed or skipped: ${f}\n`).join('');
  if (final) process.stdout.write(text);
  const settings = { quick, dtypes, eps, sentences: nSentences, quantSentences: nQuantSentences, budgetS, jobs: exportJobs, quantization: QUANT_NOTE };
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ report: text, settings, results, failures }, null, 2)}\n`);
}

/**
 * A shape's parameters, at least (it orders the exports, the longest first, and bounds their disk
 * space): embeddings and head, 4d² attention per encoder layer and 8d² per decoder layer (self and
 * cross), and a feed-forward counted as gated (3·d·dFf), which relu shapes undercut.
 */
const roughParams = (c: Partial<T5Config>): number => {
  const d = c.dModel ?? 0;
  const ff = 3 * d * (c.dFf ?? 0);
  return (c.vocabSize ?? 0) * d * (c.tieWordEmbeddings ? 1 : 2) + (c.numLayers ?? 0) * (4 * d * d + ff) + (c.numDecoderLayers ?? 0) * (8 * d * d + ff);
};

async function main(): Promise<void> {
  // --work DIR keeps the random checkpoints and exports between runs (a rerun skips writing them)
  const dir = values.work ?? mkdtempSync(join(tmpdir(), 'bench-gpu-'));
  if (!values.work) temporary.add(dir);
  stopOnSignal('SIGINT', 130);
  stopOnSignal('SIGTERM', 143);
  process.env.BILD_BENCH_HOME ??= join(dir, 'home');
  try {
    // before anything is written: each checkpoint and, per dtype, its export (fp16 twice: float16 and
    // float32 compute), all in float32 bytes, an upper bound for the quantized ones
    const copies = 1 + dtypes.length + (dtypes.includes('fp16') ? 1 : 0);
    const need = Object.values(SHAPES).reduce((n, shape) => n + ROLES.reduce((m, role) => m + 4 * copies * roughParams(shape[role]), 0), 0);
    const free = statfsSync(dir).bavail * statfsSync(dir).bsize;
    if (need > free) fail(`the checkpoints and exports need up to ${(need / 1e9).toFixed(1)} GB in ${dir}, ${(free / 1e9).toFixed(1)} GB are free: free space, give --work on a larger disk, or fewer --dtypes`);
    // random checkpoints, in parallel child processes
    const ckpts = new Map<string, string>();
    const ckptJobs: (() => Promise<void>)[] = [];
    for (const [name, shape] of Object.entries(SHAPES))
      for (const role of ROLES) {
        const ckpt = join(dir, `${name}-${role}`);
        ckpts.set(`${name}-${role}`, ckpt);
        if (!existsSync(join(ckpt, 'done')))
          ckptJobs.push(() => attempt(`checkpoint ${name}-${role}`, undefined, async () => void (await runChild({ kind: 'checkpoint', out: ckpt, shape: shape[role] }, `checkpoint ${name}-${role}`))));
      }
    let t0 = performance.now();
    await pool(ckptJobs, exportJobs);
    process.stderr.write(`checkpoints: ${ckptJobs.length} written in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    // the PyTorch reference first: its GPU timings then run on an otherwise idle machine
    if (values.pytorch) {
      process.stderr.write(`PyTorch eager (${torchDevice})...\n`);
      const python = values.pytorch;
      const torchDtypes = dtypes.filter((d) => d === 'fp32' || (d === 'fp16' && torchDevice !== 'cpu')); // the script runs fp32/fp16
      await attempt(`PyTorch eager (${python})`, undefined, async () => {
        torchEnv = await pytorchRows(python, ckpts, torchDtypes);
      });
    }

    // which (provider, dtype) parts run; refused ones are rows that say why
    const plan: { ep: ExecutionProvider; dtype: WeightDType }[] = [];
    for (const ep of eps) {
      const st = providerStatus(ep);
      process.stderr.write(`${ep}: ${st.available ? 'available' : 'skipped'}, ${st.reason}\n`);
      if (!st.available) continue;
      for (const dtype of dtypes) {
        const engine = `bild-bench ${ep}`;
        if (dtype === 'fp16') {
          const why = ep === 'cpu' ? 'the CPU provider computes fp16 exports in float32 (not a GPU row)' : fp16Unsupported(ep);
          if (why) {
            results.push({ model: 'all', engine, dtype, method: '-', note: `skipped: ${why}` });
            continue;
          }
        }
        plan.push({ ep, dtype });
      }
    }

    // each dtype's random-shape exports once (one per compute type: fp16 computes in fp16 on GPU
    // providers, in float32 on CPU), in parallel child processes, before anything is timed
    const exportJobsList: { x: RandomExport; what: string }[] = [];
    for (const { ep, dtype } of plan)
      for (const [name, shape] of Object.entries(SHAPES))
        for (const role of ROLES) {
          const compute = computeTypeFor(ep, dtype);
          const key = exportKey(name, role, dtype, compute);
          if (randomExports.has(key)) continue;
          const x: RandomExport = { ckpt: ckpts.get(`${name}-${role}`)!, out: join(dir, 'onnx', `${name}-${role}-${dtype}-${compute}`), dtype, compute, params: roughParams(shape[role]) };
          randomExports.set(key, x);
          if (!existsSync(join(x.out, EXPORT_FILES.manifest))) exportJobsList.push({ x, what: `export ${name}-${role} ${dtype} (${compute} compute)` });
        }
    exportJobsList.sort((a, b) => b.x.params - a.x.params);
    t0 = performance.now();
    await pool(
      exportJobsList.map(({ x, what }) => async () => {
        try {
          if (!existsSync(join(x.ckpt, 'done'))) throw new Error('its checkpoint was not written');
          await runChild({ kind: 'export', ckpt: x.ckpt, out: x.out, dtype: x.dtype, compute: x.compute }, what);
        } catch (err) {
          x.error = (err as Error).message.split('\n')[0]!;
          failures.push(`${what}: ${x.error}`);
          process.stderr.write(`FAILED ${what}: ${x.error}\n`);
        }
      }),
      exportJobs,
    );
    exportLine = `${exportJobsList.length} random-shape exports in ${((performance.now() - t0) / 1000).toFixed(1)} s (${exportJobs} at a time)`;
    process.stderr.write(`${exportLine}\n`);

    for (const dtype of dtypes) {
      for (const { ep } of plan.filter((p) => p.dtype === dtype)) {
        const engine = `bild-bench ${ep}`;
        process.stderr.write(`${ep} ${dtype}... (${elapsedS().toFixed(0)} s)\n`);
        await attempt(`demo ${ep} ${dtype}`, { model: 'demo (all rows)', engine, dtype }, () => demoRows(ep, dtype));
        for (const name of Object.keys(SHAPES)) await attempt(`random ${name} ${ep} ${dtype}`, { model: `random ${name} (all rows)`, engine, dtype }, () => randomRows(ep, dtype, name));
        if (isQuantized(dtype) && ep !== 'cpu') await attempt(`placement ${ep} ${dtype}`, undefined, () => checkPlacement(ep, dtype));
      }
      // this dtype's exports are done with (every provider ran them)
      if (!values.work)
        for (const x of randomExports.values()) if (x.dtype === dtype) rmSync(x.out, { recursive: true, force: true });
    }
    flush(true);
  } finally {
    if (!values.work) rmSync(dir, { recursive: true, force: true });
  }
}

if (values.child)
  try {
    await childMain(JSON.parse(values.child) as ChildJob);
  } catch (err) {
    process.stderr.write(`${CHILD_ERROR}${(err as Error).message.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
else await main();
