// Reads onnxruntime's per-kernel profile (SessionOptions.profileDir: Chrome trace JSON) into where a
// run's time goes: per operator type, the kernels' time per run, and the run time the kernels do
// not account for (the executor, feeding inputs, allocating and handing back outputs).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface TraceEvent {
  cat?: string;
  name?: string;
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

/** The newest profile file onnxruntime wrote in `dir` for a model file named `model` (without .onnx). */
export function profileFileOf(dir: string, model: string): string {
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(`${model}_`) && f.endsWith('.json'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files.length) throw new Error(`no onnxruntime profile of ${model} in ${dir}`);
  return files[0]!;
}

/**
 * The profile's runs after the first `skipRuns` (warm-up), averaged. A run's kernels are the Node
 * events between its model_run event and the previous one (onnxruntime writes a run's kernels
 * before the run's own event).
 */
export function summarizeProfile(file: string, skipRuns = 0): ProfileSummary {
  const events = JSON.parse(readFileSync(file, 'utf8')) as TraceEvent[];
  const time = new Map<string, { us: number; count: number }>();
  let runs = 0;
  let runUs = 0;
  let pending: TraceEvent[] = [];
  let seen = 0;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') {
      if (seen++ >= skipRuns) {
        runs++;
        runUs += e.dur ?? 0;
        for (const k of pending) {
          const op = k.args?.op_name ?? '?';
          const t = time.get(op) ?? { us: 0, count: 0 };
          t.us += k.dur ?? 0;
          t.count++;
          time.set(op, t);
        }
      }
      pending = [];
    } else if (e.cat === 'Node' && e.name?.endsWith('_kernel_time')) pending.push(e);
  }
  if (!runs) throw new Error(`${file}: no run after the first ${skipRuns}`);
  const ops = [...time].map(([op, t]) => ({ op, ms: t.us / runs / 1000, count: t.count / runs })).sort((a, b) => b.ms - a.ms);
  return { runs, runMs: runUs / runs / 1000, kernelMs: ops.reduce((n, o) => n + o.ms, 0), ops };
}
