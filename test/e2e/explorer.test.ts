// The sentence explorer: every sentence of a run, sorted and filtered, each opening its token view;
// and History → Open showing a finished run (or a sweep's grid) as the Run/Sweep tabs do. Needs
// `npm run build` first (out/renderer) and Debian's chromium, as test/e2e/ui.test.ts.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunDetail } from '../../src-main/engine/api/types';
import { browserAppForFile, endsBelowViewport, fillRollbackDemo, inViewport } from '../helpers/browser-app';

const SENTENCES = 12;
let page: Page;
browserAppForFile('bild-e2e-explorer-', (b) => {
  page = b.page;
});

/** The run as the engine stored it, asked for with the page's cookie. */
async function getRun(runId: string): Promise<RunDetail> {
  const reply = (await page.evaluate(
    `fetch('api/getRun', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify([runId]))} }).then((r) => r.json())`,
  )) as { result: RunDetail };
  return reply.result;
}

const positions = (root: Page | ReturnType<Page['locator']>): Promise<number[]> =>
  root.locator('[data-testid="sentence-row"]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-position'))));

/** Positions ordered by a variant's latency, ties by position, as the explorer sorts. */
const byLatency = (run: RunDetail, variant: string): number[] =>
  run.sentences
    .map((s) => ({ p: s.position, ms: s.outputs.find((o) => o.variant === variant)!.totalMs }))
    .sort((a, b) => a.ms - b.ms || a.p - b.p)
    .map((x) => x.p);

const withRollbacks = (run: RunDetail): number[] => run.sentences.filter((s) => s.outputs.some((o) => o.rollbacks > 0)).map((s) => s.position);

describe('sentence explorer', () => {
  let run: RunDetail;

  it('lists every sentence of a run, sorts by latency and filters those with rollbacks', async () => {
    await page.getByTestId('tab-run').click();
    await fillRollbackDemo(page, SENTENCES);
    await page.getByTestId('run-button').click();
    await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 90_000 });
    const runId = (await page.getByTestId('job-status').locator('span.muted.small').textContent())!.trim();
    run = await getRun(runId);
    expect(run.sentences).toHaveLength(SENTENCES);

    await expect.poll(() => positions(page)).toEqual(run.sentences.map((s) => s.position));
    expect(await page.getByTestId('explorer-count').textContent()).toBe(`${SENTENCES} of ${SENTENCES} sentences`);

    await page.getByTestId('explorer-sort').selectOption('ms:bild');
    await expect.poll(() => positions(page)).toEqual(byLatency(run, 'bild'));
    await page.getByTestId('explorer-desc').check();
    await expect.poll(() => positions(page)).toEqual(byLatency(run, 'bild').reverse());
    await page.getByTestId('explorer-sort').selectOption('ms:large');
    await page.getByTestId('explorer-desc').uncheck();
    await expect.poll(() => positions(page)).toEqual(byLatency(run, 'large'));

    await page.getByTestId('explorer-sort').selectOption('position');
    await page.getByTestId('filter-rollbacks').check();
    const rolled = withRollbacks(run);
    expect(rolled.length, 'demo/tiny at FB 0.8, RB 2 rolls back on some sentence').toBeGreaterThan(0);
    await expect.poll(() => positions(page)).toEqual(rolled);
    // a row opens its token view
    await page.locator(`[data-testid="sentence-row"][data-position="${rolled[0]}"]`).click();
    await expect.poll(() => page.getByTestId('token-view').locator('h3').textContent()).toContain(`Sentence ${rolled[0]! + 1}`);
    await page.getByTestId('filter-rollbacks').uncheck();

    // the other filters: some output differs from large's; some output's metric below X
    await page.getByTestId('filter-differs').check();
    await expect.poll(() => positions(page)).toEqual(run.sentences.filter((s) => s.outputs.some((o) => o.identicalToLarge === false)).map((s) => s.position));
    await page.getByTestId('filter-differs').uncheck();
    await page.getByTestId('filter-metric').fill('50');
    await expect.poll(() => positions(page)).toEqual(run.sentences.filter((s) => s.outputs.some((o) => o.metric < 50)).map((s) => s.position));
    await page.getByTestId('filter-metric').fill('');
    await expect.poll(() => positions(page)).toHaveLength(SENTENCES);
  });

  it('a row far above the token view scrolls it into view when clicked', async () => {
    await page.getByTestId('token-view-close').click();
    await expect.poll(() => page.getByTestId('token-view').count()).toBe(0);
    await page.setViewportSize({ width: 1440, height: 480 }); // a laptop's window, half filled by the browser's bars
    const first = page.locator('[data-testid="sentence-row"][data-position="0"]');
    await first.scrollIntoViewIfNeeded();
    // the view opens below the table's last row, out of sight from its first
    expect(await endsBelowViewport(page.getByTestId('sentence-table'))).toBe(true);
    await first.click();
    await expect.poll(() => page.getByTestId('token-view').locator('h3').textContent()).toContain('Sentence 1:');
    expect(await inViewport(page.getByTestId('token-view'))).toBe(true);
    await page.setViewportSize({ width: 1440, height: 960 });
  });

  it('opens the run from History: the same sentences, and a token view with the same tokens', async () => {
    await page.getByTestId('tab-history').click();
    const row = page.locator(`[data-testid="history-table"] tr[data-run="${run.summary.runId}"]`);
    await row.getByTestId('open-run').click();
    const opened = page.locator(`[data-testid="opened-run"][data-run="${run.summary.runId}"]`);
    await opened.waitFor();
    await opened.getByTestId('summary-table').waitFor();
    await opened.getByTestId('latency-chart').waitFor();
    await expect.poll(() => positions(opened)).toEqual(run.sentences.map((s) => s.position));
    await opened.getByTestId('filter-rollbacks').check();
    const rolled = withRollbacks(run);
    await expect.poll(() => positions(opened)).toEqual(rolled);
    await opened.locator(`[data-testid="sentence-row"][data-position="${rolled[0]}"]`).click();
    const trace = run.sentences.find((s) => s.position === rolled[0])!.outputs.find((o) => o.variant === 'bild')!.trace!;
    const bild = opened.getByTestId('token-view').locator('.token-row[data-variant="bild"]');
    await expect.poll(() => bild.locator('.tok[data-origin]').allTextContents()).toEqual(trace.pieces);
    expect(await bild.getByTestId('rollback').count()).toBe(trace.rollbacks.length);
  });

  it('opens a sweep from History with its FB × RB grid and Pareto chart', async () => {
    await page.getByTestId('tab-sweep').click();
    await page.getByTestId('limit').fill('4');
    await page.getByTestId('sweep-fb').fill('0.5, 0.9');
    await page.getByTestId('sweep-rb').fill('2, 6');
    await page.getByTestId('sweep-button').click();
    await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 90_000 });
    const sweepId = (await page.getByTestId('job-status').locator('span.muted.small').textContent())!.trim();

    await page.getByTestId('tab-history').click();
    await page.locator(`[data-testid="history-table"] tr[data-run="${sweepId}"]`).getByTestId('open-run').click();
    const opened = page.locator(`[data-testid="opened-run"][data-run="${sweepId}"]`);
    await expect.poll(() => opened.getByTestId('sweep-grid').locator('tbody tr').count()).toBe(2);
    expect(await opened.getByTestId('sweep-grid').locator('thead th').allTextContents()).toEqual(['FB \\ RB', '2', '6']);
    await opened.getByTestId('pareto-chart').waitFor();
    await expect.poll(() => positions(opened).then((p) => p.length)).toBe(4);
  });
});
