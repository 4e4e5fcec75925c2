/**
 * Collect: the done tasks' sentences, merged in dataset order into one run (or sweep) in the
 * history and its result files. Corpus metrics and intervals are computed again from the merged
 * outputs (summary.ts), never averaged over shards; speedups come from per-sentence timings, each
 * sentence's methods having run on one node. The environment lists every node.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterNode, Environment, RunSummary, SentenceResult } from '../api/types';
import { newRunId } from '../api/in-process';
import { RESULT_SCHEMA_VERSION } from '../api/types';
import { UserError } from '../errors';
import { appHome } from '../paths';
import type { RunHistory } from '../runner/history';
import { sweepResult } from '../runner/pareto';
import { RESULT_FILES, ResultFiles } from '../runner/result-files';
import { summarizeVariants } from '../runner/summary';
import { findJobFolder, readCollected, readJobSpec, readSubmissions, readTaskDone, sentencesWritten, taskDir, writeCollected } from './job-folder';
import { collectedRunKept } from './collected-run';
import { withJobLock } from './job-lock';
import { planOf } from './submit';
import { taskList, type SlurmJobSpec, type TaskDone } from './types';

export interface CollectOptions {
  /** Collect the done tasks even when others are not (the run is marked partial). */
  partial?: boolean;
}

export interface CollectedJob {
  runId: string;
  summary: RunSummary;
  partial: boolean;
  missingTasks: number[];
}

interface TaskResult {
  done: TaskDone;
  summary: RunSummary;
  environment: Environment;
  sentences: SentenceResult[];
}

function readTask(folder: string, job: SlurmJobSpec, task: number, done: TaskDone): TaskResult {
  const dir = taskDir(folder, task);
  const shard = job.shards[task]!;
  const read = (name: string): string => {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch (err) {
      throw new UserError(`task ${task}: cannot read ${join(dir, name)} (${(err as Error).message})`);
    }
  };
  const parse = <T>(name: string, text: string): T => {
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new UserError(`task ${task}: ${join(dir, name)} is not valid JSON (a damaged task folder: resubmit it)`);
    }
  };
  if (done.task !== task) throw new UserError(`task ${task}: its done.json names task ${String(done.task)} (a damaged task folder ${dir}: resubmit it)`);
  const want = shard.end - shard.start;
  const written = sentencesWritten(folder, task); // counted before a damaged, oversized file is read whole
  if (written !== want || done.sentences !== want)
    throw new UserError(`task ${task}: its folder ${dir} holds ${written} of its ${want} sentences although it is marked done: resubmit it`);
  const summary = parse<RunSummary>(RESULT_FILES.summary, read(RESULT_FILES.summary));
  const sentences = read(RESULT_FILES.jsonl)
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => parse<SentenceResult>(RESULT_FILES.jsonl, l));
  if (summary.status !== 'completed' || sentences.length !== want)
    throw new UserError(`task ${task}: its folder ${dir} holds ${sentences.length} of its ${want} sentences (${summary.status}) although it is marked done: resubmit it`);
  const environment = summary.environment;
  if (!environment) throw new UserError(`task ${task}: ${join(dir, RESULT_FILES.summary)} has no environment (a damaged task folder: resubmit it)`);
  return { done, summary, environment, sentences };
}

/** One entry per host, and a warning when their CPU or GPU models differ. */
function nodesOf(tasks: readonly TaskResult[]): { nodes: ClusterNode[]; warning: string | null } {
  const byHost = new Map<string, ClusterNode>();
  for (const t of tasks) {
    const env = t.environment;
    const node = byHost.get(t.done.hostname) ?? { hostname: t.done.hostname, cpu: env.cpu, gpu: env.gpu, tasks: [], sentences: 0 };
    node.tasks.push(t.done.task);
    node.sentences += t.sentences.length;
    byHost.set(node.hostname, node);
  }
  const nodes = [...byHost.values()];
  const cpus = new Set(nodes.map((n) => n.cpu.model));
  const gpus = new Set(nodes.map((n) => n.gpu ?? 'none'));
  const differ = [cpus.size > 1 ? `CPUs ${[...cpus].join(' / ')}` : '', gpus.size > 1 ? `GPUs ${[...gpus].join(' / ')}` : ''].filter(Boolean);
  const warning = differ.length
    ? `the job ran on nodes with different hardware (${differ.join('; ')}): latencies differ across tasks; each speedup still compares methods on the same sentences and node`
    : null;
  return { nodes, warning };
}

/** The first task's environment, widened to the whole job: every node, all sentences, the earliest start. */
function mergedEnvironment(job: SlurmJobSpec, tasks: readonly TaskResult[], startedAt: string): Environment {
  const first = tasks[0]!.environment;
  const { nodes, warning } = nodesOf(tasks);
  return {
    ...first,
    dataset: { ...first.dataset, examples: job.dataset.examples },
    sourceTruncation: first.sourceTruncation && {
      maxSourceLength: first.sourceTruncation.maxSourceLength,
      truncated: tasks.reduce((n, t) => n + (t.environment.sourceTruncation?.truncated ?? 0), 0),
    },
    startedAt,
    nodes,
    nodesWarning: warning,
  };
}

