// summary.csv (issue #14): one row per variant beside sentences.csv and summary.json, for runs and
// sweeps, with the same figures and 95% intervals as summary.json; re-exported from the history,
// with empty interval cells for a run recorded before intervals existed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESULT_SCHEMA_VERSION, type RunSummary } from '../../src-main/engine/api';
import { csvField, parseCsv, SUMMARY_CSV_COLUMNS } from '../../src-main/engine/runner/csv';
import { RunHistory } from '../../src-main/engine/runner/history';
import { inProcessEngineHome } from '../helpers/engine-home';
import { MODELS } from '../helpers/paths';

const { home, engine } = inProcessEngineHome('bild-summary-csv-');

const models = { small: join(MODELS, 'toy-t5-small'), large: join(MODELS, 'toy-t5-large') };

type Row = Record<(typeof SUMMARY_CSV_COLUMNS)[number], string>;

function rowsOf(path: string): Row[] {
  const [head, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  expect(head).toEqual([...SUMMARY_CSV_COLUMNS]);
  return rows.map((r) => {
    expect(r).toHaveLength(SUMMARY_CSV_COLUMNS.length);
    return Object.fromEntries(SUMMARY_CSV_COLUMNS.map((c, i) => [c, r[i]!])) as Row;
  });
}

/** Every row is its variant's summary in summary.json: intervals as written there (4 decimals), empty where absent. */
function expectMatches(rows: Row[], summary: RunSummary): void {
  expect(rows.map((r) => r.variant)).toEqual(summary.summaries.map((v) => v.variant));
  summary.summaries.forEach((v, i) => {
    const r = rows[i]!;
    expect(r.schema_version).toBe(String(RESULT_SCHEMA_VERSION));
    expect([r.run_id, r.kind, r.method, r.metric_name]).toEqual([summary.runId, summary.kind, v.method, v.quality.primaryName]);
    expect([r.bild_fallback, r.bild_rollback]).toEqual([csvField(v.bild?.fallback), csvField(v.bild?.rollback)]);
    expect(Number(r.sentences)).toBe(v.sentences);
    expect(Number(r.metric)).toBeCloseTo(v.quality.primary, 4);
    expect(Number(r.speedup)).toBeCloseTo(v.speedup!, 4);
    expect([r.metric_low, r.metric_high]).toEqual([csvField(v.qualityCI?.[0]), csvField(v.qualityCI?.[1])]);
    expect([r.speedup_low, r.speedup_high]).toEqual([csvField(v.speedupCI?.[0]), csvField(v.speedupCI?.[1])]);
    expect(Number(r.identical_to_large)).toBeCloseTo(v.identicalToLarge!, 4);
    expect(Number(r.fallback_pct)).toBeCloseTo(v.fallbackPct, 4);
    expect(Number(r.rollback_pct)).toBeCloseTo(v.rollbackPct, 4);
    expect(r.same_outputs_as).toBe(v.sameOutputsAs ?? '');
    const env = summary.environment!;
    expect(r.deviations).toBe((env.variantDeviations?.[v.variant] ?? env.deviations).join(' | '));
    expect(r.baseline).toBe(v.baseline ?? '');
  });
}

describe('summary.csv', () => {
  let run: RunSummary;

  it('a run writes it beside sentences.csv and summary.json, with summary.json’s intervals', async () => {
    const out = join(home, 'run');
    run = await engine().waitForRun((await engine().startRun({ models, dataset: { name: 'demo', split: 'test', limit: 8 }, methods: ['large', 'bild'], bild: { fallback: 0.8, rollback: 2 }, threads: 1, outDir: out })).runId);
    expect(readdirSync(out).sort()).toEqual(['sentences.csv', 'sentences.jsonl', 'summary.csv', 'summary.json']);
    const onDisk = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    const rows = rowsOf(join(out, 'summary.csv'));
    for (const v of onDisk.summaries) expect(v.qualityCI![0]).toBeLessThanOrEqual(v.qualityCI![1]);
    expectMatches(rows, onDisk);
    // the numbers themselves, not only the same formatting twice
    const bild = onDisk.summaries[1]!;
    expect(Number(rows[1]!.speedup_low)).toBeCloseTo(bild.speedupCI![0], 4);
    expect(Number(rows[1]!.metric_high)).toBeCloseTo(bild.qualityCI![1], 4);
    expect(rows[1]!.bild_fallback).toBe('0.8000');
  });

  it('a sweep writes one row per grid point', async () => {
    const out = join(home, 'sweep');
    const sweep = await engine().waitForRun(
      (await engine().startSweep({ models, dataset: { name: 'demo', split: 'test', limit: 3 }, fallbacks: [0.5, 0.9], rollbacks: [2], includeSmall: false, threads: 1, outDir: out })).runId,
    );
    expect(sweep.kind).toBe('sweep');
    const rows = rowsOf(join(out, 'summary.csv'));
    expect(rows.map((r) => r.variant)).toEqual(['large', 'bild@0.5/2', 'bild@0.9/2']);
    expectMatches(rows, JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary);
  });

  it('engine().exportRun writes it too: the same bytes as the run’s, and empty interval cells for a run recorded without intervals', async () => {
    const { files } = await engine().exportRun({ runId: run.runId, dir: join(home, 'exported') });
    expect(files.map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual(['sentences.csv', 'summary.csv', 'summary.json']);
    expect(readFileSync(files[1]!, 'utf8')).toBe(readFileSync(join(home, 'run', 'summary.csv'), 'utf8'));

    // a run of a version before the intervals: its summaries lack qualityCI, speedupCI, bootstrap, sameOutputsAs and
    // baseline, its environment the per-variant deviations (each row then lists the run's)
    const { variantDeviations, ...oldEnv } = run.environment!;
    expect(variantDeviations!.large).toEqual([]); // a large-only row claims none of BiLD's deviations
    const old: RunSummary = {
      ...run,
      runId: 'before-intervals',
      environment: oldEnv,
      summaries: run.summaries.map(({ qualityCI, speedupCI, bootstrap, sameOutputsAs, baseline, ...rest }) => rest),
    };
    const h = new RunHistory(join(home, 'history.sqlite'));
    h.insert(old);
    h.update(old);
    h.close();
    const only = await engine().exportRun({ runId: old.runId, dir: join(home, 'old'), formats: ['summary-csv'] });
    expect(only.files).toEqual([join(home, 'old', 'summary.csv')]);
    const rows = rowsOf(only.files[0]!);
    expectMatches(rows, old);
    for (const r of rows) expect([r.metric_low, r.metric_high, r.speedup_low, r.speedup_high, r.same_outputs_as, r.baseline]).toEqual(['', '', '', '', '', '']);
    expect(rows.map((r) => r.deviations)).toEqual(rows.map(() => oldEnv.deviations.join(' | ')));
    expect(rows.map((r) => r.metric)).toEqual(rowsOf(files[1]!).map((r) => r.metric));
  });
});
