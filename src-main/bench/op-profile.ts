// Reads onnxruntime's per-kernel profile (SessionOptions.profileDir: Chrome trace JSON) into where a
// run's time goes: per operator type, the kernels' time per run, and the run time the kernels do
// not account for (the executor, feeding inputs, allocating and handing back outputs).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface TraceEvent {
  cat?: string;
  name?: string;
  /** Start, µs since the session's profiling began. */
  ts?: number;
  dur?: number;
  args?: { op_name?: string };
}

export interface OpTime {
  op: string;
  /** Kernel time per run, ms. */
  ms: number;
  /** Kernels of this type per run. */
  count: number;
}

export interface ProfileSummary {
  /** Runs summarized (after the skipped ones). */
  runs: number;
  /** Mean run time, ms (onnxruntime's model_run). */
  runMs: number;
  /** Mean of the kernels' time per run, ms. */
  kernelMs: number;
  /** Per operator type, most time first. */
  ops: OpTime[];
}

/** The newest profile file onnxruntime wrote in `dir` for a model file named `model` (without .onnx; session.ts adds a serial). */
export function profileFileOf(dir: string, model: string): string {
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(`${model}-`) && /^\d/.test(f.slice(model.length + 1)) && f.endsWith('.json')) // decoder-3_…, not decoder-device-3_…
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files.length) throw new Error(`no onnxruntime profile of ${model} in ${dir}`);
  return files[0]!;
}

/**
 * The profile's runs after the first `skipRuns` (warm-up), averaged; `expectRuns`: the runs the
 * file must hold (onnxruntime stops recording past its event cap, saying so only in its log). A
 * kernel belongs to the run whose [ts, ts + dur] holds its start: a run's own event starts before its
 * kernels (onnxruntime writes the events sorted by start).
 */
export function summarizeProfile(file: string, skipRuns = 0, expectRuns?: number): ProfileSummary {
  const events = JSON.parse(readFileSync(file, 'utf8')) as TraceEvent[];
  const all = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
  if (expectRuns !== undefined && all.length !== expectRuns)
    throw new Error(`${file}: ${all.length} runs recorded where ${expectRuns} ran (onnxruntime's profiler caps its events: ask for fewer steps)`);
  const runs = all.slice(skipRuns);
  if (!runs.length) throw new Error(`${file}: no run after the first ${skipRuns}`);
  const first = runs[0]!.ts ?? 0;
  const time = new Map<string, { us: number; count: number }>();
  let r = 0;
  const kernels = events.filter((e) => e.cat === 'Node' && e.name?.endsWith('_kernel_time') && (e.ts ?? 0) >= first).sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
  for (const k of kernels) {
    const at = k.ts ?? 0;
    while (r < runs.length && at > (runs[r]!.ts ?? 0) + (runs[r]!.dur ?? 0)) r++;
    if (r === runs.length || at < (runs[r]!.ts ?? 0)) continue; // between runs: none of the summarized ones
    const op = k.args?.op_name ?? '?';
    const t = time.get(op) ?? { us: 0, count: 0 };
    t.us += k.dur ?? 0;
    t.count++;
    time.set(op, t);
  }
  const n = runs.length;
  const ops = [...time].map(([op, t]) => ({ op, ms: t.us / n / 1000, count: t.count / n })).sort((a, b) => b.ms - a.ms);
  return { runs: n, runMs: runs.reduce((u, e) => u + (e.dur ?? 0), 0) / n / 1000, kernelMs: ops.reduce((u, o) => u + o.ms, 0), ops };
}
