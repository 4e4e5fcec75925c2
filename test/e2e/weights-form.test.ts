// The Run form's Weights group (issue #17): extra `method@dtype` variants, the export options,
// the quantized-drafter preset and the fields the engine's refusals name, started from the page.
// (How the summary shows a quantized run is quantized-summary.test.ts's: here only that the
// form's variants reach it.) In Chromium over the local server (after `npm run build`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDetail, RunSummary } from '../../src-main/engine/api/types';
import { fillRollbackDemo, openBrowserApp, type BrowserApp } from '../helpers/browser-app';

const home = mkdtempSync(join(tmpdir(), 'bild-e2e-weights-'));
let browserApp: BrowserApp | undefined;
let page: Page;
/** The specs the page asked to run. */
const started: Record<string, unknown>[] = [];

beforeAll(async () => {
  const onPage = (p: Page): void => {
    p.on('request', (r) => {
      if (r.url().endsWith('/api/startRun')) started.push((JSON.parse(r.postData() ?? '[]') as Record<string, unknown>[])[0]!);
    });
  };
  ({ page } = browserApp = await openBrowserApp({ home, onPage }));
});
afterAll(async () => {
  await browserApp?.close();
  rmSync(home, { recursive: true, force: true });
});

/** Runs the form and returns the run as the engine stored it (asked for with the page's cookie). */
async function runFromForm(): Promise<RunSummary> {
  await page.getByTestId('run-button').click();
  await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 120_000 });
  const runId = (await page.getByTestId('job-status').locator('span.muted.small').textContent())!.trim();
  const reply = (await page.evaluate(
    `fetch('api/getRun', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify([runId]))} }).then((r) => r.json())`,
  )) as { result: RunDetail };
  return reply.result.summary;
}

const summaryCell = (variant: string, col: string): Promise<string | null> =>
  page.getByTestId('summary-table').locator(`tr[data-variant="${variant}"] [data-col="${col}"]`).textContent();

describe.sequential('the Run form’s weights', () => {
  it('runs large, large@q4, bild and bild@q4 with the chosen block size, kept across a reload', async () => {
    await fillRollbackDemo(page, 3, ['large', 'bild']);
    await expect(page.getByTestId('block-size').count()).resolves.toBe(0); // nothing quantized yet
    await page.getByTestId('variant-large@q4').check();
    await page.getByTestId('variant-bild@q4').check();
    await page.getByTestId('block-size').selectOption('64');
    await expect(page.getByTestId('variant-large@fp32').count()).resolves.toBe(0); // large already runs at fp32

    await page.reload();
    await page.getByTestId('tab-run').click();
    for (const id of ['variant-large@q4', 'variant-bild@q4']) expect(await page.getByTestId(id).isChecked()).toBe(true);
    expect(await page.getByTestId('block-size').inputValue()).toBe('64');

    const summary = await runFromForm();
    expect(summary.variants.map((v) => v.id)).toEqual(['large', 'bild', 'large@q4', 'bild@q4']);
    const q4 = summary.environment!.models.filter((m) => m.dtype === 'q4');
    expect(q4.map((m) => [m.role, m.ref, m.quant?.blockSize])).toEqual([['large', 'demo/large', 64]]);
    expect((await summaryCell('bild@q4', 'weights'))?.trim()).toBe('· small fp32 · large q4');
    for (const id of ['large@q4', 'bild@q4']) expect(await summaryCell(id, 'vs-fp32')).toMatch(/^[+-]\d+\.\d\d \[/);
  });

  it('the quantized-drafter preset makes the large model at q4 BiLD’s small model', async () => {
    for (const id of ['variant-large@q4', 'variant-bild@q4']) await page.getByTestId(id).uncheck();
    await page.getByTestId('method-bild').uncheck();
    await page.getByTestId('quantized-drafter-preset').click();
    expect(await page.getByTestId('small-model').inputValue()).toBe('demo/large');
    expect(await page.getByTestId('small-dtype').inputValue()).toBe('q4');
    expect(await page.getByTestId('method-bild').isChecked()).toBe(true);

    const summary = await runFromForm();
    const models = summary.environment!.models.map((m) => [m.role, m.ref, m.dtype]);
    expect(models).toEqual(expect.arrayContaining([['small', 'demo/large', 'q4'], ['large', 'demo/large', 'fp32']]));
    expect((await summaryCell('bild', 'weights'))?.trim()).toBe('· small q4 · large fp32');
  });

  it('names and marks the extra variant the engine refuses as the same as a plain method', async () => {
    await page.getByTestId('variant-large@q4').check();
    await page.getByTestId('dtype').selectOption('q4'); // large@q4 now decodes as large does
    await page.getByTestId('run-button').click();
    const notice = page.getByTestId('notice');
    await notice.waitFor();
    expect(await notice.textContent()).toContain("“extra variants”: 'large@q4' is 'large'");
    const group = page.getByTestId('extra-variants');
    expect(await group.getAttribute('aria-invalid')).toBe('true');
    // unchecked, the stale option goes (large runs at q4 already) and the group is unmarked
    await page.getByTestId('variant-large@q4').click();
    await page.getByTestId('variant-large@q4').waitFor({ state: 'detached' });
    expect(await group.getAttribute('aria-invalid')).toBeNull();
  });

  it('sends no small dtype or block size where the form hides them (the engine would refuse them)', async () => {
    await page.getByTestId('dtype').selectOption('fp32');
    await page.getByTestId('method-bild').uncheck();
    // kept from the tests above: small dtype q4, block size 64
    await expect(page.getByTestId('small-dtype').count()).resolves.toBe(0);
    await expect(page.getByTestId('block-size').count()).resolves.toBe(0);
    const summary = await runFromForm();
    expect(summary.variants.map((v) => v.id)).toEqual(['large']);
    expect(started.at(-1)).toMatchObject({ methods: ['large'], dtype: 'fp32' });
    for (const field of ['smallDtype', 'blockSize', 'accuracyLevel']) expect(started.at(-1)).not.toHaveProperty(field);
  });
});
