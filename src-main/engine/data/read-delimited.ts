/** CSV/TSV with a header row (RFC 4180 quoting: "a, b", "say ""hi""", newlines inside quotes). Streamed. */
import { UserError } from '../errors';
import { checkDataFile } from './file-check';
import { selectStreamed, type Selection } from './sample';
import { textChunks } from './text-stream';
import type { RawRecord } from './types';

interface Row {
  /** 1-based line where the row starts. */
  line: number;
  fields: string[];
}

/** Splits text fed in chunks into rows of fields. */
export class DelimitedParser {
  private fields: string[] = [];
  private field = '';
  private line = 1;
  private rowLine = 1;
  private quoted = false;
  private quoteLine = 0;
  private rowHasContent = false;
  /** A last '"' or '\r' not yet consumed waits for the next chunk: it may be half of '""' or '\r\n'. */
  private held = '';

  constructor(
    private readonly delimiter: string,
    private readonly path: string,
  ) {}

  /** Appends the rows this chunk completes to `rows`. */
  push(chunk: string, rows: Row[]): void {
    const text = this.held + chunk;
    const last = text[text.length - 1];
    // scan up to the last character, which stays readable as the lookahead of the one before
    const stop = last === '"' || last === '\r' ? text.length - 1 : text.length;
    this.held = text.slice(this.scan(text, stop, rows));
  }

  /** Appends the last row (if the text did not end with a newline). */
  end(rows: Row[]): void {
    this.scan(this.held, this.held.length, rows);
    this.held = '';
    if (this.quoted) throw new UserError(`${this.path}:${this.quoteLine}: unterminated quoted field`);
    if (this.field !== '' || this.fields.length > 0) this.endRow(rows);
  }

  private endRow(rows: Row[]): void {
    this.fields.push(this.field);
    if (this.rowHasContent || this.fields.length > 1 || this.field !== '') rows.push({ line: this.rowLine, fields: this.fields });
    this.fields = [];
    this.field = '';
    this.rowHasContent = false;
  }

  /** Consumes text[0..stop) (and the character at `stop` when it completes a pair); returns where it stopped. */
  private scan(text: string, stop: number, rows: Row[]): number {
    let i = 0;
    for (; i < stop; i++) {
      const c = text[i]!;
      if (this.quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            this.field += '"';
            i++;
          } else this.quoted = false;
        } else {
          if (c === '\n') this.line++;
          this.field += c;
        }
        continue;
      }
      if (c === '"' && this.field === '') {
        this.quoted = true;
        this.quoteLine = this.line;
        this.rowHasContent = true;
      } else if (c === this.delimiter) {
        this.fields.push(this.field);
        this.field = '';
        this.rowHasContent = true;
      } else if (c === '\n' || c === '\r') {
        if (c === '\r' && text[i + 1] === '\n') i++;
        this.endRow(rows);
        this.line++;
        this.rowLine = this.line;
      } else {
        this.field += c;
      }
    }
    return i;
  }
}

async function* rowsOf(path: string, delimiter: string): AsyncGenerator<Row> {
  const parser = new DelimitedParser(delimiter, path);
  const rows: Row[] = [];
  for await (const chunk of textChunks(path)) {
    parser.push(chunk, rows);
    yield* rows.splice(0);
  }
  parser.end(rows);
  yield* rows;
}

function checkHeader(path: string, header: Row, required: string[]): string[] {
  const names = header.fields.map((h) => h.trim());
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UserError(`${path}:1: column '${dup}' appears twice in the header`);
  for (const col of required) {
    if (!names.includes(col))
      throw new UserError(`${path}:1: no column '${col}' in the header (columns: ${names.join(', ')}); name the columns to read with --source_field/--target_field`);
  }
  return names;
}

async function* records(path: string, delimiter: string, required: string[]): AsyncGenerator<RawRecord> {
  let names: string[] | undefined;
  let index = 0;
  for await (const row of rowsOf(path, delimiter)) {
    if (!names) {
      names = checkHeader(path, row, required);
      continue;
    }
    if (row.fields.length !== names.length) throw new UserError(`${path}:${row.line}: ${row.fields.length} fields, but the header has ${names.length}`);
    const record: Record<string, unknown> = {};
    names.forEach((n, k) => (record[n] = row.fields[k]));
    yield { index: index++, where: `${path}:${row.line}`, record };
  }
  if (!names) throw new UserError(`${path}: empty file`);
  if (index === 0) throw new UserError(`${path}: no records after the header`);
}

/** `required`: top-level columns the mapping reads, checked against the header (line 1). */
export function readDelimited(path: string, delimiter: ',' | '\t', required: string[], sel: Selection): Promise<RawRecord[]> {
  checkDataFile(path);
  return selectStreamed(() => records(path, delimiter, required), sel);
}