/** The runner's overhead over all tasks: per-sentence means weighted by sentences, decode time recovered from each task's share. */
function mergedOverhead(tasks: readonly TaskResult[]): RunSummary['overhead'] {
  let n = 0;
  let overheadMs = 0;
  let decodeMs = 0;
  for (const t of tasks) {
    const o = t.summary.overhead;
    if (!o) return null;
    const ms = o.meanMsPerSentence * t.sentences.length;
    n += t.sentences.length;
    overheadMs += ms;
    decodeMs += o.pctOfDecode > 0 ? (100 * ms) / o.pctOfDecode : 0;
  }
  return n ? { meanMsPerSentence: overheadMs / n, pctOfDecode: decodeMs > 0 ? (100 * overheadMs) / decodeMs : 0 } : null;
}

/** A collected run still in the history: collecting again would count the job twice. */
function refuseSecondCollect(folder: string, history: RunHistory): void {
  const prior = readCollected(folder);
  if (!prior || !collectedRunKept(history, prior.runId)) return;
  throw new UserError(
    `job ${folder} is already collected as run ${prior.runId}${prior.partial ? ' (partial)' : ''}; delete that run (bild-bench runs delete ${prior.runId}) to collect it again`,
  );
}

export async function collectSlurmJob(job: string, history: RunHistory, opts: CollectOptions = {}): Promise<CollectedJob> {
  const folder = findJobFolder(job);
  return withJobLock(folder, 'collect', async () => collectLocked(folder, history, opts));
}

function collectLocked(folder: string, history: RunHistory, opts: CollectOptions): CollectedJob {
  const spec = readJobSpec(folder);
  refuseSecondCollect(folder, history);
  const tasks: TaskResult[] = [];
  const missing: number[] = [];
  for (const k of spec.shards.keys()) {
    const done = readTaskDone(folder, k);
    if (done) tasks.push(readTask(folder, spec, k, done));
    else missing.push(k);
  }
  if (tasks.length === 0) throw new UserError(`no task of ${folder} is done yet (bild-bench slurm status ${folder})`);
  if (missing.length && !opts.partial)
    throw new UserError(`${taskList(missing)} of ${folder} ${missing.length === 1 ? 'is' : 'are'} not done (bild-bench slurm status ${folder}); --partial collects the done ${taskList(tasks.map((t) => t.done.task))}`);

  const plan = planOf(spec);
  const sentences = tasks.flatMap((t) => t.sentences).map((s, position) => ({ ...s, position }));
  const startedAt = tasks.map((t) => t.summary.startedAt).sort()[0]!;
  const environment = mergedEnvironment(spec, tasks, startedAt);
  const summaries = summarizeVariants(environment.dataset.task, plan.variants, sentences);
  const runId = newRunId();
  const outDir = spec.spec.outDir ?? join(appHome(), 'runs', runId);
  const summary: RunSummary = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId,
    kind: spec.kind,
    status: 'running',
    label: spec.spec.label ?? null,
    spec: spec.spec,
    variants: plan.variants,
    environment,
    sentences: sentences.length,
    plannedSentences: spec.dataset.examples,
    startedAt,
    finishedAt: tasks.map((t) => t.summary.finishedAt ?? t.done.finishedAt).sort().at(-1)!,
    summaries,
    sweep: spec.kind === 'sweep' ? sweepResult(summaries) : null,
    overhead: mergedOverhead(tasks),
    error: null,
    outDir,
    slurm: {
      jobFolder: folder,
      jobIds: readSubmissions(folder).map((s) => s.jobId),
      shards: spec.shards.length,
      collectedTasks: tasks.map((t) => t.done.task),
      missingTasks: missing,
      partial: missing.length > 0,
    },
  };

  const made = !existsSync(outDir);
  const files = new ResultFiles(outDir, runId, plan.variants);
  try {
    // recorded as running first: a collect killed half-way is marked interrupted, not complete
    history.insert(summary);
    for (const s of sentences) files.appendSentence(s, () => history.appendSentence(runId, s));
    summary.status = 'completed';
    files.writeSummary(summary);
    history.update(summary);
    writeCollected(folder, { runId, partial: missing.length > 0, at: new Date().toISOString() });
  } catch (err) {
    try {
      history.update({ ...summary, status: 'failed', error: (err as Error).message }); // a no-op when insert failed
      history.delete(runId);
    } catch {
      // the history refuses (its disk): the run stays, marked failed, with the error that matters below
    }
    // what this collect wrote goes; a --out folder that held other files keeps them
    if (made) rmSync(outDir, { recursive: true, force: true });
    else for (const f of Object.values(RESULT_FILES)) rmSync(join(outDir, f), { force: true });
    throw err;
  } finally {
    files.close();
  }
  return { runId, summary, partial: missing.length > 0, missingTasks: missing };
}
