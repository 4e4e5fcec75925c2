/** Two plain-text files with one sentence per line: sources and references, line by line. Streamed. */
import { UserError } from '../errors';
import { checkDataFile } from './file-check';
import { selectStreamed, type Selection } from './sample';
import { textLines } from './text-stream';
import type { RawRecord } from './types';

async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const _ of textLines(path)) n++;
  return n;
}

async function* pairs(srcPath: string, refPath: string): AsyncGenerator<RawRecord> {
  const refs = textLines(refPath);
  try {
    let i = 0;
    for await (const source of textLines(srcPath)) {
      const target = await refs.next();
      if (target.done) return; // counted equal beforehand
      yield { index: i, where: `${srcPath}:${i + 1}`, record: { source, target: target.value } };
      i++;
    }
  } finally {
    await refs.return(undefined);
  }
}

/** Records with fields `source` and `target`; the files must have as many lines (both are counted first). */
export async function readParallel(srcPath: string, refPath: string, sel: Selection): Promise<RawRecord[]> {
  checkDataFile(srcPath);
  checkDataFile(refPath);
  const [src, ref] = await Promise.all([countLines(srcPath), countLines(refPath)]);
  if (src !== ref) throw new UserError(`${srcPath} has ${src} lines but ${refPath} has ${ref}; parallel files must match line by line`);
  return selectStreamed(() => pairs(srcPath, refPath), sel);
}
