// App state fed by API replies and engine events. Nothing is computed here beyond bookkeeping
// (which job is shown, the latest sentences); all numbers come from the engine.
import { markRaw, reactive, toRaw, watch } from 'vue';
import type {
  ActiveJob,
  DatasetCatalogEntry,
  EngineEvent,
  ExecutionProvider,
  Method,
  MethodRef,
  ModelCatalogEntry,
  ProgressStage,
  RunDetail,
  RunStatus,
  RunSummary,
  SentenceResult,
  Task,
  Variant,
  WeightDType,
} from '../../src-main/engine/api/types';
import type { AppInfo, DownloadState } from '../../src-main/host/protocol';
import { ApiError, call, onConnected, onEvent } from './api';
import { inFormTerms } from './field-names';
import { WEIGHT_DTYPES } from './weights';

export interface JobView {
  runId: string | null;
  kind: 'run' | 'sweep';
  status: RunStatus | 'starting' | 'idle';
  variants: Variant[];
  /** Names the per-sentence metric (sentence BLEU or ROUGE-L); null until the job has started. */
  task: Task | null;
  total: number;
  done: number;
  stage: ProgressStage | null;
  message: string;
  /** Every finished sentence, in order (not reactive inside: charts read it on each tick). */
  sentences: SentenceResult[];
  /** The number of sentences, kept in a reactive field so views know when to redraw. */
  tick: number;
  summary: RunSummary | null;
  error: string | null;
  /** When the job started (epoch ms), for the elapsed time; null until known. */
  startedAt: number | null;
  /** The first decode progress this view saw: sentences/s and the ETA count from there (also after a reload). */
  decodeFrom: { at: number; done: number } | null;
}

export const DATASET_FILE = '__file__';

export interface RunConfig {
  group: string;
  small: string;
  large: string;
  /** A dataset preset name, or DATASET_FILE for `filePath`. */
  dataset: string;
  filePath: string;
  /** For a local file: its task and, when not the defaults, the fields to read. */
  fileTask: Task;
  sourceField: string;
  targetField: string;
  split: string;
  limit: number;
  methods: Method[];
  fallback: number;
  rollback: number;
  ep: ExecutionProvider;
  /** Every role's weights; `smallDtype` ('' = the same) overrides the small role's. */
  dtype: WeightDType;
  smallDtype: WeightDType | '';
  /** `method@dtype` variants run besides `methods` (those of unchecked methods are left out of the run). */
  variants: MethodRef[];
  /** int8/q4 export options, sent only where a variant is quantized ('' = the engine's default). */
  blockSize: number | '';
  accuracyLevel: number | '';
  /** Run on CPU when the chosen provider is unavailable (otherwise the run fails and says why). */
  allowCpuFallback: boolean;
  /** BiLD pipelined: the small model drafts ahead on a second core (CPU provider). */
  pipeline: boolean;
  /** Advanced settings; '' (an empty field under v-model.number) leaves the engine's default. */
  maxSmall: number | '';
  draft: number | '';
  maxLength: number | '';
  warmup: number | '';
  repeats: number | '';
  label: string;
}

/** The methods in the order a run lists them. */
export const METHODS: readonly Method[] = ['large', 'small', 'bild', 'speculative'];

/** Checks or unchecks a method, keeping METHODS' order. */
export function setMethod(m: Method, on: boolean): void {
  const cfg = store.config;
  cfg.methods = on ? METHODS.filter((x) => x === m || cfg.methods.includes(x)) : cfg.methods.filter((x) => x !== m);
}

/** The demo pair that shows BiLD at work: demo/tiny is weak enough to fall back and roll back on the demo sentences. */
export const DEMO_PRESET = { group: 'demo', small: 'demo/tiny', large: 'demo/large', dataset: 'toy-de-en', fallback: 0.8, rollback: 2 } as const;

function emptyJob(kind: 'run' | 'sweep'): JobView {
  return { runId: null, kind, status: 'idle', variants: [], task: null, total: 0, done: 0, stage: null, message: '', sentences: markRaw([]), tick: 0, summary: null, error: null, startedAt: null, decodeFrom: null };
}

