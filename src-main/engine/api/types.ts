/**
 * The engine's contract with every front end (CLI, Electron IPC, HTTP/SSE): requests, results and
 * events. Everything here is plain JSON (no classes, functions, Dates, Maps or typed arrays), so any
 * transport can carry it unchanged.
 */

// Type-only imports: erased at build time, so a renderer can import this file without the engine.
import type { Method } from '../decoding/generate';
import type { Task } from '../data/types';
import type { ComputeType } from '../onnx/t5-graphs';
import type { QuantSpec, WeightDType } from '../onnx/t5-weights';
import type { ExecutionProvider } from '../runtime/session';
import type { DecodeTotals } from '../decoding/counters';
import type { DecodeTrace } from '../decoding/trace';
import type { SlurmOptions } from '../slurm/types';

export type { ExecutionProvider, Method, QuantSpec, Task, WeightDType };
export type { Collected, SlurmJobStatus, SlurmOptions, TaskState, TaskStatus } from '../slurm/types';
export type { SubmittedJob } from '../slurm/submit';
export type { Resubmitted } from '../slurm/resubmit';
export type { SlurmJobEntry } from '../slurm/list-jobs';

/** Version of summary.json, the run JSON and the CSV columns; bumped on incompatible changes. */
export const RESULT_SCHEMA_VERSION = 2;

/** A model reference: a local folder, a Hub repository id or a catalog name. */
export type ModelRef = string;

export interface DatasetRef {
  /** `demo` (the embedded toy-de-en), a preset name or Hub id, or a local file path. */
  name: string;
  config?: string;
  /** Default validation. */
  split?: string;
  /** Hub revision of the parquet conversion. */
  revision?: string;
  /** Two parallel text files (source, reference); `name` is then ignored. */
  files?: string[];
  task?: Task;
  sourceLang?: string;
  targetLang?: string;
  /**
   * The source and reference fields: dotted paths into a record (`translation.de`) or column names
   * (CSV/TSV/parquet). Default: from the preset, else `translation.<lang>` (JSONL, parquet) or the
   * language codes as column names (CSV/TSV) for translation, `document`/`summary` for summarization.
   */
  sourceField?: string;
  targetField?: string;
  /** Prepended to every source (default: `summarize: ` for summarization, none for translation). */
  prefix?: string;
  /** The first N examples (or N sampled with `seed`). */
  limit?: number;
  /** With `limit`: a seeded sample instead of the first N. */
  seed?: number;
}

/** BiLD thresholds: fallback FB in [0, 1], rollback RB > 0. */
export interface BildThresholds {
  fallback: number;
  rollback: number;
}

/** A model role: BiLD's (and speculative decoding's) drafter and verifier; a method alone uses one. */
export type ModelRole = 'small' | 'large';

/**
 * A run's method: the method at the run's dtypes, or `method@dtype`, the method with its own role's
 * weights at that dtype (large's for large, bild and speculative; small's for small), so one run can
 * compare `large` with `large@q4` on the same sentences.
 */
export type MethodRef = Method | `${Method}@${WeightDType}`;

export interface RunSpec {
  /** Both for small/bild/speculative; a single-model baseline run sets only `large` (the model). */
  models: { small?: ModelRef; large?: ModelRef };
  /** Default: all four for a pair, ['large'] for one model. */
  methods?: MethodRef[];
  bild?: Partial<BildThresholds> & { maxSmall?: number };
  /** Speculative decoding's draft length. */
  draft?: number;
  /** BiLD variants run pipelined: the small model drafts ahead in a worker thread (CPU provider; default false). */
  pipeline?: boolean;
  dataset: DatasetRef;
  /** Decoder positions including the start token (default 128). */
  maxLength?: number;
  /**
   * Source tokens kept (default 1024, as the official script's max_source_length): a longer source
   * keeps its first tokens and the final </s>, as HF's tokenizer truncation does.
   */
  maxSourceLength?: number;
  ep?: ExecutionProvider;
  /** Run on CPU when `ep` is unavailable (default false: the run fails and says why). */
  allowCpuFallback?: boolean;
  /** Weights of every role (default fp32); `method@dtype` methods override their own role's. */
  dtype?: WeightDType;
  /**
   * The small role's weights (default `dtype`): with the large checkpoint as the small model, a
   * quantized copy of the large model drafts for it (BiLD without a trained small model).
   */
  smallDtype?: WeightDType;
  /** int8/q4 only: values per quantization block (16, 32, 64, 128 or 256; default 32). */
  blockSize?: number;
  /** int8/q4 only: onnxruntime MatMulNBits accuracy level 0..4 (default 4: int8 activations on CPU). */
  accuracyLevel?: number;
  /** Intra-op threads (0: onnxruntime's default, all cores; absent: per model, one thread for checkpoints under 16 MB of fp32 weights, else all cores). */
  threads?: number;
  /** Untimed sentences per method before the run (default 1). */
  warmup?: number;
  /**
   * Timed decodings of each sentence per method (1..20, default 1): the recorded latencies are
   * the medians, the outputs the first decoding's (every repeat must give the same tokens).
   */
  repeats?: number;
  /** Where sentences.csv and summary.json go (default <appHome>/runs/<runId>). */
  outDir?: string;
  /** Free text shown in the history. */
  label?: string;
}

