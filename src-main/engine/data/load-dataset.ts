/** Resolves a DatasetSpec (demo, Hub parquet, or local files) into prefixed examples. */
import { existsSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UserError } from '../errors';
import type { DatasetParquetFiles, DatasetParquetOptions, DatasetParquetRequest } from '../hub/datasets';
import { resourcesDir } from '../paths';
import { toExample, topLevelColumns, type FieldMapping } from './fields';
import { findPreset, type DatasetPreset } from './presets';
import { readDelimited } from './read-delimited';
import { readJsonl } from './read-jsonl';
import { readParallel } from './read-parallel';
import { readParquet } from './read-parquet';
import { selectionOf, type Selection } from './sample';
import type { DatasetSpec, FileFormat, LoadedDataset, RawRecord, Task } from './types';

/** Downloads (or finds in the HF cache) the parquet files of one split. */
export type ParquetFetcher = (req: DatasetParquetRequest, opts: DatasetParquetOptions) => Promise<DatasetParquetFiles>;

export interface LoadDatasetOptions {
  /** Default: the Hub client's fetchDatasetParquet (loaded on first use). */
  fetchParquet?: ParquetFetcher;
  /** Passed to the fetcher: cache dir, offline mode, token, progress, signal. */
  hub?: DatasetParquetOptions;
}

const DEFAULT_SPLIT = 'validation';

async function defaultFetcher(): Promise<ParquetFetcher> {
  // Loaded lazily so file and demo datasets never pull in the network stack.
  return (await import('../hub/datasets')).fetchDatasetParquet;
}

function checkSpec(spec: DatasetSpec): void {
  if (spec.limit !== undefined && (!Number.isInteger(spec.limit) || spec.limit < 1)) {
    throw new UserError(`limit must be a positive integer (got ${spec.limit})`);
  }
  if (spec.seed !== undefined && !Number.isInteger(spec.seed)) throw new UserError(`seed must be an integer (got ${spec.seed})`);
  if (spec.seed !== undefined && spec.limit === undefined) throw new UserError('seed samples `limit` examples: give a limit too (--limit)');
}

/** Field mapping: explicit fields, else languages for translation, else the preset, else defaults. */
export function fieldMapping(spec: DatasetSpec, task: Task, preset: DatasetPreset | undefined): FieldMapping {
  const prefix = spec.prefix ?? preset?.prefix ?? (task === 'summarization' ? 'summarize: ' : '');
  const langs = spec.sourceLang !== undefined || spec.targetLang !== undefined;
  let sourceField: string;
  let targetField: string;
  if (task === 'translation' && (langs || !preset)) {
    sourceField = `translation.${spec.sourceLang ?? 'de'}`;
    targetField = `translation.${spec.targetLang ?? 'en'}`;
  } else if (preset) {
    sourceField = preset.sourceField;
    targetField = preset.targetField;
  } else {
    sourceField = 'document';
    targetField = 'summary';
  }
  return { sourceField: spec.sourceField ?? sourceField, targetField: spec.targetField ?? targetField, prefix };
}

/** Parallel text has no field names (sources and references are the two files); a CSV/TSV header cannot nest, so translation columns default to the language codes. */
function fileMapping(spec: DatasetSpec, task: Task, format: FileFormat): FieldMapping {
  const m = fieldMapping(spec, task, undefined);
  if (format === 'parallel') return { ...m, sourceField: 'source', targetField: 'target' };
  if ((format === 'csv' || format === 'tsv') && task === 'translation')
    return { ...m, sourceField: spec.sourceField ?? spec.sourceLang ?? 'de', targetField: spec.targetField ?? spec.targetLang ?? 'en' };
  return m;
}

