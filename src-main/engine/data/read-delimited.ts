/** CSV/TSV with a header row (RFC 4180 quoting: "a, b", "say ""hi""", newlines inside quotes). */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors';
import { checkDataFile, stripBom } from './file-check';
import type { RawRecord } from './types';

interface Row {
  line: number;
  fields: string[];
}

/** Splits text into rows of fields; `line` is the 1-based line where each row starts. */
export function parseDelimited(text: string, delimiter: string, path: string): Row[] {
  const rows: Row[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let rowHasContent = false;
  const endRow = (): void => {
    fields.push(field);
    if (rowHasContent || fields.length > 1 || field !== '') rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    rowHasContent = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      quoteLine = line;
      rowHasContent = true;
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
      rowHasContent = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += c;
    }
  }
  if (quoted) throw new UserError(`${path}:${quoteLine}: unterminated quoted field`);
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}

/** `required`: top-level columns the mapping reads, reported against the header (line 1). */
export function readDelimited(path: string, delimiter: ',' | '\t', required: string[] = []): RawRecord[] {
  checkDataFile(path);
  const rows = parseDelimited(stripBom(readFileSync(path, 'utf8')), delimiter, path);
  const header = rows[0];
  if (!header) throw new UserError(`${path}: empty file`);
  const names = header.fields.map((h) => h.trim());
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UserError(`${path}:1: column '${dup}' appears twice in the header`);
  for (const col of required) {
    if (!names.includes(col))
      throw new UserError(`${path}:1: no column '${col}' in the header (columns: ${names.join(', ')}); name the columns to read with --source_field/--target_field`);
  }
  if (rows.length === 1) throw new UserError(`${path}: no records after the header`);
  return rows.slice(1).map((row, index) => {
    if (row.fields.length !== names.length) {
      throw new UserError(`${path}:${row.line}: ${row.fields.length} fields, but the header has ${names.length}`);
    }
    const record: Record<string, unknown> = {};
    names.forEach((n, k) => (record[n] = row.fields[k]));
    return { index, where: `${path}:${row.line}`, record };
  });
}