/** FB × RB grid; unset lists take the paper's ranges for the dataset's task. */
export interface SweepSpec extends Omit<RunSpec, 'methods' | 'bild'> {
  fallbacks?: number[];
  rollbacks?: number[];
  maxSmall?: number;
  /** Also run the small model alone (a point on the chart); default true. */
  includeSmall?: boolean;
}

/** One decoding configuration evaluated on every sentence: a method, and for BiLD its thresholds. */
export interface Variant {
  /** Unique within a run: the method name, or `bild@FB/RB` in sweeps. */
  id: string;
  method: Method;
  bild?: BildThresholds;
  /** The weight dtype of each role the method uses. Absent in runs recorded before it was (every role at environment.dtype). */
  dtypes?: Partial<Record<ModelRole, WeightDType>>;
}

export type RunStatus = 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted';

/** One sentence decoded by one variant. */
export interface VariantOutput extends DecodeTotals {
  variant: string;
  method: Method;
  text: string;
  /** Generated tokens (start token excluded). */
  tokens: number;
  /** Tokens per large-model call (bild, speculative); null otherwise. */
  acceptedLength: number | null;
  encoderMs: number;
  decodeMs: number;
  totalMs: number;
  /** Sentence BLEU (translation) or ROUGE-L F×100 (summarization) against the reference. */
  metric: number;
  /** Same token ids as the large-only output of this sentence; null when large-only was not run. */
  identicalToLarge: boolean | null;
  /** BiLD and speculative decoding (schema 2 on): who wrote each token, with the numbers compared with FB and RB (docs/runs.md). */
  trace?: DecodeTrace;
}

/** One example with the outputs of every variant, all decoded from the same input. */
export interface SentenceResult {
  /** Position in this run (0-based). */
  position: number;
  /** Row index in the dataset split. */
  exampleIndex: number;
  source: string;
  reference: string;
  outputs: VariantOutput[];
}

export interface LatencyStats {
  mean: number;
  median: number;
  p90: number;
  p99: number;
}

export interface QualityScores {
  /** translation: corpus BLEU (sacreBLEU default); summarization: null. */
  bleu: number | null;
  /** summarization: mean ROUGE-L / ROUGE-Lsum F×100 (Lsum with sentences split by rules); translation: null. */
  rougeL: number | null;
  rougeLsum: number | null;
  /** The headline number: BLEU, or ROUGE-Lsum (the paper's "ROUGE-L"). */
  primary: number;
  primaryName: 'BLEU' | 'ROUGE-Lsum';
  signature: string;
  implementation: string;
}

/** A two-sided confidence interval [low, high]. */
export type ConfidenceInterval = [number, number];

/** How the intervals were computed (docs/runs.md). */
export interface BootstrapSettings {
  /** Sentences resampled with replacement, the same resample for every variant; percentile intervals. */
  method: 'paired-percentile';
  resamples: number;
  seed: number;
  /** Two-sided level, 0.95. */
  confidence: number;
}