function formatOf(spec: DatasetSpec, files: string[]): FileFormat {
  if (spec.format) return spec.format;
  if (files.length === 2) return 'parallel';
  const ext = extname(files[0]!).toLowerCase();
  if (ext === '.jsonl' || ext === '.json' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv') return 'tsv';
  if (ext === '.parquet') return 'parquet';
  throw new UserError(`${files[0]}: unknown file type '${ext}' (use .jsonl, .csv, .tsv, .parquet, or two parallel text files)`);
}

async function readFiles(files: string[], format: FileFormat, mapping: FieldMapping, sel: Selection): Promise<RawRecord[]> {
  switch (format) {
    case 'jsonl':
      return readJsonl(files[0]!, sel);
    case 'csv':
    case 'tsv':
      return readDelimited(files[0]!, format === 'csv' ? ',' : '\t', topLevelColumns(mapping), sel);
    case 'parallel':
      if (files.length !== 2) throw new UserError(`parallel text needs two files (source, reference), got ${files.length}`);
      return readParallel(files[0]!, files[1]!, sel);
    case 'parquet':
      return readParquet(files, [mapping.sourceField, mapping.targetField], sel);
  }
}

function demoFile(name: string, split: string): string {
  const dir = join(resourcesDir(), 'datasets');
  const path = join(dir, `${name}.${split}.jsonl`);
  if (existsSync(path)) return path;
  const have = existsSync(dir)
    ? readdirSync(dir).filter((f) => f.startsWith(`${name}.`) && f.endsWith('.jsonl')).map((f) => f.slice(name.length + 1, -6))
    : [];
  throw new UserError(
    have.length ? `demo dataset ${name} has no split '${split}' (available: ${have.join(', ')})` : `no demo dataset named '${name}'`,
  );
}

export async function loadDataset(spec: DatasetSpec, opts: LoadDatasetOptions = {}): Promise<LoadedDataset> {
  checkSpec(spec);
  const split = spec.split ?? DEFAULT_SPLIT;
  const sel = selectionOf(spec.limit, spec.seed);

  if (spec.source === 'demo') {
    const name = spec.dataset ?? 'toy-de-en';
    const preset = findPreset(name);
    const task = spec.task ?? preset?.task ?? 'translation';
    const mapping = fieldMapping(spec, task, preset);
    const records = await readFiles([demoFile(name, split)], 'jsonl', mapping, sel);
    return { id: name, split, task, prefix: mapping.prefix, examples: records.map((r) => toExample(r, mapping)) };
  }

  if (spec.source === 'hub') {
    if (!spec.dataset) throw new UserError('a Hub dataset needs a dataset id (e.g. IWSLT/iwslt2017) or a preset name');
    const preset = findPreset(spec.dataset, spec.config);
    const dataset = preset?.source === 'hub' ? preset.dataset : spec.dataset;
    const config = spec.config ?? preset?.config ?? 'default';
    const task = spec.task ?? preset?.task ?? 'translation';
    const mapping = fieldMapping(spec, task, preset);
    const fetch = opts.fetchParquet ?? (await defaultFetcher());
    const req: DatasetParquetRequest = { dataset, config, split, ...(spec.revision !== undefined && { revision: spec.revision }) };
    const { files, commit } = await fetch(req, opts.hub ?? {});
    const records = await readParquet(files, [mapping.sourceField, mapping.targetField], sel);
    return {
      id: dataset,
      config,
      split,
      revision: commit,
      task,
      prefix: mapping.prefix,
      examples: records.map((r) => toExample(r, mapping)),
    };
  }

  const files = spec.files ?? [];
  if (files.length === 0 || files.length > 2) {
    throw new UserError(`a file dataset needs one file (jsonl, csv, tsv, parquet) or two parallel text files, got ${files.length}`);
  }
  const task = spec.task ?? 'translation';
  const format = formatOf(spec, files);
  const mapping = fileMapping(spec, task, format);
  const records = await readFiles(files, format, mapping, sel);
  return { id: files.join(' + '), split, task, prefix: mapping.prefix, examples: records.map((r) => toExample(r, mapping)) };
}
