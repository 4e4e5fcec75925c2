// The shapes of every request's arguments, checked before a request from the app's page (IPC,
// HTTP) reaches the engine: a wrong type is refused with the argument's name instead of failing
// inside the engine with a TypeError. Values (ranges, known names) are the engine's to check.
import type { DatasetRef, ListRunsQuery, RunSpec, SlurmOptions, SlurmSubmitRequest, SweepSpec } from '../engine/api/types';
import type { RequestMethod } from './protocol';

/** What is wrong with `value` at `path`, or undefined. */
type Check = (value: unknown, path: string) => string | undefined;

function shown(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  const text = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function primitive(type: 'string' | 'number' | 'boolean', what: string): Check {
  return (v, path) => (typeof v === type ? undefined : `${path} must be ${what} (got ${shown(v)})`);
}

const str = primitive('string', 'a string');
const num = primitive('number', 'a number');
const bool = primitive('boolean', 'true or false');

function oneOf(...values: string[]): Check {
  return (v, path) => (typeof v === 'string' && values.includes(v) ? undefined : `${path} must be one of ${values.join(', ')} (got ${shown(v)})`);
}

function listOf(item: Check): Check {
  return (v, path) => {
    if (!Array.isArray(v)) return `${path} must be a list (got ${shown(v)})`;
    for (const [i, x] of v.entries()) {
      const problem = item(x, `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  };
}

interface Field {
  check: Check;
  optional: boolean;
}
const optional = (check: Check): Field => ({ check, optional: true });

/** A check for every field of T: a field added to the engine's request types must be added here too. */
type Fields<T> = { [K in keyof Required<T>]: Check | Field };

/** An object with these fields (a bare Check is a required one); fields it does not know are let through for the engine. */
function object(fields: Record<string, Check | Field>): Check {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${path} must be an object (got ${shown(v)})`;
    const record = v as Record<string, unknown>;
    for (const [name, f] of Object.entries(fields)) {
      const { check, optional: opt } = typeof f === 'function' ? { check: f, optional: false } : f;
      if (record[name] === undefined && opt) continue;
      const problem = check(record[name], `${path}.${name}`);
      if (problem) return problem;
    }
    return undefined;
  };
}

const datasetRef = object({
  name: str,
  config: optional(str),
  split: optional(str),
  revision: optional(str),
  files: optional(listOf(str)),
  task: optional(oneOf('translation', 'summarization')),
  sourceLang: optional(str),
  targetLang: optional(str),
  sourceField: optional(str),
  targetField: optional(str),
  prefix: optional(str),
  limit: optional(num),
  seed: optional(num),
} satisfies Fields<DatasetRef>);

/** Fields of RunSpec that SweepSpec shares. */
const specFields = {
  models: object({ small: optional(str), large: optional(str) }),
  dataset: datasetRef,
  draft: optional(num),
  pipeline: optional(bool),
  maxLength: optional(num),
  maxSourceLength: optional(num),
  ep: optional(str),
  allowCpuFallback: optional(bool),
  dtype: optional(str),
  smallDtype: optional(str),
  blockSize: optional(num),
  accuracyLevel: optional(num),
  threads: optional(num),
  warmup: optional(num),
  repeats: optional(num),
  outDir: optional(str),
  label: optional(str),
} satisfies Partial<Fields<RunSpec & SweepSpec>>;

const runSpec = object({
  ...specFields,
  methods: optional(listOf(str)),
  bild: optional(object({ fallback: optional(num), rollback: optional(num), maxSmall: optional(num) })),
} satisfies Fields<RunSpec>);

const sweepSpec = object({
  ...specFields,
  fallbacks: optional(listOf(num)),
  rollbacks: optional(listOf(num)),
  maxSmall: optional(num),
  includeSmall: optional(bool),
} satisfies Fields<SweepSpec>);

/** Partition, gres and time go into the job script's #SBATCH lines: plain characters only (the engine checks their syntax). */
const slurmWord: Check = (v, path) =>
  typeof v === 'string' && /^[A-Za-z0-9_.,:=/+-]{1,128}$/.test(v) ? undefined : `${path} must be plain characters (letters, digits, _ . , : = / + -; got ${shown(v)})`;

const slurmOptions = object({
  shards: num,
  partition: optional(slurmWord),
  gres: optional(slurmWord),
  time: optional(slurmWord),
  cpusPerTask: optional(num),
  arrayParallel: optional(num),
  sbatchArgs: optional(listOf(str)),
  dryRun: optional(bool),
  jobDir: optional(str),
} satisfies Fields<SlurmOptions>);

/** The spec is checked as a run's or a sweep's, as `kind` says. */
const slurmRequest: Check = (v, path) =>
  object({ kind: oneOf('run', 'sweep'), spec: object({}), slurm: slurmOptions, submissionId: optional(str) } satisfies Fields<SlurmSubmitRequest>)(v, path) ??
  ((v as SlurmSubmitRequest).kind === 'run' ? runSpec : sweepSpec)((v as SlurmSubmitRequest).spec, `${path}.spec`);

interface Arg {
  name: string;
  check: Check;
  /** May be left out (or sent as null, which is what JSON makes of a trailing undefined). */
  optional?: boolean;
}

const runId: Arg = { name: 'runId', check: str };
const downloadId: Arg = { name: 'downloadId', check: str };
const job: Arg = { name: 'job', check: str };

/** Every method's parameters, in order (a method added to the protocol must be added here). */
const PARAMETERS: Record<RequestMethod, Arg[]> = {
  startRun: [{ name: 'spec', check: runSpec }],
  startSweep: [{ name: 'spec', check: sweepSpec }],
  activeJobs: [],
  cancelRun: [runId],
  waitForRun: [runId],
  listRuns: [
    {
      name: 'query',
      optional: true,
      check: object({
        limit: optional(num),
        status: optional(oneOf('running', 'completed', 'cancelled', 'failed', 'interrupted')),
        kind: optional(oneOf('run', 'sweep')),
      } satisfies Fields<ListRunsQuery>),
    },
  ],
  getRun: [runId],
  compareRuns: [{ name: 'runIds', check: listOf(str) }],
  exportRun: [{ name: 'request', check: object({ runId: str, dir: str, formats: optional(listOf(oneOf('csv', 'summary-csv', 'json'))) }) }],
  deleteRun: [runId],
  listModels: [],
  listDatasets: [],
  startDownload: [{ name: 'model', check: str }],
  pauseDownload: [downloadId],
  resumeDownload: [downloadId],
  cancelDownload: [downloadId],
  listDownloads: [],
  deleteModel: [{ name: 'model', check: str }],
  exportRunFile: [{ name: 'request', check: object({ runId: str, format: oneOf('csv', 'summary-csv', 'json') }) }],
  appInfo: [],
  slurmInfo: [],
  submitSlurm: [{ name: 'request', check: slurmRequest }],
  cancelSlurmSubmit: [{ name: 'submissionId', check: str }],
  listSlurmJobs: [],
  slurmStatus: [job],
  resubmitSlurm: [job],
  collectSlurm: [job, { name: 'options', optional: true, check: object({ partial: optional(bool) }) }],
};

/** Why `args` do not fit `method`'s parameters (`getRun: runId must be a string (got 42)`), or undefined. */
export function argsRefusal(method: RequestMethod, args: readonly unknown[]): string | undefined {
  const params = PARAMETERS[method];
  if (args.length > params.length)
    return `${method} takes ${params.length === 0 ? 'no arguments' : `${params.length} argument${params.length > 1 ? 's' : ''} (${params.map((p) => p.name).join(', ')})`}, got ${args.length}`;
  for (const [i, p] of params.entries()) {
    if (p.optional && (args[i] === undefined || args[i] === null)) continue;
    const problem = p.check(args[i], p.name);
    if (problem) return `${method}: ${problem}`;
  }
  return undefined;
}