export interface VariantSummary {
  variant: string;
  method: Method;
  bild: BildThresholds | null;
  sentences: number;
  quality: QualityScores;
  /** End-to-end ms per sentence (tokenize, encode, decode, detokenize). */
  latencyMs: LatencyStats;
  meanDecodeMs: number;
  meanEncoderMs: number;
  /** Generated tokens / summed end-to-end seconds. */
  tokensPerSecond: number;
  meanTokens: number;
  /** Sentence throughput of this variant / that of large-only (= large mean ms ÷ this mean ms); null without large. */
  speedup: number | null;
  /** 100 × fallbacks / generated tokens. */
  fallbackPct: number;
  /** 100 × rollbacks / generated tokens. */
  rollbackPct: number;
  /** 100 × small-model tokens kept / generated tokens. */
  smallTokenPct: number;
  /** Generated tokens / large-model calls over the corpus (bild, speculative); null otherwise. */
  meanAcceptedLength: number | null;
  /** Share (0–1) of sentences whose output equals large-only's; null without large. */
  identicalToLarge: number | null;
  /**
   * The large-only variant `speedup` and `identicalToLarge` refer to: the one at fp32, else the one
   * at the run's dtype, else the first (runner/summary.ts baselineIndex); null without one. Absent
   * in runs recorded before it was.
   */
  baseline?: string | null;
  totals: DecodeTotals & { tokens: number };
  /** Bootstrap interval of quality.primary (corpus BLEU recomputed per resample, or the ROUGE-Lsum mean). Absent in runs recorded before it was. */
  qualityCI?: ConfidenceInterval;
  /** Bootstrap interval of speedup (summed large-only ms ÷ summed ms per resample); null without large. Absent in runs recorded before it was. */
  speedupCI?: ConfidenceInterval | null;
  bootstrap?: BootstrapSettings;
  /**
   * The first variant of the run that decoded every sentence the same way (output text, model
   * calls, fallbacks, rollbacks): the same computation, so timing differences between the two
   * are noise. null when none did. Absent in runs recorded before it was.
   */
  sameOutputsAs?: string | null;
  /** As the variant's `dtypes`. */
  dtypes?: Partial<Record<ModelRole, WeightDType>>;
  /**
   * A variant whose own role (large's for large, bild and speculative; small's for small) is not
   * fp32, against the run's variant with that role at fp32 and otherwise the same (method,
   * thresholds, the other role's dtype); null when the run has none. Absent in runs recorded before it was.
   */
  vsFp32?: DtypeComparison | null;
}

/** A lower-precision variant against its fp32 counterpart on the same sentences (runner/dtype-compare.ts). */
export interface DtypeComparison {
  /** The fp32 counterpart's variant id. */
  baseline: string;
  /** quality.primary minus the baseline's, with its paired bootstrap interval (the same resamples as qualityCI). */
  metricDelta: number;
  metricDeltaCI: ConfidenceInterval;
  /** Share (0–1) of sentences with the same output text as the baseline's. */
  identical: number;
  /**
   * Traced methods (bild, speculative): the share (0–1) of output positions decided the same way,
   * i.e. with the same trace origin letter (a kept small token, a fallback, a rollback's replacement,
   * a forced large step), over the positions where both outputs exist and agree on every earlier
   * token, pooled over sentences; null for untraced methods.
   */
  decisionAgreement: number | null;
  /** The positions decisionAgreement is over. */
  comparedPositions: number;
}

export interface ModelInfo {
  role: ModelRole;
  /** As given: path, Hub id or catalog name. */
  ref: string;
  catalogName: string | null;
  folder: string;
  hubRepo: string | null;
  /** Resolved Hub commit; null for local folders. */
  commit: string | null;
  /** sha256 of the weights and config.json (the export cache key). */
  checkpointHash: string;
  /** sha256 of each small file of the folder (config, tokenizer, ...); weights are in checkpointHash. */
  fileHashes: Record<string, string>;
  tokenizerFingerprint: string;
  dtype: WeightDType;
  /** Arithmetic type of the exported graphs (fp16 only on GPU providers); absent in runs recorded before it was. */
  compute?: ComputeType;
  /** int8/q4 exports: how the projections and feed-forward layers are quantized. */
  quant?: QuantSpec;
  /** The variants that use this export in this role (a run may load a role's model at several dtypes). Absent in runs recorded before it was. */
  variants?: string[];
  /**
   * Intra-op threads of the model's sessions as resolved for this run (0: onnxruntime's default,
   * one per core): what its alone, sequential BiLD and speculative variants use. Pipelined BiLD
   * variants (environment.pipeline) run the large model with one thread fewer than the cores
   * unless threads were set, and the small model's drafter with one (docs/engine.md). Absent in
   * runs recorded before it was.
   */
  threads?: number;
}

