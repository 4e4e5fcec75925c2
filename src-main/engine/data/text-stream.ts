/** Streamed text of a data file: chunks or lines, a leading BOM dropped; the file is closed however the reader stops. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
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

/** Lines without their \n or \r\n; a final newline ends the last line rather than starting an empty one. */
export async function* textLines(path: string): AsyncGenerator<string> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    let first = true;
    for await (const line of lines) {
      yield first ? stripBom(line) : line;
      first = false;
    }
  } finally {
    lines.close();
    input.destroy(); // closing readline leaves its input open
  }
}
