/** Turns a front end's dataset reference (`demo`, a preset, a Hub id, a file) into the data module's spec. */
import { existsSync, statSync } from 'node:fs';
import type { DatasetRef, Task } from '../api/types';
import { DATASET_PRESETS, findPreset, type DatasetSpec } from '../data';
import { UserError } from '../errors';

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/** Data-file extensions: a name ending in one is meant as a file, never a Hub id. */
const DATA_FILE_EXT = /\.(jsonl|json|ndjson|csv|tsv|parquet|txt)$/i;

/** A name meant as a local path: more than one `owner/name` step, a leading `.`, `~` or `/`, a backslash, or a data-file extension. */
function looksLikePath(name: string): boolean {
  return /^[.~/]/.test(name) || name.includes('\\') || name.split('/').length > 2 || DATA_FILE_EXT.test(name);
}

/** A preset or `owner/name` that no local path claims: only these may go to the Hub. */
function hubNamed(name: string, preset: unknown): boolean {
  return Boolean(preset) || (HUB_ID.test(name) && !looksLikePath(name));
}

function isFile(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** Cheap checks only (no network, no reading): an unknown name fails here, before any model loads. */
export function datasetSpecOf(ref: DatasetRef): DatasetSpec {
  const common = {
    task: ref.task,
    split: ref.split,
    limit: ref.limit,
    seed: ref.seed,
    prefix: ref.prefix,
    sourceLang: ref.sourceLang,
    targetLang: ref.targetLang,
    sourceField: ref.sourceField,
    targetField: ref.targetField,
  };
  const files = ref.files ?? (ref.name.includes(',') ? ref.name.split(',') : undefined);
  if (files) {
    for (const f of files) if (!isFile(f)) throw new UserError(`dataset file '${f}' does not exist`);
    return { source: 'file', files, ...common };
  }
  const name = ref.name.trim();
  if (name === 'demo') return { source: 'demo', dataset: 'toy-de-en', ...common };
  const preset = findPreset(name, ref.config);
  if (preset?.source === 'demo') return { source: 'demo', dataset: preset.dataset, ...common };
  if (isFile(name)) return { source: 'file', files: [name], ...common };
  if (existsSync(name)) throw new UserError(`--dataset_name: '${name}' is a folder; give a data file (jsonl, csv, tsv, parquet)`);
  if (!preset && looksLikePath(name)) throw new UserError(`file not found: ${name}`);
  if (hubNamed(name, preset))
    return { source: 'hub', dataset: name, config: ref.config, revision: ref.revision, ...common };
  throw new UserError(
    `unknown dataset '${name}': use demo, a preset (${DATASET_PRESETS.map((p) => p.name).join(', ')}), a Hub dataset id (org/name) or an existing file`,
  );
}

/**
 * The local paths a reference names, as datasetSpecOf reads them, without looking at any: both
 * files of parallel text, or a name that is no demo dataset, preset or Hub id (or is one, but a
 * file or folder of that name is here). A front end that confines its callers to some folders
 * checks these before the engine touches them.
 */
export function datasetPaths(ref: DatasetRef): string[] {
  const files = ref.files ?? (ref.name.includes(',') ? ref.name.split(',') : undefined);
  if (files) return files;
  const name = ref.name.trim();
  const preset = name === 'demo' ? undefined : findPreset(name, ref.config);
  if (name === 'demo' || preset?.source === 'demo') return [];
  if (hubNamed(name, preset) && !existsSync(name)) return [];
  return [name];
}

/** The task before the data is read: explicit, else the preset's, else translation. */
export function taskOf(ref: DatasetRef): Task {
  if (ref.task) return ref.task;
  return (ref.name === 'demo' ? undefined : findPreset(ref.name.trim(), ref.config))?.task ?? 'translation';
}
