import { join } from 'node:path';
import { resourcesDir } from '../paths';

/** Where a model's files come from. */
export type ModelSource =
  | { kind: 'hub'; repo: string; revision?: string }
  /** a folder on disk; `embedded` for the demo models shipped in resources/ */
  | { kind: 'local'; path: string; embedded?: boolean };

export type ModelRole = 'small' | 'small-aligned' | 'large' | 'tiny' | 'tiny-aligned' | 'custom';

export interface CatalogModel {
  /** catalog name, e.g. "iwslt2017-de-en/large" */
  name: string;
  role: ModelRole;
  source: ModelSource;
  /** e.g. "mT5-small 8+8 d512" */
  description?: string;
  userAdded?: boolean;
}

export type TaskKind = 'translation' | 'summarization';

/** How the records of a dataset map to source and reference text. */
export type TaskFields =
  | { task: 'translation'; sourceLang: string; targetLang: string }
  | { task: 'summarization'; sourceField: string; targetField: string; prefix: string };

export type CatalogDataset =
  | { kind: 'hub'; dataset: string; config: string; split: string }
  | { kind: 'local'; files: Record<string, string> };

export interface CatalogGroup {
  /** e.g. "iwslt2017-de-en" */
  name: string;
  title: string;
  fields: TaskFields;
  dataset: CatalogDataset;
  models: CatalogModel[];
}

const MT5_TR = { task: 'translation', sourceLang: 'de', targetLang: 'en' } as const;
const SUM = (sourceField: string, targetField: string): TaskFields => ({
  task: 'summarization',
  sourceField,
  targetField,
  prefix: 'summarize: ',
});

function hubTriple(group: string, small: string, large: string, smallDesc: string, largeDesc: string): CatalogModel[] {
  return [
    { name: `${group}/small`, role: 'small', source: { kind: 'hub', repo: small }, description: smallDesc },
    {
      name: `${group}/small-aligned`,
      role: 'small-aligned',
      source: { kind: 'hub', repo: `${small}-bild-aligned` },
      description: `${smallDesc}, aligned to the large model`,
    },
    { name: `${group}/large`, role: 'large', source: { kind: 'hub', repo: large }, description: largeDesc },
  ];
}

const MT5_SMALL = 'mT5-small 8+8 layers d512';
const MT5_LARGE = 'mT5-large 24+24 layers d1024';
const T5_SMALL = 'T5-small 6+6 layers d512';
const T5_LARGE = 'T5-large 24+24 layers d1024';

/** The checkpoints of the BiLD paper (../shared/BILD.md) and the embedded demo, grouped by dataset. */
export function builtinGroups(): CatalogGroup[] {
  const res = resourcesDir();
  const demo = (name: string): ModelSource => ({ kind: 'local', path: join(res, 'models', name), embedded: true });
  return [
    {
      name: 'demo',
      title: 'Embedded demo: synthetic German→English (toy-de-en), no download',
      fields: MT5_TR,
      dataset: {
        kind: 'local',
        files: {
          validation: join(res, 'datasets', 'toy-de-en.validation.jsonl'),
          test: join(res, 'datasets', 'toy-de-en.test.jsonl'),
        },
      },
      models: [
        { name: 'demo/small', role: 'small', source: demo('toy-t5-small'), description: 'toy T5 2+2 layers d128' },
        { name: 'demo/small-aligned', role: 'small-aligned', source: demo('toy-t5-small-aligned'), description: 'toy T5 2+2 layers d128, aligned' },
        { name: 'demo/large', role: 'large', source: demo('toy-t5-large'), description: 'toy T5 4+4 layers d256' },
        { name: 'demo/tiny', role: 'tiny', source: demo('toy-t5-tiny'), description: 'toy T5 2+1 layers d64 (deliberately weak)' },
        { name: 'demo/tiny-aligned', role: 'tiny-aligned', source: demo('toy-t5-tiny-aligned'), description: 'toy T5 2+1 layers d64, aligned' },
      ],
    },
    {
      name: 'iwslt2017-de-en',
      title: 'IWSLT-2017 German→English',
      fields: MT5_TR,
      dataset: { kind: 'hub', dataset: 'IWSLT/iwslt2017', config: 'iwslt2017-de-en', split: 'validation' },
      models: hubTriple('iwslt2017-de-en', 'kssteven/mT5-small-iwslt2017-de-en', 'kssteven/mT5-large-iwslt2017-de-en', MT5_SMALL, MT5_LARGE),
    },
    {
      name: 'wmt14-de-en',
      title: 'WMT-2014 German→English',
      fields: MT5_TR,
      dataset: { kind: 'hub', dataset: 'wmt/wmt14', config: 'de-en', split: 'validation' },
      models: hubTriple('wmt14-de-en', 'kssteven/mT5-small-wmt2014-de-en', 'kssteven/mT5-large-wmt2014-de-en', MT5_SMALL, MT5_LARGE),
    },
    {
      name: 'xsum',
      title: 'XSUM summarization',
      fields: SUM('document', 'summary'),
      dataset: { kind: 'hub', dataset: 'EdinburghNLP/xsum', config: 'default', split: 'validation' },
      models: hubTriple('xsum', 'kssteven/T5-small-xsum', 'kssteven/T5-large-xsum', T5_SMALL, T5_LARGE),
    },
    {
      name: 'cnndm',
      title: 'CNN/DailyMail summarization',
      fields: SUM('article', 'highlights'),
      dataset: { kind: 'hub', dataset: 'abisee/cnn_dailymail', config: '3.0.0', split: 'validation' },
      models: hubTriple('cnndm', 'kssteven/T5-small-cnndm', 'kssteven/T5-large-cnndm', T5_SMALL, T5_LARGE),
    },
  ];
}

export function builtinModels(): CatalogModel[] {
  return builtinGroups().flatMap((g) => g.models);
}
