/** Maps raw records to (source, reference) through dotted field paths, with precise errors. */
import { UserError } from '../errors';
import type { RawRecord } from './types';

export interface FieldMapping {
  sourceField: string;
  targetField: string;
  prefix: string;
}

/** The value at a dotted path (translation.de), or undefined when a step is missing. */
export function getPath(record: Record<string, unknown>, path: string): unknown {
  let cur: unknown = record;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function text(rec: RawRecord, path: string): string {
  const v = getPath(rec.record, path);
  if (typeof v === 'string') return v;
  if (v === undefined) {
    const keys = Object.keys(rec.record);
    throw new UserError(`${rec.where}: missing field '${path}' (the record has: ${keys.join(', ') || 'no fields'})`);
  }
  throw new UserError(`${rec.where}: field '${path}' is ${describe(v)}, not text`);
}

export function toExample(rec: RawRecord, m: FieldMapping): { index: number; source: string; reference: string } {
  return { index: rec.index, source: m.prefix + text(rec, m.sourceField), reference: text(rec, m.targetField) };
}

/** Top-level column names a mapping reads (for parquet column projection and header checks). */
export function topLevelColumns(m: FieldMapping): string[] {
  return [...new Set([m.sourceField, m.targetField].map((f) => f.split('.')[0]!))];
}
