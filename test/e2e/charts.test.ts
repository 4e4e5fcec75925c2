// The charts researchers read (issue #14): latency as a distribution, the metric axis at its
// range, intervals beside the estimates, the run's quality-vs-speedup scatter, the sweep's
// labelled Pareto front and same-decoding cells, the sweep's summary CSV from the History, and
// charts that narrow with the window.
// In Chromium over the local server (after `npm run build`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunDetail, RunSummary } from '../../src-main/engine/api/types';
import { csvField, parseCsv, SUMMARY_CSV_COLUMNS } from '../../src-main/engine/runner/csv';
import { browserAppForFile } from '../helpers/browser-app';

let page: Page;
const home = browserAppForFile('bild-e2e-charts-', async (b) => {
  page = b.page;
  await page.locator('[data-testid="small-model"] option[value="demo/small"]').waitFor({ state: 'attached' });
});

/** Large + BiLD on the embedded demo pair and `limit` demo sentences. */
async function configure(limit: number): Promise<void> {
  await page.getByTestId('tab-run').click();
  await page.getByTestId('small-model').selectOption('demo/small');
  await page.getByTestId('large-model').selectOption('demo/large');
  await page.getByTestId('dataset').selectOption('toy-de-en');
  await page.getByTestId('limit').fill(String(limit));
  for (const m of ['large', 'small', 'bild', 'speculative']) await page.getByTestId(`method-${m}`).setChecked(m === 'large' || m === 'bild');
}

/** Clicks `button`, waits for the job to complete and returns its stored detail as the page reads it (POST api/getRun). */
async function runToEnd(button: string): Promise<RunDetail> {
  const started = page.waitForResponse((r) => r.url().endsWith(/run-button/.test(button) ? '/api/startRun' : '/api/startSweep'));
  await page.getByTestId(button).click();
  const { result } = (await (await started).json()) as { result: { runId: string } };
  await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 90_000 });
  return (await page.evaluate(
    `fetch('api/getRun', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([${JSON.stringify(result.runId)}]) }).then((r) => r.json())`,
  ).then((b) => (b as { result: RunDetail }).result));
}

const ci = (c: [number, number] | null | undefined, digits: number): string => (c ? `[${c[0].toFixed(digits)}, ${c[1].toFixed(digits)}]` : '–');
const widths = (): Promise<number[]> => page.locator('canvas').evaluateAll((cs) => cs.map((c) => c.getBoundingClientRect().width));