/** A finished run from the history as a job view, so that it is shown as a live run is. */
export function jobOfRun(run: RunDetail): JobView {
  const s = run.summary;
  return {
    ...emptyJob(s.kind),
    runId: s.runId,
    status: s.status,
    variants: s.variants,
    task: s.environment?.dataset.task ?? null,
    total: s.plannedSentences,
    done: run.sentences.length,
    sentences: markRaw(run.sentences),
    tick: run.sentences.length,
    summary: s,
    error: s.error,
    startedAt: Date.parse(s.startedAt),
  };
}

export const store = reactive({
  info: null as AppInfo | null,
  models: [] as ModelCatalogEntry[],
  datasets: [] as DatasetCatalogEntry[],
  downloads: {} as Record<string, DownloadState>,
  config: {
    ...DEMO_PRESET,
    filePath: '',
    fileTask: 'translation',
    sourceField: '',
    targetField: '',
    split: 'test',
    limit: 10,
    methods: ['large', 'bild'],
    ep: 'cpu',
    dtype: 'fp32',
    smallDtype: '',
    variants: [],
    blockSize: '',
    accuracyLevel: '',
    allowCpuFallback: false,
    pipeline: false,
    maxSmall: '',
    draft: '',
    maxLength: '',
    warmup: '',
    repeats: '',
    label: '',
  } as RunConfig,
  run: emptyJob('run'),
  sweep: emptyJob('sweep'),
  /** The sweep grid as typed (kept across tabs); `task` is the task whose paper ranges filled it. */
  sweepForm: { fallbacks: '', rollbacks: '', includeSmall: true, task: null as Task | null },
  /** The last error a user action caused, shown in a banner. */
  notice: null as string | null,
  /** Bumped when a job ends, so the history reloads. */
  historyTick: 0,
});

/** A sentence picked in a job view: a new object per pick, so that picking the shown sentence again (its chart point) can reveal it again. */
export interface SentenceSelection {
  /** 0-based position in the run. */
  position: number;
}

/** The sentence whose tokens are shown in each job view, picked in the explorer or on a chart; reactive, keyed by the raw view. */
const selections = reactive(new WeakMap<JobView, SentenceSelection>());

/** Selects a sentence of a job view (null: none); each view has its own, so a run opened from the History starts with none. */
export function selectSentence(job: JobView, position: number | null): void {
  if (position === null) selections.delete(toRaw(job));
  else selections.set(toRaw(job), { position });
}

/** The latest pick in a job view, or undefined. */
export function sentenceSelection(job: JobView): SentenceSelection | undefined {
  return selections.get(toRaw(job));
}

/** The position of the sentence selected in a job view, or null. */
export function selectedSentence(job: JobView): number | null {
  return sentenceSelection(job)?.position ?? null;
}

export function showError(err: unknown): void {
  store.notice = inFormTerms(err instanceof ApiError || err instanceof Error ? err.message : String(err));
}

// Events can arrive before startRun's reply names the job: keep them until it does.
const early = new Map<string, EngineEvent[]>();

function jobFor(runId: string): JobView | null {
  if (store.run.runId === runId) return store.run;
  if (store.sweep.runId === runId) return store.sweep;
  return null;
}

function apply(job: JobView, e: EngineEvent): void {
  switch (e.type) {
    case 'run-started':
      job.variants = e.variants;
      job.task = e.environment.dataset.task;
      job.total = e.total;
      job.status = 'running';
      break;
    case 'progress':
      job.stage = e.stage;
      job.message = e.message;
      if (e.stage === 'decode') {
        job.done = e.done;
        job.decodeFrom ??= { at: Date.now(), done: e.done };
      }
      if (job.status === 'starting') job.status = 'running';
      break;
    case 'sentence':
      // after a resync the history may already have given this sentence
      if ((job.sentences.at(-1)?.position ?? -1) >= e.sentence.position) break;
      job.sentences.push(e.sentence);
      job.tick = job.sentences.length;
      break;
    case 'summary':
      job.summary = e.summary;
      break;
    case 'run-finished':
      job.summary = e.summary;
      job.status = e.status;
      jobEnded();
      break;
    case 'error':
      job.status = e.kind === 'cancelled' ? 'cancelled' : 'failed';
      job.error = inFormTerms(e.message);
      jobEnded();
      break;
  }
}

/** A job's end changes the history, and may have downloaded models. */
function jobEnded(): void {
  store.historyTick++;
  refreshModels().catch(showError);
}