export interface DatasetInfo {
  id: string;
  config: string | null;
  split: string;
  revision: string | null;
  task: Task;
  prefix: string;
  examples: number;
  limit: number | null;
  seed: number | null;
}

export interface Environment {
  appVersion: string;
  gitCommit: string | null;
  node: string;
  onnxruntime: string;
  /** The provider the run used (CPU when a requested provider was unavailable and fallback was allowed). */
  ep: ExecutionProvider;
  /** Set when the run fell back to CPU: the requested provider and why it was unavailable. */
  epFallback?: string;
  /** Intra-op threads; 'auto': one for checkpoints under 16 MB of fp32 weights (whatever the export's dtype), else all cores. */
  threads: number | 'auto';
  /** BiLD ran pipelined (the small model drafting ahead in a worker thread). */
  pipeline: boolean;
  cpu: { model: string; cores: number };
  gpu: string | null;
  os: { platform: string; release: string; arch: string };
  /** One entry per export a role uses: a role whose model runs at two dtypes has two. */
  models: ModelInfo[];
  /** The run's default dtype (RunSpec.dtype); each variant's are in its `dtypes`. */
  dtype: WeightDType;
  dataset: DatasetInfo;
  /** fallback/rollback: the run's BiLD thresholds; null in sweeps (see the variants). */
  thresholds: { fallback: number | null; rollback: number | null; maxSmall: number; maxLength: number; draft: number };
  /**
   * Source truncation: the tokens kept per source, and how many of the run's sentences (those
   * recorded so far) were longer and truncated. Absent in runs recorded before it was.
   */
  sourceTruncation?: { maxSourceLength: number; truncated: number };
  /** The dataset sampling seed (greedy decoding itself is deterministic); null when not sampled. */
  seed: number | null;
  startedAt: string;
  /** Deliberate differences from the official BiLD code and from the fp32 checkpoint (every export states them); an export's name the variants they apply to. */
  deviations: string[];
  /** Per variant id: the deviations that apply to it (runner/deviations.ts). Absent in runs recorded before it was. */
  variantDeviations?: Record<string, string[]>;
  /** Runs collected from a Slurm job: every node that decoded a share of the sentences. */
  nodes?: ClusterNode[];
  /** Set when the nodes' CPU or GPU models differ (their timings do not compare across tasks). */
  nodesWarning?: string | null;
  /** A set-up that is valid but hardly meant (the small role the large model at the same dtype); absent when none. */
  warnings?: string[];
}

export interface ClusterNode {
  hostname: string;
  cpu: { model: string; cores: number };
  gpu: string | null;
  /** The job's array tasks that ran on it, and the sentences they decoded. */
  tasks: number[];
  sentences: number;
}

/** Where a run collected from a Slurm job came from (engine/slurm, docs/slurm.md). */
export interface SlurmRunInfo {
  jobFolder: string;
  /** Every sbatch submission's job id (the first, then resubmissions). */
  jobIds: string[];
  shards: number;
  /** The array tasks merged, and those missing from a partial collect. */
  collectedTasks: number[];
  missingTasks: number[];
  partial: boolean;
}

export interface ParetoPoint {
  variant: string;
  method: Method;
  bild: BildThresholds | null;
  quality: number;
  speedup: number;
  onFront: boolean;
  qualityCI?: ConfidenceInterval;
  speedupCI?: ConfidenceInterval | null;
  sameOutputsAs?: string | null;
  /**
   * Front points only (false elsewhere): against every other point that beats it on one axis,
   * this point's interval on the other axis lies wholly above that point's (docs/runs.md).
   */
  distinguishable?: boolean;
}

export interface SweepResult {
  qualityName: 'BLEU' | 'ROUGE-Lsum';
  points: ParetoPoint[];
  /** The non-dominated points (higher quality and higher speedup are better), by speedup. */
  front: ParetoPoint[];
}

/** summary.json and the history's run record. */
export interface RunSummary {
  schemaVersion: number;
  runId: string;
  kind: 'run' | 'sweep';
  status: RunStatus;
  label: string | null;
  spec: RunSpec | SweepSpec;
  variants: Variant[];
  environment: Environment | null;
  /** Sentences finished by every variant (a cancelled run counts only those). */
  sentences: number;
  plannedSentences: number;
  startedAt: string;
  finishedAt: string | null;
  summaries: VariantSummary[];
  sweep: SweepResult | null;
  /** Runner bookkeeping per sentence (metrics, writing, events) outside generate(). */
  overhead: { meanMsPerSentence: number; pctOfDecode: number } | null;
  error: string | null;
  outDir: string | null;
  /** Set on runs collected from a Slurm job array. */
  slurm?: SlurmRunInfo;
}

