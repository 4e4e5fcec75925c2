// The run summary of a run with quantized variants (issue #17): each role's dtype beside the
// variant and a "vs fp32" column with the engine's comparison, for a run started over HTTP (the
// page's API, whose spec check lets `method@dtype` through) and opened from the History.
// In Chromium over the local server (after `npm run build`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DtypeComparison, RunSummary } from '../../src-main/engine/api/types';
import type { ServedApp } from '../../src-main/server/serve-app';
import { openBrowserApp, type BrowserApp } from '../helpers/browser-app';
import { postApi } from '../helpers/served-app';

const home = mkdtempSync(join(tmpdir(), 'bild-e2e-quantized-'));
let app: ServedApp;
let browserApp: BrowserApp | undefined;
let page: Page;

beforeAll(async () => {
  ({ app, page } = browserApp = await openBrowserApp({ home }));
});
afterAll(async () => {
  await browserApp?.close();
  rmSync(home, { recursive: true, force: true });
});

const signed = (x: number): string => (x >= 0 ? '+' : '') + x.toFixed(2);
const shown = (c: DtypeComparison): string =>
  `${signed(c.metricDelta)} [${signed(c.metricDeltaCI[0])}, ${signed(c.metricDeltaCI[1])}] · ${(100 * c.identical).toFixed(0)}% same` +
  (c.decisionAgreement === null ? '' : ` · ${(100 * c.decisionAgreement).toFixed(1)}% decisions`);

it('shows each role’s dtype and the comparison with fp32 in the run summary', async () => {
  const spec = {
    models: { small: 'demo/small', large: 'demo/large' },
    methods: ['large', 'large@q4', 'bild', 'bild@q4'],
    bild: { fallback: 0.8, rollback: 1 },
    dataset: { name: 'demo', split: 'validation', limit: 4 },
    warmup: 0,
    threads: 1,
  };
  const started = await postApi(app, 'startRun', [spec]);
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  const summary: RunSummary = await app.engine.waitForRun((started.body.result as { runId: string }).runId);
  expect(summary.status).toBe('completed');

  await page.getByTestId('tab-history').click();
  await page.locator(`[data-testid="history-table"] tr[data-run="${summary.runId}"]`).getByTestId('open-run').click();
  const table = page.locator(`[data-testid="opened-run"][data-run="${summary.runId}"]`).getByTestId('summary-table');
  await table.waitFor();
  const cell = (variant: string, col: string): Promise<string | null> => table.locator(`tr[data-variant="${variant}"] [data-col="${col}"]`).textContent();
  expect((await cell('bild@q4', 'weights'))?.trim()).toBe('· small fp32 · large q4');
  expect((await cell('large', 'weights'))?.trim()).toBe('· large fp32');
  for (const id of ['large@q4', 'bild@q4']) expect(await cell(id, 'vs-fp32')).toBe(shown(summary.summaries.find((v) => v.variant === id)!.vsFp32!));
  expect(await cell('bild', 'vs-fp32')).toBe('–');
  expect(await table.locator('tr[data-variant="bild@q4"] td').first().textContent()).toContain('FB 0.8 · RB 1');
});
