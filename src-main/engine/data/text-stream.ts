/** Streamed text of a data file: chunks or lines, a leading BOM dropped; the file is closed however the reader stops. */
import { createReadStream } from 'node:fs';
import { UserError } from '../errors';
import { LIMITS } from '../limits';
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
 * newline ends the last line rather than starting an empty one. A line longer than
 * LIMITS.lineChars is refused before it is joined: a file without line breaks (a binary, a
 * minified JSON document) would otherwise be read into one ever-growing string.
 */
export async function* textLines(path: string, maxChars: number = LIMITS.lineChars): AsyncGenerator<string> {
  const line = (s: string): string => (s.endsWith('\r') ? s.slice(0, -1) : s);
  let pieces: string[] = []; // the current line's text so far, joined once its end is found
  let pending = 0;
  let lineNo = 1;
  const tooLong = () =>
    new UserError(`${path}: line ${lineNo} is longer than ${maxChars.toLocaleString('en-US')} characters (is this a one-example-per-line text file?)`);
  for await (const chunk of textChunks(path)) {
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', from)) {
      if (pending + nl - from > maxChars) throw tooLong();
      pieces.push(chunk.slice(from, nl));
      yield line(pieces.join(''));
      pieces = [];
      pending = 0;
      lineNo++;
      from = nl + 1;
    }
    if (from < chunk.length) {
      pending += chunk.length - from;
      if (pending > maxChars) throw tooLong();
      pieces.push(chunk.slice(from));
    }
  }
  if (pending > 0) yield line(pieces.join(''));
}
