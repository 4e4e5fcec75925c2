/**
 * The datasets of the BiLD paper (../shared/BILD.md) and the embedded demo, with their record
 * layouts: one table so the CLI, the UI and the loader agree on fields and prefixes.
 */
import type { Task } from './types';

export interface DatasetPreset {
  /** Short name accepted wherever a dataset is named. */
  name: string;
  title: string;
  source: 'hub' | 'demo';
  /** Hub dataset id (demo: its file stem under resources/datasets). */
  dataset: string;
  config?: string;
  task: Task;
  sourceField: string;
  targetField: string;
  prefix: string;
  splits?: string[];
}

export const DATASET_PRESETS: readonly DatasetPreset[] = [
  {
    name: 'iwslt2017-de-en',
    title: 'IWSLT 2017 German → English',
    source: 'hub',
    dataset: 'IWSLT/iwslt2017',
    config: 'iwslt2017-de-en',
    task: 'translation',
    sourceField: 'translation.de',
    targetField: 'translation.en',
    prefix: '',
  },
  {
    name: 'wmt14-de-en',
    title: 'WMT 2014 German → English',
    source: 'hub',
    dataset: 'wmt/wmt14',
    config: 'de-en',
    task: 'translation',
    sourceField: 'translation.de',
    targetField: 'translation.en',
    prefix: '',
  },
  {
    name: 'xsum',
    title: 'XSum (extreme summarization)',
    source: 'hub',
    dataset: 'EdinburghNLP/xsum',
    config: 'default',
    task: 'summarization',
    sourceField: 'document',
    targetField: 'summary',
    prefix: 'summarize: ',
  },
  {
    name: 'cnn_dailymail',
    title: 'CNN / DailyMail 3.0.0',
    source: 'hub',
    dataset: 'abisee/cnn_dailymail',
    config: '3.0.0',
    task: 'summarization',
    sourceField: 'article',
    targetField: 'highlights',
    prefix: 'summarize: ',
  },
  {
    name: 'toy-de-en',
    title: 'Synthetic German → English (embedded demo)',
    source: 'demo',
    dataset: 'toy-de-en',
    task: 'translation',
    sourceField: 'translation.de',
    targetField: 'translation.en',
    prefix: '',
    splits: ['validation', 'test'],
  },
];

/** A preset by short name or by Hub id (with an optional config that must match). */
export function findPreset(nameOrId: string, config?: string): DatasetPreset | undefined {
  const lower = nameOrId.toLowerCase();
  return DATASET_PRESETS.find(
    (p) => p.name === lower || (p.dataset.toLowerCase() === lower && (config === undefined || p.config === config)),
  );
}
