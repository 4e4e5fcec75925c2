/**
 * A run's files, written as it goes: CSV rows and JSONL lines are appended when a sentence
 * finishes (so a crash or a cancel keeps every finished sentence), summary.json and summary.csv
 * are rewritten at the start ("running") and at the end, each time through a temporary file and a
 * rename.
 * A sentence is in both files or in neither: when a write fails (disk full, read-only) both are
 * cut back to the last whole sentence and the run stops with a user error naming the file.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary, SentenceResult, Variant } from '../api/types';
import { writeFileAtomicSync } from '../atomic-write';
import { writingTo } from '../disk-errors';
import { csvHeader, csvRows, summaryCsv } from './csv';

export const RESULT_FILES = { csv: 'sentences.csv', jsonl: 'sentences.jsonl', summary: 'summary.json', summaryCsv: 'summary.csv' } as const;

function writeWhole(path: string, text: string): string {
  writingTo(path, () => writeFileAtomicSync(path, text));
  return path;
}

export function writeSummaryJson(dir: string, summary: RunSummary): string {
  return writeWhole(join(dir, RESULT_FILES.summary), JSON.stringify(summary, null, 2) + '\n');
}

/** summary.csv: one row per variant with the intervals of summary.json (csv.ts summaryCsv). */
export function writeSummaryCsv(dir: string, summary: RunSummary): string {
  return writeWhole(join(dir, RESULT_FILES.summaryCsv), summaryCsv(summary));
}

/** Writes a whole CSV at once (re-exports from the history). */
export function writeSentencesCsv(dir: string, runId: string, variants: readonly Variant[], sentences: readonly SentenceResult[]): string {
  const byId = new Map(variants.map((v) => [v.id, v]));
  return writeWhole(join(dir, RESULT_FILES.csv), csvHeader() + sentences.map((s) => csvRows(runId, s, byId)).join(''));
}

/**
 * Runs each clean-up step after a failure on its own: one that fails too (EIO, the disk remounted
 * read-only) neither stops the others nor replaces the failure being reported; returns their errors.
 */
function afterFailure(...steps: (() => void)[]): unknown[] {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      step();
    } catch (err) {
      errors.push(err);
    }
  }
  return errors;
}

/** A file appended to in whole records: a record that cannot be written whole is cut off again. */
class RecordFile {
  private readonly fd: number;
  /** Bytes of whole records written. */
  length = 0;

  constructor(readonly path: string) {
    this.fd = writingTo(path, () => openSync(path, 'w'));
  }

  append(text: string): void {
    const bytes = Buffer.from(text);
    writingTo(this.path, () => {
      for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done, this.length + done);
    });
    this.length += bytes.length;
  }

  /** Back to `length` bytes (what a failed or undone append added goes). */
  truncate(length: number): void {
    writingTo(this.path, () => ftruncateSync(this.fd, length)); // shrinking needs no space, but the device may fail (EIO) or turn read-only
    this.length = length;
  }

  close(): void {
    closeSync(this.fd);
  }
}

export class ResultFiles {
  private readonly csv: RecordFile;
  private readonly jsonl: RecordFile;
  private readonly variants: Map<string, Variant>;

  constructor(
    readonly dir: string,
    private readonly runId: string,
    variants: readonly Variant[],
  ) {
    writingTo(dir, () => mkdirSync(dir, { recursive: true }));
    this.variants = new Map(variants.map((v) => [v.id, v]));
    const csv = new RecordFile(join(dir, RESULT_FILES.csv));
    let jsonl: RecordFile | undefined;
    try {
      jsonl = new RecordFile(join(dir, RESULT_FILES.jsonl));
      csv.append(csvHeader());
    } catch (err) {
      // a run refused here (the disk full) must not keep descriptors open in a long-lived process (serve, the app)
      afterFailure(() => csv.close(), () => jsonl?.close());
      throw err;
    }
    this.csv = csv;
    this.jsonl = jsonl;
  }

  /**
   * Appends a sentence to both files, or to neither (and throws); `commit` then records it
   * elsewhere (the history) and, when that throws, the sentence is taken out of the files again.
   */
  appendSentence(s: SentenceResult, commit: () => void = () => undefined): void {
    const rows = csvRows(this.runId, s, this.variants);
    const line = JSON.stringify(s) + '\n';
    const at = [this.csv.length, this.jsonl.length] as const;
    try {
      this.csv.append(rows);
      this.jsonl.append(line);
      commit();
    } catch (err) {
      const uncut = afterFailure(
        () => this.csv.truncate(at[0]),
        () => this.jsonl.truncate(at[1]),
      );
      for (const e of uncut) console.warn(`bild-bench: ${(e as Error).message}; it may end in part of a sentence`);
      throw err;
    }
  }

  /** summary.json first: where the disk fills up in between, the JSON (the whole record) is the one that is current. */
  writeSummary(summary: RunSummary): void {
    writeSummaryJson(this.dir, summary);
    writeSummaryCsv(this.dir, summary);
  }

  close(): void {
    this.csv.close();
    this.jsonl.close();
  }
}