/**
 * A group's models (models without a group go with every group) that can play `role`. The small
 * role lists the large models last: at a lower dtype the large checkpoint drafts for itself.
 */
export function groupModels(group: string, role: 'small' | 'large'): ModelCatalogEntry[] {
  const inGroup = store.models.filter((m) => (m.group ?? 'custom') === group || m.group === null);
  const larges = inGroup.filter((m) => m.role === 'large' || m.role === 'custom');
  return role === 'large' ? larges : [...inGroup.filter((m) => m.role !== 'large'), ...larges.filter((m) => m.role === 'large')];
}

/** Points the form at a group's pair, keeping a chosen model that belongs to the group. */
export function selectGroup(group: string): void {
  const cfg = store.config;
  cfg.group = group;
  const smalls = groupModels(group, 'small');
  const larges = groupModels(group, 'large');
  if (!smalls.some((m) => m.name === cfg.small)) cfg.small = smalls[0]?.name ?? '';
  if (!larges.some((m) => m.name === cfg.large)) cfg.large = larges[0]?.name ?? '';
}

export async function refreshModels(): Promise<void> {
  store.models = await call('listModels');
}

export async function loadCatalog(): Promise<void> {
  const [info, models, datasets, downloads] = await Promise.all([call('appInfo'), call('listModels'), call('listDatasets'), call('listDownloads')]);
  store.info = info;
  store.models = models;
  store.datasets = datasets;
  for (const d of downloads) store.downloads[d.model] = d;
  forgetUnknownChoices();
}

// The form survives a reload: stored in localStorage, restored field by field where the stored value still fits.
const CONFIG_KEY = 'bild-bench.config';
const DEFAULT_CONFIG: RunConfig = { ...store.config, methods: [...store.config.methods], variants: [] };
const METHOD_NAMES: readonly string[] = METHODS;
/** What a stored list may hold: plain methods, and `method@dtype` refs for the extra variants. */
const LIST_ITEM: Partial<Record<keyof RunConfig, (x: unknown) => boolean>> = {
  methods: (x) => METHOD_NAMES.includes(x as string),
  variants: (x) => typeof x === 'string' && METHOD_NAMES.includes(x.split('@')[0]!) && (WEIGHT_DTYPES as readonly string[]).includes(x.split('@')[1]!),
};

function storedConfig(): Partial<RunConfig> {
  let saved: unknown;
  try {
    saved = JSON.parse(localStorage.getItem(CONFIG_KEY) ?? '{}');
  } catch {
    return {};
  }
  if (typeof saved !== 'object' || saved === null) return {};
  const fits = Object.entries(saved).filter(([key, value]) => {
    if (!(key in DEFAULT_CONFIG)) return false;
    const def: unknown = DEFAULT_CONFIG[key as keyof RunConfig];
    if (Array.isArray(def)) return Array.isArray(value) && value.every(LIST_ITEM[key as keyof RunConfig]!);
    // an optional number may be '' or a number
    return def === '' && typeof value === 'number' ? true : typeof value === typeof def;
  });
  return Object.fromEntries(fits) as Partial<RunConfig>;
}

/** A stored choice the catalog no longer offers (a model, a dataset, a group) goes back to the default. */
function forgetUnknownChoices(): void {
  const cfg = store.config;
  const known = (name: string): boolean => store.models.some((m) => m.name === name);
  if (!store.models.some((m) => (m.group ?? 'custom') === cfg.group)) cfg.group = DEFAULT_CONFIG.group;
  if (!known(cfg.small)) cfg.small = DEFAULT_CONFIG.small;
  if (!known(cfg.large)) cfg.large = DEFAULT_CONFIG.large;
  if (cfg.dataset !== DATASET_FILE && !store.datasets.some((d) => d.name === cfg.dataset)) cfg.dataset = DEFAULT_CONFIG.dataset;
}

Object.assign(store.config, storedConfig());
watch(
  () => store.config,
  (cfg) => localStorage.setItem(CONFIG_KEY, JSON.stringify(cfg)),
  { deep: true },
);

