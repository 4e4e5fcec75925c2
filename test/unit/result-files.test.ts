// A sentence that cannot be recorded is cut back out of both files, each on its own: a cut-back
// that fails too (EIO, the disk remounted read-only) neither stops the other nor hides the failure.
import { ftruncateSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { SentenceResult, VariantOutput } from '../../src-main/engine/api';
import { RESULT_FILES, ResultFiles } from '../../src-main/engine/runner/result-files';

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return { ...fs, ftruncateSync: vi.fn(fs.ftruncateSync) };
});

const dir = mkdtempSync(join(tmpdir(), 'bild-result-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sentence = (position: number): SentenceResult => ({
  position,
  exampleIndex: position,
  source: 'Hallo Welt',
  reference: 'Hello world',
  outputs: [{ variant: 'small', method: 'small', text: 'Hello world', tokens: 3 } as VariantOutput], // the fields a row needs
});

describe('ResultFiles.appendSentence', () => {
  it('cuts the other file back and rethrows the original error when one cut-back fails', () => {
    const files = new ResultFiles(dir, 'run-1', [{ id: 'small', method: 'small' }]);
    const size = (f: string): number => statSync(join(dir, f)).size;
    files.appendSentence(sentence(0));
    const before = { csv: size(RESULT_FILES.csv), jsonl: size(RESULT_FILES.jsonl) };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    vi.mocked(ftruncateSync).mockImplementationOnce(() => {
      throw Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' }); // the CSV's, cut back first
    });
    const failure = new Error('the history refused the sentence');
    expect(() =>
      files.appendSentence(sentence(1), () => {
        throw failure;
      }),
    ).toThrow(failure);
    files.close();
    expect(size(RESULT_FILES.jsonl)).toBe(before.jsonl);
    expect(size(RESULT_FILES.csv)).toBeGreaterThan(before.csv);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(`cannot write '${join(dir, RESULT_FILES.csv)}': an input/output error on the device (EIO)`));
    warn.mockRestore();
  });
});
