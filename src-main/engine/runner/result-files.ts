/**
 * A run's files, written as it goes: CSV rows and JSONL lines are appended when a sentence
 * finishes (so a crash or a cancel keeps every finished sentence), summary.json is rewritten at
 * the start ("running") and at the end, each time through a temporary file and a rename.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { writeFileAtomicSync } from '../atomic-write';
import { join } from 'node:path';
import type { RunSummary, SentenceResult, Variant } from '../api/types';
import { csvHeader, csvRows } from './csv';

export const RESULT_FILES = { csv: 'sentences.csv', jsonl: 'sentences.jsonl', summary: 'summary.json' } as const;

export function writeSummaryJson(dir: string, summary: RunSummary): string {
  const path = join(dir, RESULT_FILES.summary);
  writeFileAtomicSync(path, JSON.stringify(summary, null, 2) + '\n');
  return path;
}

/** Writes a whole CSV at once (re-exports from the history). */
export function writeSentencesCsv(dir: string, runId: string, variants: readonly Variant[], sentences: readonly SentenceResult[]): string {
  const th = new Map(variants.map((v) => [v.id, v.bild]));
  const path = join(dir, RESULT_FILES.csv);
  writeFileSync(path, csvHeader() + sentences.map((s) => csvRows(runId, s, th)).join(''));
  return path;
}

export class ResultFiles {
  private readonly csv: number;
  private readonly jsonl: number;
  private readonly thresholds: Map<string, Variant['bild']>;

  constructor(
    readonly dir: string,
    private readonly runId: string,
    variants: readonly Variant[],
  ) {
    mkdirSync(dir, { recursive: true });
    this.thresholds = new Map(variants.map((v) => [v.id, v.bild]));
    this.csv = openSync(join(dir, RESULT_FILES.csv), 'w');
    this.jsonl = openSync(join(dir, RESULT_FILES.jsonl), 'w');
    writeSync(this.csv, csvHeader());
  }

  appendSentence(s: SentenceResult): void {
    writeSync(this.csv, csvRows(this.runId, s, this.thresholds));
    writeSync(this.jsonl, JSON.stringify(s) + '\n');
  }

  writeSummary(summary: RunSummary): void {
    writeSummaryJson(this.dir, summary);
  }

  close(): void {
    closeSync(this.csv);
    closeSync(this.jsonl);
  }
}
