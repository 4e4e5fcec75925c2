// The token view: clicking a sentence row shows each method's output as tokens by origin, with
// rolled-back tokens struck through before their replacement. Needs `npm run build` first
// (out/renderer) and Debian's chromium, as test/e2e/ui.test.ts.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunDetail } from '../../src-main/engine/api/types';
import { browserAppForFile, fillRollbackDemo } from '../helpers/browser-app';

let page: Page;
browserAppForFile('bild-e2e-tokens-', (b) => {
  page = b.page;
});

describe('token view', () => {
  it('shows a rolled-back sentence: struck-through removed pieces before their replacement, and the legend', async () => {
    // demo/tiny is weak enough that FB 0.8, RB 2 rolls back on some of the first 10 demo sentences
    await fillRollbackDemo(page, 10);
    await page.getByTestId('run-button').click();
    await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 90_000 });

    // the run as the engine stored it, asked for with the page's cookie
    const runId = (await page.getByTestId('job-status').locator('span.muted.small').textContent())!.trim();
    const reply = (await page.evaluate(
      `fetch('api/getRun', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify([runId]))} }).then((r) => r.json())`,
    )) as { result: RunDetail };
    const shown = await page.getByTestId('sentence-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-position'))));
    const sentence = reply.result.sentences.find((s) => shown.includes(s.position) && s.outputs.some((o) => (o.trace?.rollbacks.length ?? 0) > 0));
    expect(sentence, 'a listed sentence with a rollback').toBeDefined();
    const trace = sentence!.outputs.find((o) => o.variant === 'bild')!.trace!;

    await page.locator(`[data-testid="sentence-row"][data-position="${sentence!.position}"]`).click();
    const view = page.getByTestId('token-view');
    await view.waitFor();
    const bild = view.locator('.token-row[data-variant="bild"]');
    // every output token, in order, with its piece and origin
    expect(await bild.locator('.tok[data-origin]').allTextContents()).toEqual(trace.pieces);
    expect((await bild.locator('.tok[data-origin]').evaluateAll((ts) => ts.map((t) => t.getAttribute('data-origin')))).join('')).toBe(trace.origin);
    // each rollback: its removed pieces struck through, followed by the replacement token
    const rollbacks = bild.getByTestId('rollback');
    expect(await rollbacks.count()).toBe(trace.rollbacks.length);
    for (const [k, r] of trace.rollbacks.entries()) {
      const span = rollbacks.nth(k);
      expect(await span.locator('s').allTextContents()).toEqual(r.removedPieces);
      const next = span.locator('xpath=following-sibling::span[1]');
      expect([await next.textContent(), await next.getAttribute('data-origin')]).toEqual([trace.pieces![r.position], 'R']);
      expect(r.removedPieces!.length).toBeGreaterThan(0);
    }
    // the tooltips compare with the thresholds
    expect(await bild.locator('.tok[data-origin="R"]').first().getAttribute('title')).toMatch(/> RB 2$/);
    // large-only has no trace: its text
    expect(await view.locator('.token-row[data-variant="large"]').textContent()).toContain(sentence!.outputs.find((o) => o.variant === 'large')!.text);
    const legend = await view.getByTestId('token-legend').textContent();
    for (const words of ['small model', 'after a fallback', 'maxSmall', 'replacing rolled-back', 'rolled back', 'fallback point', 'FB', 'RB']) expect(legend).toContain(words);
    if (process.env.BILD_E2E_SCREENSHOTS) await view.screenshot({ path: join(process.env.BILD_E2E_SCREENSHOTS, 'token-view.png') });
  });
});
