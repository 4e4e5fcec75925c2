import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type ParquetFetcher } from '../../src-main/engine/data/load-dataset';
import { readParquet } from '../../src-main/engine/data/read-parquet';

const dir = mkdtempSync(join(tmpdir(), 'bild-parquet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const str = (name: string) => ({ name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const });

/** An iwslt2017-like split: translation {de, en} struct, in row groups of 7 rows. */
function writeTranslation(path: string, from: number, n: number): void {
  const rows = Array.from({ length: n }, (_, k) => ({ de: `Satz ${from + k}`, en: `sentence ${from + k}` }));
  parquetWriteFile({
    filename: path,
    columnData: [
      { name: 'id', data: rows.map((_, k) => String(from + k)) },
      { name: 'translation', data: rows },
    ],
    schema: [
      { name: 'root', num_children: 2 },
      str('id'),
      { name: 'translation', repetition_type: 'OPTIONAL', num_children: 2 },
      str('de'),
      str('en'),
    ],
    rowGroupSize: 7,
  });
}

const files = [join(dir, '0000.parquet'), join(dir, '0001.parquet')];
let xsum: string;

beforeAll(() => {
  writeTranslation(files[0]!, 0, 30);
  writeTranslation(files[1]!, 30, 25);
  xsum = join(dir, 'xsum.parquet');
  parquetWriteFile({
    filename: xsum,
    columnData: [
      { name: 'document', data: ['Doc one.', 'Doc two.', 'Doc three.'], type: 'STRING' },
      { name: 'summary', data: ['One.', 'Two.', null], type: 'STRING' },
      { name: 'id', data: ['a', 'b', 'c'], type: 'STRING' },
    ],
  });
});

describe('parquet', () => {
  it('reads nested translation structs across files and row groups', async () => {
    const recs = await readParquet(files, ['translation.de', 'translation.en'], { kind: 'all' });
    expect(recs).toHaveLength(55);
    expect(recs[0]!.record).toEqual({ translation: { de: 'Satz 0', en: 'sentence 0' } }); // only the needed column
    expect(recs[54]).toEqual({ index: 54, where: `${files[1]} row 24`, record: { translation: { de: 'Satz 54', en: 'sentence 54' } } });
    expect(recs.map((r) => r.index)).toEqual(Array.from({ length: 55 }, (_, i) => i));
  });

  it('reads the first N rows, and a seeded sample equal to the same rows of a full read', async () => {
    const first = await readParquet(files, ['translation.de', 'translation.en'], { kind: 'first', n: 33 });
    expect(first.map((r) => r.index)).toEqual(Array.from({ length: 33 }, (_, i) => i));
    const all = await readParquet(files, ['translation.de', 'translation.en'], { kind: 'all' });
    const s1 = await readParquet(files, ['translation.de', 'translation.en'], { kind: 'sample', n: 10, seed: 7 });
    const s2 = await readParquet(files, ['translation.de', 'translation.en'], { kind: 'sample', n: 10, seed: 7 });
    expect(s1).toEqual(s2);
    expect(s1).toHaveLength(10);
    for (const r of s1) expect(r.record).toEqual(all[r.index]!.record);
  });

  it('loads a Hub dataset through the fetcher with the preset layout', async () => {
    const calls: unknown[] = [];
    const fetchParquet: ParquetFetcher = async (req) => {
      calls.push(req);
      return { files, commit: 'c'.repeat(40) };
    };
    const ds = await loadDataset({ source: 'hub', dataset: 'iwslt2017-de-en', limit: 3 }, { fetchParquet });
    expect(calls).toEqual([{ dataset: 'IWSLT/iwslt2017', config: 'iwslt2017-de-en', split: 'validation' }]);
    expect(ds).toEqual({
      id: 'IWSLT/iwslt2017',
      config: 'iwslt2017-de-en',
      split: 'validation',
      revision: 'c'.repeat(40),
      task: 'translation',
      prefix: '',
      examples: [0, 1, 2].map((i) => ({ index: i, source: `Satz ${i}`, reference: `sentence ${i}` })),
    });
    const byId = await loadDataset({ source: 'hub', dataset: 'IWSLT/iwslt2017', split: 'test', seed: 3, limit: 4 }, { fetchParquet });
    expect(calls[1]).toEqual({ dataset: 'IWSLT/iwslt2017', config: 'iwslt2017-de-en', split: 'test' });
    expect(byId.examples).toHaveLength(4);
  });

  it('applies the summarization preset (xsum: document → summary, summarize: prefix)', async () => {
    const fetchParquet: ParquetFetcher = async () => ({ files: [xsum], commit: 'd'.repeat(40) });
    const ds = await loadDataset({ source: 'hub', dataset: 'xsum', limit: 2 }, { fetchParquet });
    expect(ds.task).toBe('summarization');
    expect(ds.config).toBe('default');
    expect(ds.examples).toEqual([
      { index: 0, source: 'summarize: Doc one.', reference: 'One.' },
      { index: 1, source: 'summarize: Doc two.', reference: 'Two.' },
    ]);
    await expect(loadDataset({ source: 'hub', dataset: 'xsum' }, { fetchParquet })).rejects.toThrow(
      `${xsum} row 2: field 'summary' is null, not text`,
    );
  });

  it('names the file and the missing column or struct field', async () => {
    await expect(loadDataset({ source: 'file', files: [xsum], task: 'summarization', sourceField: 'article' })).rejects.toThrow(
      `${xsum}: no column 'article' (columns: document, summary, id)`,
    );
    await expect(loadDataset({ source: 'file', files: [files[0]!], targetLang: 'fr' })).rejects.toThrow(
      `${files[0]}: no column 'translation.fr' (columns: id, translation {de, en})`,
    );
    const junk = join(dir, 'junk.parquet');
    writeFileSync(junk, 'not parquet at all');
    await expect(loadDataset({ source: 'file', files: [junk] })).rejects.toThrow(`${junk}: not a readable parquet file (`);
  });
});