export function listenToEngine(): void {
  onEvent((e) => {
    if (e.type === 'download') {
      const before = store.downloads[e.download.model]?.status;
      store.downloads[e.download.model] = e.download;
      if (e.download.status === 'done' && before !== 'done') void refreshModels();
      return;
    }
    const job = jobFor(e.runId);
    if (job) apply(job, e);
    else {
      const list = early.get(e.runId) ?? [];
      if (list.length < 1000) list.push(e);
      early.set(e.runId, list);
    }
  });
  onConnected(() => {
    void resync().catch(showError);
    void call('listDownloads').then((list) => list.forEach((d) => (store.downloads[d.model] = d)), showError);
  });
}

/** Starts a run or sweep shown in `which`; replays events that beat the reply. */
export async function startJob(which: 'run' | 'sweep', start: () => Promise<{ runId: string }>): Promise<void> {
  const fresh = emptyJob(which);
  fresh.status = 'starting';
  fresh.startedAt = Date.now();
  store[which] = fresh;
  store.notice = null;
  try {
    const { runId } = await start();
    store[which].runId = runId;
    for (const e of early.get(runId) ?? []) apply(store[which], e);
    early.delete(runId);
    early.clear();
  } catch (err) {
    store[which].status = 'idle';
    showError(err);
  }
}

export async function cancelJob(which: 'run' | 'sweep'): Promise<void> {
  const id = store[which].runId;
  if (!id) return;
  try {
    await call('cancelRun', id);
  } catch (err) {
    showError(err);
  }
}

/** Empties the Run view (the history keeps its run) unless a run is going on in it. */
export function clearRunView(): void {
  if (!isActive(store.run)) store.run = emptyJob('run');
}

export function isActive(job: JobView): boolean {
  return job.status === 'starting' || job.status === 'running';
}

/** The engine runs one job at a time: Run and Sweep both wait while either is active. */
export function anyActive(): boolean {
  return isActive(store.run) || isActive(store.sweep);
}

/**
 * Brings the job views in line with the engine after the page was reloaded (it forgot its job) or
 * its event stream reconnected (events were missed): catches up on the engine's running job (the
 * sentences finished so far come from the history), adopts it when no view shows it, and closes
 * views whose job ended meanwhile. A view whose job is starting is left to its start's reply.
 */
export async function resync(): Promise<void> {
  const asked = { run: store.run, sweep: store.sweep };
  const [running] = await call('activeJobs');
  for (const which of ['run', 'sweep'] as const) {
    const view = asked[which];
    if (store[which] !== view || view.status === 'starting' || !view.runId) continue;
    if (view.runId === running?.runId) await catchUp(view, running);
    else if (isActive(view)) await closeEnded(view, view.runId);
  }
  if (!running) return;
  const shown = store[running.kind];
  if (shown.runId === running.runId || shown.status === 'starting') return;
  store[running.kind] = { ...emptyJob(running.kind), runId: running.runId, status: 'running' };
  await catchUp(store[running.kind], running);
}

/** The engine's snapshot of its job, and the finished sentences the history has that the view lacks. */
async function catchUp(view: JobView, job: ActiveJob): Promise<void> {
  Object.assign(view, { variants: job.variants, total: job.total, done: Math.max(view.done, job.done), stage: job.stage, message: job.message });
  const stored = await call('getRun', job.runId).catch(() => null);
  view.task ??= stored?.summary.environment?.dataset.task ?? null;
  view.startedAt ??= stored ? Date.parse(stored.summary.startedAt) : null;
  if (job.stage === 'decode') view.decodeFrom ??= { at: Date.now(), done: view.done };
  const have = new Set(view.sentences.map((x) => x.position));
  const missing = (stored?.sentences ?? []).filter((x) => !have.has(x.position));
  if (missing.length > 0) {
    view.sentences.push(...missing);
    view.sentences.sort((a, b) => a.position - b.position);
    view.tick = view.sentences.length;
  }
  for (const e of early.get(job.runId) ?? []) apply(view, e);
  early.delete(job.runId);
}

/** A job that ended while the view was not listening: its stored summary. */
async function closeEnded(view: JobView, runId: string): Promise<void> {
  const stored = await call('getRun', runId).catch(() => null);
  view.summary = stored?.summary ?? view.summary;
  view.status = stored && stored.summary.status !== 'running' ? stored.summary.status : 'failed';
  if (!stored) view.error = 'the job ended while the app was not connected, and the history has no record of it';
  store.historyTick++;
}
