import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS } from './paths';

/** The demo test split's German sources and English references, in file order. */
export function demoTestSentences(n?: number): { de: string; en: string }[] {
  const lines = readFileSync(join(DATASETS, 'toy-de-en.test.jsonl'), 'utf8').trim().split('\n');
  return lines.slice(0, n).map((l) => (JSON.parse(l) as { translation: { de: string; en: string } }).translation);
}
