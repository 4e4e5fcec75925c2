/** JSON Lines: one object per line (the demo's and HF's `to_json` format). Streams the file. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { UserError } from '../errors';
import { checkDataFile, stripBom } from './file-check';
import type { RawRecord } from './types';

/** Reads records in order; stops after `max` records (the rest of the file is not parsed). */
export async function readJsonl(path: string, max = Infinity): Promise<RawRecord[]> {
  checkDataFile(path);
  const out: RawRecord[] = [];
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const raw of lines) {
      lineNo++;
      if (out.length >= max) break;
      const line = lineNo === 1 ? stripBom(raw) : raw;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        throw new UserError(`${path}:${lineNo}: invalid JSON (${(e as Error).message})`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new UserError(`${path}:${lineNo}: expected a JSON object, found ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
      }
      out.push({ index: out.length, where: `${path}:${lineNo}`, record: value as Record<string, unknown> });
    }
  } finally {
    lines.close();
    input.destroy(); // closing readline leaves its input open: after an early stop the file stayed open
  }
  if (out.length === 0) throw new UserError(`${path}: no records (only blank lines)`);
  return out;
}
