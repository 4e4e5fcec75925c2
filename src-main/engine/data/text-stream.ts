/** Streamed text of a data file: chunks or lines, a leading BOM dropped; the file is closed however the reader stops. */
import { createReadStream } from 'node:fs';
import { stripBom } from './file-check';

export async function* textChunks(path: string): AsyncGenerator<string> {
  const input = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  try {
    let first = true;
    for await (const chunk of input as AsyncIterable<string>) {
      yield first ? stripBom(chunk) : chunk;
      first = false;
    }
  } finally {
    input.destroy();
  }
}

/**
 * Lines ending in \n or \r\n (a lone \r stays in its line, as a sentence may hold one); a final
 * newline ends the last line rather than starting an empty one.
 */
export async function* textLines(path: string): AsyncGenerator<string> {
  const line = (s: string): string => (s.endsWith('\r') ? s.slice(0, -1) : s);
  let rest = '';
  for await (const chunk of textChunks(path)) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const p of parts) yield line(p);
  }
  if (rest !== '') yield line(rest);
}
