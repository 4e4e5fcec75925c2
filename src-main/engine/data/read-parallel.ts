/** Two plain-text files with one sentence per line: sources and references, line by line. */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors';
import { checkDataFile, stripBom } from './file-check';
import type { RawRecord } from './types';

function lines(path: string): string[] {
  checkDataFile(path);
  const all = stripBom(readFileSync(path, 'utf8')).split(/\r?\n/);
  if (all.length > 1 && all[all.length - 1] === '') all.pop(); // the final newline ends a line
  return all;
}

/** Records with fields `source` and `target`. */
export function readParallel(srcPath: string, refPath: string): RawRecord[] {
  const src = lines(srcPath);
  const ref = lines(refPath);
  if (src.length !== ref.length) {
    throw new UserError(`${srcPath} has ${src.length} lines but ${refPath} has ${ref.length}; parallel files must match line by line`);
  }
  return src.map((s, i) => ({ index: i, where: `${srcPath}:${i + 1}`, record: { source: s, target: ref[i]! } }));
}
