import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src-main/engine/data/load-dataset';
import { DelimitedParser } from '../../src-main/engine/data/read-delimited';
import { textLines } from '../../src-main/engine/data/text-stream';
import { UserError } from '../../src-main/engine/errors';

const dir = mkdtempSync(join(tmpdir(), 'bild-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const tr = (de: string, en: string): string => JSON.stringify({ translation: { de, en } });

describe('JSONL', () => {
  it('reads translation structs, skips blank lines, strips a BOM', async () => {
    const p = file('a.jsonl', '\ufeff' + tr('Hallo', 'Hello') + '\n\n' + tr('Welt', 'World') + '\n');
    const ds = await loadDataset({ source: 'file', files: [p] });
    expect(ds).toEqual({
      id: p,
      split: 'validation',
      task: 'translation',
      prefix: '',
      examples: [
        { index: 0, source: 'Hallo', reference: 'Hello' },
        { index: 1, source: 'Welt', reference: 'World' },
      ],
    });
  });

  it('maps languages and fields, adds the summarization prefix', async () => {
    const p = file('b.jsonl', tr('Hallo', 'Hello') + '\n');
    const rev = await loadDataset({ source: 'file', files: [p], sourceLang: 'en', targetLang: 'de' });
    expect(rev.examples[0]).toEqual({ index: 0, source: 'Hello', reference: 'Hallo' });
    const s = file('s.jsonl', JSON.stringify({ document: 'Long text.', summary: 'Short.' }) + '\n');
    const sum = await loadDataset({ source: 'file', files: [s], task: 'summarization' });
    expect(sum.examples[0]).toEqual({ index: 0, source: 'summarize: Long text.', reference: 'Short.' });
    const c = file('c.jsonl', JSON.stringify({ art: 'A', hi: 'B' }) + '\n');
    const custom = await loadDataset({ source: 'file', files: [c], task: 'summarization', sourceField: 'art', targetField: 'hi', prefix: '' });
    expect(custom.examples[0]).toEqual({ index: 0, source: 'A', reference: 'B' });
  });

  it('closes the file after stopping early at a limit', async () => {
    const p = file('many.jsonl', Array.from({ length: 2000 }, (_, i) => tr(`Satz ${i}`, `sentence ${i}`)).join('\n') + '\n');
    const open = (): number => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 10; i++) expect((await loadDataset({ source: 'file', files: [p], limit: 2 })).examples).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 50)); // a destroyed stream closes its descriptor on the next turns
    expect(open()).toBe(before);
  });

  it('names file and line of invalid JSON (line 17)', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => tr(`de ${i}`, `en ${i}`));
    lines[16] = '{"translation": {"de": "kaputt", "en": }';
    const p = file('bad.jsonl', lines.join('\n'));
    await expect(loadDataset({ source: 'file', files: [p] })).rejects.toThrow(UserError);
    await expect(loadDataset({ source: 'file', files: [p] })).rejects.toThrow(
      new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:17: invalid JSON \\(`),
    );
    // the first 16 records are still readable with a limit
    expect((await loadDataset({ source: 'file', files: [p], limit: 16 })).examples).toHaveLength(16);
  });

  it('names file, line and field of a wrong record', async () => {
    const p = file('wrong.jsonl', tr('a', 'b') + '\n' + JSON.stringify({ translation: { de: 'x', fr: 'y' } }) + '\n');
    await expect(loadDataset({ source: 'file', files: [p] })).rejects.toThrow(
      `${p}:2: missing field 'translation.en' (the record has: translation)`,
    );
    const q = file('null.jsonl', JSON.stringify({ translation: { de: 'x', en: null } }) + '\n');
    await expect(loadDataset({ source: 'file', files: [q] })).rejects.toThrow(`${q}:1: field 'translation.en' is null, not text`);
    const r = file('list.jsonl', '[1, 2]\n');
    await expect(loadDataset({ source: 'file', files: [r] })).rejects.toThrow(`${r}:1: expected a JSON object, found a list`);
  });

  it('rejects empty, blank and missing files', async () => {
    const e = file('empty.jsonl', '');
    await expect(loadDataset({ source: 'file', files: [e] })).rejects.toThrow(`${e}: empty file`);
    const b = file('blank.jsonl', '\n  \n');
    await expect(loadDataset({ source: 'file', files: [b] })).rejects.toThrow(`${b}: no records (only blank lines)`);
    const m = join(dir, 'missing.jsonl');
    await expect(loadDataset({ source: 'file', files: [m] })).rejects.toThrow(`${m}: file not found`);
    await expect(loadDataset({ source: 'file', files: [dir + '/x.txt'] })).rejects.toThrow(
      `${dir}/x.txt: unknown file type '.txt' (use .jsonl, .csv, .tsv, .parquet, or two parallel text files)`,
    );
  });
});

describe('CSV and TSV', () => {
  it('parses quotes, doubled quotes, embedded newlines and CRLF', async () => {
    const p = file('a.csv', 'document,summary\r\n"Hello, ""world""\nsecond line",short\r\nplain,"x"\r\n');
    const ds = await loadDataset({ source: 'file', files: [p], task: 'summarization', prefix: '' });
    expect(ds.examples).toEqual([
      { index: 0, source: 'Hello, "world"\nsecond line', reference: 'short' },
      { index: 1, source: 'plain', reference: 'x' },
    ]);
  });

  it('parses the same rows whatever the chunks the file arrives in', () => {
    const text = 'a,b\r\n"x ""q"" y",1\r\n"multi\r\nline",2\n"",3\r\nlast,"4"""';
    const parse = (size: number) => {
      const p = new DelimitedParser(',', 'f.csv');
      const rows: { line: number; fields: string[] }[] = [];
      for (let i = 0; i < text.length; i += size) p.push(text.slice(i, i + size), rows);
      p.end(rows);
      return rows;
    };
    const whole = parse(text.length);
    expect(whole.map((r) => r.fields)).toEqual([['a', 'b'], ['x "q" y', '1'], ['multi\r\nline', '2'], ['', '3'], ['last', '4"']]);
    expect(whole.map((r) => r.line)).toEqual([1, 2, 3, 5, 6]);
    for (let size = 1; size < 8; size++) expect(parse(size), `chunks of ${size}`).toEqual(whole);
  });

  it('streams a large file: a limit reads the start, a seeded sample two passes', async () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => `"Satz ${i}, ""zitiert""",sentence ${i}`);
    const p = file('big.csv', ['document,summary', ...rows].join('\r\n') + '\r\n'); // ~2.5 MB: several chunks
    const first = await loadDataset({ source: 'file', files: [p], task: 'summarization', prefix: '', limit: 3 });
    expect(first.examples.map((e) => e.source)).toEqual(['Satz 0, "zitiert"', 'Satz 1, "zitiert"', 'Satz 2, "zitiert"']);
    const all = await loadDataset({ source: 'file', files: [p], task: 'summarization', prefix: '' });
    expect(all.examples).toHaveLength(60_000);
    expect(all.examples.every((e, i) => e.source === `Satz ${i}, "zitiert"` && e.reference === `sentence ${i}`)).toBe(true);
    const sample = await loadDataset({ source: 'file', files: [p], task: 'summarization', prefix: '', limit: 5, seed: 7 });
    expect(sample.examples.map((e) => e.index)).toEqual([...sample.examples.map((e) => e.index)].sort((a, b) => a - b));
    for (const e of sample.examples) expect(e.source).toBe(`Satz ${e.index}, "zitiert"`);
    const again = await loadDataset({ source: 'file', files: [p], task: 'summarization', prefix: '', limit: 5, seed: 7 });
    expect(again.examples).toEqual(sample.examples);
  });

  it('reads TSV with custom field names', async () => {
    const p = file('a.tsv', 'src\ttgt\nein Haus\ta house\nzwei\ttwo\n');
    const ds = await loadDataset({ source: 'file', files: [p], sourceField: 'src', targetField: 'tgt' });
    expect(ds.examples.map((e) => [e.source, e.reference])).toEqual([
      ['ein Haus', 'a house'],
      ['zwei', 'two'],
    ]);
  });

  it('reads translation columns named after the languages, or named explicitly', async () => {
    const p = file('pairs.tsv', 'de\ten\tfr\nein Haus\ta house\tune maison\n');
    expect((await loadDataset({ source: 'file', files: [p] })).examples).toEqual([{ index: 0, source: 'ein Haus', reference: 'a house' }]);
    const fr = await loadDataset({ source: 'file', files: [p], sourceLang: 'de', targetLang: 'fr' });
    expect(fr.examples[0]!.reference).toBe('une maison');
    const named = await loadDataset({ source: 'file', files: [p], sourceField: 'en', targetField: 'de' });
    expect([named.examples[0]!.source, named.examples[0]!.reference]).toEqual(['a house', 'ein Haus']);
    const c = file('pairs.csv', 'src,ref\nzwei,two\n');
    await expect(loadDataset({ source: 'file', files: [c] })).rejects.toThrow(
      `${c}:1: no column 'de' in the header (columns: src, ref); name the columns to read with --source_field/--target_field`,
    );
  });

  it('reports wrong columns, ragged rows and unterminated quotes with file and line', async () => {
    const p = file('cols.csv', 'text,label\na,b\n');
    await expect(loadDataset({ source: 'file', files: [p], task: 'summarization' })).rejects.toThrow(
      `${p}:1: no column 'document' in the header (columns: text, label)`,
    );
    const r = file('ragged.tsv', 'src\ttgt\na\tb\nc\td\te\n');
    await expect(loadDataset({ source: 'file', files: [r], sourceField: 'src', targetField: 'tgt' })).rejects.toThrow(
      `${r}:3: 3 fields, but the header has 2`,
    );
    const q = file('quote.csv', 'document,summary\na,b\n"open,c\n');
    await expect(loadDataset({ source: 'file', files: [q], task: 'summarization' })).rejects.toThrow(
      `${q}:3: unterminated quoted field`,
    );
    const h = file('header.csv', 'document,summary\n');
    await expect(loadDataset({ source: 'file', files: [h], task: 'summarization' })).rejects.toThrow(
      `${h}: no records after the header`,
    );
  });
});

describe('text lines', () => {
  const lines = async (p: string, maxChars?: number): Promise<string[]> => {
    const out: string[] = [];
    for await (const l of textLines(p, maxChars)) out.push(l);
    return out;
  };

  it('joins lines across the 1 MiB read chunks, CRLF split between chunks included', async () => {
    const long = 'x'.repeat((1 << 20) - 3); // "…x\r" ends the first chunk, "\n" starts the second
    const p = file('chunks.txt', `ab\n${long}\r\n${'y'.repeat(3 << 20)}\n\nlast`);
    const got = await lines(p);
    expect(got.map((l) => l.length)).toEqual([2, long.length, 3 << 20, 0, 4]);
    expect(got[1]).toBe(long);
  });

  it('refuses a line longer than the bound, naming the file and line, before joining it', async () => {
    const p = file('no-breaks.jsonl', `${tr('a', 'b')}\n${'z'.repeat(3 << 20)}\n`);
    await expect(lines(p, 2 << 20)).rejects.toThrow(`${p}: line 2 is longer than 2,097,152 characters`);
    await expect(lines(p, 3 << 20)).resolves.toHaveLength(2);
  });
});

describe('parallel text files', () => {
  it('pairs lines', async () => {
    const s = file('p.de', 'eins\nzwei\n');
    const r = file('p.en', 'one\r\ntwo');
    const ds = await loadDataset({ source: 'file', files: [s, r] });
    expect(ds.id).toBe(`${s} + ${r}`);
    expect(ds.examples).toEqual([
      { index: 0, source: 'eins', reference: 'one' },
      { index: 1, source: 'zwei', reference: 'two' },
    ]);
  });

  it('keeps a lone carriage return inside its line', async () => {
    const src = file('cr.de', 'eins\rzwei\r\ndrei\n');
    const ref = file('cr.en', 'one two\nthree\n');
    const ds = await loadDataset({ source: 'file', files: [src, ref] });
    expect(ds.examples.map((e) => [e.source, e.reference])).toEqual([
      ['eins\rzwei', 'one two'],
      ['drei', 'three'],
    ]);
  });

  it('rejects different line counts and empty files', async () => {
    const s = file('q.de', 'eins\nzwei\ndrei\n');
    const r = file('q.en', 'one\ntwo\n');
    await expect(loadDataset({ source: 'file', files: [s, r] })).rejects.toThrow(
      `${s} has 3 lines but ${r} has 2; parallel files must match line by line`,
    );
    const e = file('e.en', '');
    await expect(loadDataset({ source: 'file', files: [s, e] })).rejects.toThrow(`${e}: empty file`);
  });
});

describe('demo dataset and selection', () => {
  it('loads the embedded validation split by default', async () => {
    const ds = await loadDataset({ source: 'demo' });
    expect(ds.id).toBe('toy-de-en');
    expect(ds.split).toBe('validation');
    expect(ds.examples).toHaveLength(1000);
    expect(ds.examples[0]).toEqual({
      index: 0,
      source: 'Die schöne Schule wird selten den Baum nicht besuchen.',
      reference: 'The beautiful school will rarely not visit the tree.',
    });
    const test = await loadDataset({ source: 'demo', split: 'test', limit: 5 });
    expect(test.examples.map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
    await expect(loadDataset({ source: 'demo', split: 'train' })).rejects.toThrow(
      /^demo dataset toy-de-en has no split 'train' \(available: (test, validation|validation, test)\)$/,
    );
  });

  it('samples deterministically by seed, in row order', async () => {
    const a = await loadDataset({ source: 'demo', limit: 20, seed: 42 });
    const b = await loadDataset({ source: 'demo', limit: 20, seed: 42 });
    const c = await loadDataset({ source: 'demo', limit: 20, seed: 43 });
    expect(a.examples).toEqual(b.examples);
    expect(a.examples.map((e) => e.index)).not.toEqual(c.examples.map((e) => e.index));
    const idx = a.examples.map((e) => e.index);
    expect(new Set(idx).size).toBe(20);
    expect([...idx].sort((x, y) => x - y)).toEqual(idx);
    const all = await loadDataset({ source: 'demo' });
    for (const e of a.examples) expect(all.examples[e.index]).toEqual(e);
  });

  it('validates limit and seed', async () => {
    await expect(loadDataset({ source: 'demo', limit: 0 })).rejects.toThrow('limit must be a positive integer (got 0)');
    await expect(loadDataset({ source: 'demo', limit: 3, seed: 1.5 })).rejects.toThrow('seed must be an integer (got 1.5)');
    await expect(loadDataset({ source: 'demo', seed: 4 })).rejects.toThrow('seed samples `limit` examples: give a limit too (--limit)');
  });
});
