/** JSON Lines: one object per line (the demo's and HF's `to_json` format). Streamed. */
import { UserError } from '../errors';
import { checkDataFile } from './file-check';
import { selectStreamed, type Selection } from './sample';
import { textLines } from './text-stream';
import type { RawRecord } from './types';

/** Records in order; blank lines are skipped. */
async function* records(path: string): AsyncGenerator<RawRecord> {
  let lineNo = 0;
  let index = 0;
  for await (const line of textLines(path)) {
    lineNo++;
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
    yield { index: index++, where: `${path}:${lineNo}`, record: value as Record<string, unknown> };
  }
  if (index === 0) throw new UserError(`${path}: no records (only blank lines)`);
}

/** The selected records (a limit stops reading there: the rest of the file is not parsed). */
export function readJsonl(path: string, sel: Selection): Promise<RawRecord[]> {
  checkDataFile(path);
  return selectStreamed(() => records(path), sel);
}