describe('charts researchers read (issue #14)', () => {
  let runSummary: RunSummary;
  let sweepSummary: RunSummary;

  it('a run: latency CDF per method, metric axis 0–100, intervals in the summary, the scatter', async () => {
    await configure(6);
    const { summary } = await runToEnd('run-button');
    runSummary = summary;
    const table = page.getByTestId('summary-table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    for (const v of summary.summaries) {
      expect(v.qualityCI).toBeDefined();
      const row = table.locator(`tr[data-variant="${v.variant}"]`);
      expect(await row.locator('[data-col="quality-ci"]').textContent()).toBe(ci(v.qualityCI, 2));
      expect(await row.locator('[data-col="speedup-ci"]').textContent()).toBe(ci(v.speedupCI, 2));
    }
    expect(await table.locator('tr[data-variant="bild"] [data-col="speedup-ci"]').textContent()).toMatch(/^\[\d+\.\d\d, \d+\.\d\d\]$/);

    const latency = page.getByTestId('latency-chart');
    await expect.poll(() => latency.getAttribute('data-series')).toBe('large:6 bild:6');
    expect(await latency.getAttribute('data-kind')).toBe('cdf');
    expect(await page.getByTestId('quality-chart').getAttribute('data-y-max')).toBe('100');
    expect(Number(await page.getByTestId('quality-chart').getAttribute('data-x-max'))).toBeGreaterThanOrEqual(6); // every sentence's point is in range
    expect(await page.getByTestId('summary-scatter').getAttribute('data-points')).toBe('2');
    // the metric axis ends at the metric's top (chart.js would pad a range of equal BLEUs, 100 here, to 105)
    expect(Math.max(...summary.summaries.map((v) => v.quality.primary))).toBeCloseTo(100, 9); // (100.00000000000004 by float rounding)
    expect(await page.getByTestId('summary-scatter').getAttribute('data-y-max')).toBe('100');
  });

  it('a sweep: (FB, RB) labels, unsupported front points told apart, intervals and same-decoding cells in the grid', async () => {
    await configure(4);
    await page.getByTestId('tab-sweep').click();
    // without small alone (the demo's small model alone keeps its quality and would be the whole front), and with a high FB so that BiLD beats large
    await page.getByLabel('small alone').setChecked(false);
    await page.getByTestId('sweep-fb').fill('0.5, 0.95');
    await page.getByTestId('sweep-rb').fill('2, 6');
    const { summary } = await runToEnd('sweep-button');
    sweepSummary = summary;
    const sweep = summary.sweep!;
    const labels = page.getByTestId('pareto-labels').locator('li');
    await expect.poll(() => labels.count()).toBe(sweep.front.length);
    const texts = await labels.allTextContents();
    const supported = await Promise.all(texts.map((_, i) => labels.nth(i).getAttribute('data-supported')));
    sweep.front.forEach((p, i) => {
      if (p.bild) expect(texts[i]).toContain(`(FB, RB) (${p.bild.fallback}, ${p.bild.rollback})`);
      expect(supported[i]).toBe(String(p.distinguishable === true));
      expect(texts[i]!.trimEnd()).toMatch(p.distinguishable ? / · supported$/ : / · not supported by the intervals$/);
    });
    expect(texts.some((t) => t.includes('(FB, RB) ('))).toBe(true);
    // the metric axis: every point and interval bar in range, the top not above 100
    const yMax = Number(await page.getByTestId('pareto-chart').getAttribute('data-y-max'));
    expect(yMax).toBeLessThanOrEqual(100);
    expect(yMax).toBeGreaterThanOrEqual(Math.min(100, Math.max(...sweep.points.map((p) => p.qualityCI?.[1] ?? p.quality))));

    const grid = page.getByTestId('sweep-grid');
    const bild = summary.summaries.filter((v) => v.bild);
    const cellTexts = (await grid.locator('tbody td').allTextContents()).join('\n');
    for (const v of bild) expect(cellTexts).toContain(ci(v.qualityCI, 1));
    expect(await grid.getByTestId('same-as').count()).toBe(bild.filter((v) => v.sameOutputsAs).length);
    for (const v of bild.filter((c) => c.sameOutputsAs)) {
      const b = summary.summaries.find((o) => o.variant === v.sameOutputsAs)!.bild!;
      expect(cellTexts).toContain(`same decoding as (${b.fallback}, ${b.rollback})`);
    }
  });

  it("History exports the sweep's summary CSV with summary.json's intervals, and compares runs with intervals", async () => {
    await page.getByTestId('tab-history').click();
    const row = page.locator(`[data-testid="history-table"] tr[data-run="${sweepSummary.runId}"]`);
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('export-summary-csv').click()]);
    expect(download.suggestedFilename()).toBe(`${sweepSummary.runId}-summary.csv`);
    const file = join(home, 'summary.csv');
    await download.saveAs(file);
    const [head, ...rows] = parseCsv(readFileSync(file, 'utf8'));
    expect(head).toEqual([...SUMMARY_CSV_COLUMNS]);
    const col = (name: (typeof SUMMARY_CSV_COLUMNS)[number]): number => head!.indexOf(name);
    expect(rows.map((r) => r[col('variant')])).toEqual(sweepSummary.summaries.map((v) => v.variant));
    sweepSummary.summaries.forEach((v, i) => {
      const r = rows[i]!;
      expect([r[col('metric_low')], r[col('metric_high')]]).toEqual(v.qualityCI!.map((x) => csvField(x)));
      expect([r[col('speedup_low')], r[col('speedup_high')]]).toEqual(v.speedupCI!.map((x) => csvField(x)));
    });

    // the comparison of the run and the sweep shows each figure's interval
    for (const id of [runSummary.runId, sweepSummary.runId]) await page.locator(`[data-testid="history-table"] tr[data-run="${id}"] input[type="checkbox"]`).check();
    await page.getByTestId('compare-button').click();
    const compared = page.getByTestId('comparison').locator('tbody tr');
    await expect.poll(() => compared.count()).toBe(runSummary.summaries.length + sweepSummary.summaries.length);
    const bild = runSummary.summaries.find((v) => v.variant === 'bild')!;
    const bildRow = compared.nth(runSummary.summaries.indexOf(bild));
    expect(await bildRow.locator('[data-col="quality"]').textContent()).toContain(ci(bild.qualityCI, 2));
    expect(await bildRow.locator('[data-col="speedup"]').textContent()).toContain(ci(bild.speedupCI, 2));
  });

  it('charts narrow with the window after a run', async () => {
    await page.getByTestId('tab-run').click();
    await page.getByTestId('summary-scatter').waitFor();
    const wide = await widths();
    expect(wide).toHaveLength(3); // latency, quality, scatter
    await page.setViewportSize({ width: 1000, height: 960 });
    await expect.poll(async () => (await widths()).every((w, i) => w < wide[i]! - 50), { timeout: 10_000 }).toBe(true);
  });
});
