// The 95% intervals in `bild-bench runs compare` (table and --json) and `runs list --json`, through
// the CLI from source; a run recorded before intervals existed shows its bare figures (issue #14).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunComparison, RunListEntry, RunSummary } from '../../src-main/engine/api';
import { RunHistory } from '../../src-main/engine/runner/history';
import { runCli } from '../helpers/cli';
import { MODELS } from '../helpers/paths';

const home = mkdtempSync(join(tmpdir(), 'bild-cli-runs-intervals-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const cli = (...args: string[]) => runCli(args, { BILD_BENCH_HOME: home });

/** `27.30 [26.10, 28.40]`, as the CLI writes a figure with its interval. */
const withCI = (value: string, ci: [number, number]): string => `${value} [${ci[0].toFixed(2)}, ${ci[1].toFixed(2)}]`;

describe('intervals in runs compare and runs list', () => {
  let run: RunSummary;
  const old = 'recorded-before-intervals';

  beforeAll(() => {
    const r = cli('run', '--model', 'bild', '--small', join(MODELS, 'toy-t5-small'), '--large', join(MODELS, 'toy-t5-large'), '--dataset_name', 'demo', '--split', 'test', '--limit', '6', '--methods', 'large,bild', '--bild_fallback', '0.8', '--bild_rollback', '2', '--threads', '1', '--json');
    expect(r.code, r.stderr).toBe(0);
    run = JSON.parse(r.stdout) as RunSummary;
    const h = new RunHistory(join(home, 'history.sqlite'));
    const before: RunSummary = { ...run, runId: old, summaries: run.summaries.map(({ qualityCI, speedupCI, bootstrap, sameOutputsAs, ...rest }) => rest) };
    h.insert(before);
    h.update(before);
    h.close();
  });

  it('runs compare prints each figure with its interval, and the bare figure for a run without', () => {
    const r = cli('runs', 'compare', run.runId, old);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN\s+VARIANT\s+QUALITY\s+MS MEAN\s+SPEEDUP\s+FB %\s+RB %$/);
    expect(lines.at(-1)).toBe("[low, high]: 95% bootstrap intervals, paired over each run's sentences (docs/runs.md)");
    for (const v of run.summaries) {
      const withIntervals = lines.find((l) => l.startsWith(`${run.runId} `) && l.split(/\s+/)[1] === v.variant)!;
      expect(withIntervals).toContain(`BLEU ${withCI(v.quality.primary.toFixed(2), v.qualityCI!)}`);
      expect(withIntervals).toContain(withCI(`${v.speedup!.toFixed(2)}x`, v.speedupCI!));
      const bare = lines.find((l) => l.startsWith(`${old} `) && l.split(/\s+/)[1] === v.variant)!;
      expect(bare).toMatch(new RegExp(`BLEU ${v.quality.primary.toFixed(2).replace('.', '\\.')}\\s`));
      expect(bare).not.toContain('[');
    }
  });

  it('runs compare --json and runs list --json carry the intervals (null where a run has none)', () => {
    const cmp = cli('runs', 'compare', run.runId, old, '--json');
    expect(cmp.code, cmp.stderr).toBe(0);
    const { rows } = JSON.parse(cmp.stdout) as RunComparison;
    expect(rows.map((r) => [r.runId, r.variant])).toEqual([...run.summaries.map((v) => [run.runId, v.variant]), ...run.summaries.map((v) => [old, v.variant])]);
    run.summaries.forEach((v, i) => {
      expect([rows[i]!.qualityCI, rows[i]!.speedupCI]).toEqual([v.qualityCI, v.speedupCI]);
      expect([rows[i + run.summaries.length]!.qualityCI, rows[i + run.summaries.length]!.speedupCI]).toEqual([null, null]);
    });

    const list = cli('runs', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    const entries = JSON.parse(list.stdout) as RunListEntry[];
    const headline = (id: string) => entries.find((e) => e.runId === id)!.headline;
    expect(headline(run.runId)).toEqual(run.summaries.map((v) => ({ variant: v.variant, quality: v.quality.primary, speedup: v.speedup, qualityCI: v.qualityCI, speedupCI: v.speedupCI })));
    expect(headline(old).map((h) => [h.qualityCI, h.speedupCI])).toEqual(run.summaries.map(() => [null, null]));
  });
});
