/**
 * Parquet files (the Hub's dataset conversion, or local) read with hyparquet: only the columns a
 * mapping needs, one row group at a time, and only the row groups that hold selected rows, so a
 * sample of 500 rows from a multi-gigabyte split reads a few row groups, not the whole file.
 */
import {
  asyncBufferFromFile,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
  type AsyncBuffer,
  type FileMetaData,
  type SchemaTree,
} from 'hyparquet';
import { UserError } from '../errors';
import { checkDataFile } from './file-check';
import { sampleIndices, type Selection } from './sample';
import type { RawRecord } from './types';

interface OpenFile {
  path: string;
  file: AsyncBuffer;
  metadata: FileMetaData;
  /** Global index of this file's first row. */
  offset: number;
  rows: number;
}

async function openAll(paths: string[]): Promise<OpenFile[]> {
  const out: OpenFile[] = [];
  let offset = 0;
  for (const path of paths) {
    checkDataFile(path);
    let file: AsyncBuffer;
    let metadata: FileMetaData;
    try {
      file = await asyncBufferFromFile(path);
      metadata = await parquetMetadataAsync(file);
    } catch (e) {
      throw new UserError(`${path}: not a readable parquet file (${(e as Error).message})`);
    }
    const rows = Number(metadata.num_rows);
    out.push({ path, file, metadata, offset, rows });
    offset += rows;
  }
  return out;
}

function describeTree(t: SchemaTree): string {
  return t.children.length ? `${t.element.name} {${t.children.map((c) => c.element.name).join(', ')}}` : t.element.name;
}

/** Checks that every dotted field path exists in the schema (struct children included). */
function checkFields(f: OpenFile, fields: string[]): void {
  const root = parquetSchema(f.metadata);
  for (const field of fields) {
    let node = root;
    for (const part of field.split('.')) {
      const child = node.children.find((c) => c.element.name === part);
      if (!child) {
        const cols = root.children.map(describeTree).join(', ');
        throw new UserError(`${f.path}: no column '${field}' (columns: ${cols}); name the fields to read with --source_field/--target_field`);
      }
      node = child;
    }
  }
}

/** File-local [start, end) row ranges of each row group. */
function* rowGroupRanges(f: OpenFile): Generator<[number, number]> {
  let start = 0;
  for (const rg of f.metadata.row_groups) {
    const n = Number(rg.num_rows);
    yield [start, start + n];
    start += n;
  }
}

/**
 * Reads the selected rows of `paths` (one split, in order) with only the columns that `fields`
 * (dotted paths) need. Nested structs such as `translation {de, en}` come back as objects.
 */
export async function readParquet(paths: string[], fields: string[], sel: Selection): Promise<RawRecord[]> {
  if (paths.length === 0) throw new UserError('no parquet files to read');
  const files = await openAll(paths);
  for (const f of files) checkFields(f, fields);
  const columns = [...new Set(fields.map((p) => p.split('.')[0]!))];
  const total = files.reduce((n, f) => n + f.rows, 0);
  if (total === 0) throw new UserError(`${paths.join(', ')}: no rows`);

  // Wanted global indices (undefined = every row up to `stop`).
  const stop = sel.kind === 'first' ? Math.min(sel.n, total) : total;
  const wanted = sel.kind === 'sample' ? sampleIndices(total, sel.n, sel.seed) : undefined;
  const wantedSet = wanted ? new Set(wanted) : undefined;

  const out: RawRecord[] = [];
  for (const f of files) {
    if (f.offset >= stop) break;
    for (const [start, end] of rowGroupRanges(f)) {
      const gStart = f.offset + start;
      const gEnd = Math.min(f.offset + end, stop);
      if (gStart >= gEnd) break;
      if (wanted && !wanted.some((i) => i >= gStart && i < gEnd)) continue;
      const rows = await parquetReadObjects({
        file: f.file,
        metadata: f.metadata,
        columns,
        rowStart: start,
        rowEnd: gEnd - f.offset,
      }).catch((err: unknown) => {
        throw new UserError(`${f.path} rows ${start}-${gEnd - f.offset}: cannot read (${(err as Error).message}); is the file damaged?`);
      });
      rows.forEach((row, k) => {
        const index = gStart + k;
        if (wantedSet && !wantedSet.has(index)) return;
        out.push({ index, where: `${f.path} row ${index - f.offset}`, record: row as Record<string, unknown> });
      });
    }
  }
  return out;
}