export interface RunListEntry {
  runId: string;
  kind: 'run' | 'sweep';
  status: RunStatus;
  label: string | null;
  startedAt: string;
  finishedAt: string | null;
  models: { small?: string; large?: string };
  dataset: string;
  split: string;
  sentences: number;
  plannedSentences: number;
  /** Per variant: quality and speedup, for the history table; their 95% intervals, null for runs recorded without them. */
  headline: { variant: string; quality: number; speedup: number | null; qualityCI: ConfidenceInterval | null; speedupCI: ConfidenceInterval | null }[];
  /** What `headline`'s quality is (BLEU, ROUGE-Lsum); null before any variant finished. */
  qualityName: string | null;
}

export interface RunDetail {
  summary: RunSummary;
  sentences: SentenceResult[];
}

export interface RunComparison {
  runs: RunListEntry[];
  /** One row per (run, variant). */
  rows: {
    runId: string;
    variant: string;
    method: Method;
    /** BiLD's thresholds; null for the other methods. */
    bild: BildThresholds | null;
    quality: number;
    qualityName: string;
    meanMs: number;
    speedup: number | null;
    /** 95% bootstrap intervals of quality and speedup (VariantSummary's); null for runs recorded without them, and speedup's without large. */
    qualityCI: ConfidenceInterval | null;
    speedupCI: ConfidenceInterval | null;
    fallbackPct: number;
    rollbackPct: number;
  }[];
}

/** What a stored run exports to: sentences.csv, summary.csv (per variant, with intervals), summary.json. */
export type ExportFormat = 'csv' | 'summary-csv' | 'json';

export interface ExportRequest {
  runId: string;
  dir: string;
  /** Default all three. */
  formats?: ExportFormat[];
}

export interface ListRunsQuery {
  limit?: number;
  status?: RunStatus;
  kind?: 'run' | 'sweep';
}

export interface ModelCatalogEntry {
  name: string;
  group: string | null;
  role: string;
  source: string;
  description: string | null;
  onDisk: string;
  /** Bytes of its files on disk (null when not on disk). */
  bytes: number | null;
}

export interface DatasetCatalogEntry {
  name: string;
  title: string;
  dataset: string;
  config: string | null;
  task: Task;
  splits: string[] | null;
}

export type ProgressStage = 'resolve' | 'dataset' | 'export' | 'load' | 'warmup' | 'decode';

/** The job the engine is running, as a front end needs it to show it again (after a reload or a reconnect). */
export interface ActiveJob {
  runId: string;
  kind: 'run' | 'sweep';
  /** Empty until the job has loaded its models and data (its 'run-started' event). */
  variants: Variant[];
  total: number;
  /** Sentences decoded so far. */
  done: number;
  stage: ProgressStage | null;
  message: string;
}

/** Events, each tagged with the job (run or sweep) it belongs to. */
export type EngineEvent =
  | { type: 'run-started'; runId: string; kind: 'run' | 'sweep'; variants: Variant[]; total: number; environment: Environment; outDir: string }
  | { type: 'progress'; runId: string; stage: ProgressStage; done: number; total: number; message: string }
  | { type: 'sentence'; runId: string; sentence: SentenceResult }
  | { type: 'summary'; runId: string; summary: RunSummary }
  | { type: 'run-finished'; runId: string; status: RunStatus; summary: RunSummary }
  | { type: 'error'; runId: string; kind: 'user' | 'cancelled' | 'internal'; message: string };

export type EngineEventListener = (event: EngineEvent) => void;

// ---- Slurm jobs from the app (engine/slurm, docs/slurm.md "In the app") ----


/** Whether this host can submit (sbatch on PATH) and where job folders go. */
export interface SlurmInfo {
  /** sbatch's path, or null: the app then offers to write (export) the job folder only. */
  sbatch: string | null;
  jobsRoot: string;
}

export interface SlurmSubmitRequest {
  kind: 'run' | 'sweep';
  spec: RunSpec | SweepSpec;
  slurm: SlurmOptions;
  /** Names the submission for cancelSlurmSubmit: it fetches and exports the models first, which can take long. */
  submissionId?: string;
}
