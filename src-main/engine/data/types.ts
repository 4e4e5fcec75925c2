/** Dataset specs and loaded examples shared by the readers, the CLI and the UI. */

export type Task = 'translation' | 'summarization';

export type DatasetSource = 'demo' | 'hub' | 'file';

export type FileFormat = 'jsonl' | 'csv' | 'tsv' | 'parallel' | 'parquet';

export interface DatasetSpec {
  source: DatasetSource;
  /** Default: the preset's task, else translation. */
  task?: Task;
  /** demo: its name (default toy-de-en); hub: a preset name (see presets.ts) or a Hub dataset id. */
  dataset?: string;
  /** Hub config, e.g. iwslt2017-de-en (default: the preset's, else "default"). */
  config?: string;
  /** Default validation, as the paper. */
  split?: string;
  /** Hub revision of the parquet conversion (default refs/convert/parquet). */
  revision?: string;
  /** file: one path (jsonl, csv, tsv, parquet) or two parallel plain-text files [source, reference]. */
  files?: string[];
  /** Default: from the extension (.jsonl/.json/.ndjson, .csv, .tsv, .parquet; two files: parallel). */
  format?: FileFormat;
  /** The first N examples, or N sampled with `seed`. */
  limit?: number;
  /** With `limit`: a seeded uniform sample of N rows, kept in file order. */
  seed?: number;
  /** Prepended to every source (default: `summarize: ` for summarization, none for translation). */
  prefix?: string;
  /** Field paths; dots reach into structs, e.g. translation.de (default: from task, langs, preset). */
  sourceField?: string;
  targetField?: string;
  /** For translation records {"translation": {"de": ..., "en": ...}} (default de → en). */
  sourceLang?: string;
  targetLang?: string;
}

export interface Example {
  /** Row index in the split (0-based, before limiting or sampling). */
  index: number;
  /** Source text with the prefix applied: what the encoder reads. */
  source: string;
  reference: string;
}

export interface LoadedDataset {
  /** Hub dataset id, demo name, or file path(s). */
  id: string;
  config?: string;
  split: string;
  /** Hub commit of the parquet files. */
  revision?: string;
  task: Task;
  prefix: string;
  examples: Example[];
}

/** One raw record with where it came from, for error messages ("file:17", "file row 3"). */
export interface RawRecord {
  index: number;
  where: string;
  record: Record<string, unknown>;
}
