// The UI defects of issue #14, each checked in Chromium over the local server (after `npm run build`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedApp } from '../../src-main/server/serve-app';
import { openBrowserApp, type BrowserApp } from '../helpers/browser-app';

const home = mkdtempSync(join(tmpdir(), 'bild-e2e-defects-'));
let app: ServedApp;
let browserApp: BrowserApp | undefined;
let page: Page;
const notFound: string[] = [];
/** The bodies of the startRun requests the page sent. */
const started: unknown[] = [];

beforeAll(async () => {
  const onPage = (p: Page): void => {
    p.on('response', (r) => {
      if (r.status() === 404) notFound.push(r.url());
    });
    p.on('request', (r: Request) => {
      if (r.url().endsWith('/api/startRun')) started.push((JSON.parse(r.postData() ?? '[]') as unknown[])[0]);
    });
  };
  ({ app, page } = browserApp = await openBrowserApp({ home, onPage }));
  await page.getByTestId('run-button').waitFor();
  await page.locator('[data-testid="small-model"] option[value="demo/tiny"]').waitFor({ state: 'attached' });
});

afterAll(async () => {
  await browserApp?.close();
  rmSync(home, { recursive: true, force: true });
});

const value = (id: string): Promise<string> => page.getByTestId(id).inputValue();

/** Runs the form as it stands and waits for the job to finish. */
async function runToEnd(): Promise<void> {
  await page.getByTestId('run-button').click();
  await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 90_000 });
}

describe('UI defects (issue #14)', () => {
  it('loads without a 404 (the favicon exists)', async () => {
    await page.reload();
    await page.getByTestId('run-button').waitFor();
    expect(notFound).toEqual([]);
    expect(await page.locator('link[rel="icon"]').count()).toBe(1);
  });

  it('opens on the BiLD demo preset: demo/tiny + demo/large, FB 0.8, RB 2', async () => {
    expect([await value('small-model'), await value('large-model'), await value('dataset'), await value('fallback'), await value('rollback')]).toEqual([
      'demo/tiny',
      'demo/large',
      'toy-de-en',
      '0.8',
      '2',
    ]);
    await page.getByTestId('small-model').selectOption('demo/small');
    await page.getByTestId('fallback').fill('0.6');
    await page.getByTestId('demo-preset').click();
    expect([await value('small-model'), await value('fallback'), await value('rollback')]).toEqual(['demo/tiny', '0.8', '2']);
  });

  it('steps RB by 1 and FB by 0.1, and still takes a fractional RB', async () => {
    await page.getByTestId('rollback').fill('5');
    await page.getByTestId('rollback').press('ArrowUp');
    expect(await value('rollback')).toBe('6');
    await page.getByTestId('fallback').fill('0.5');
    await page.getByTestId('fallback').press('ArrowUp');
    expect(await value('fallback')).toBe('0.6');
    await page.getByTestId('rollback').fill('2.5');
    await page.getByTestId('limit').fill('2');
    await runToEnd();
    expect(started.at(-1)).toMatchObject({ bild: { fallback: 0.6, rollback: 2.5 } });
    await page.getByTestId('demo-preset').click();
  });

  it('shows advanced settings with the engine defaults, sent only when set and relevant', async () => {
    expect(await page.getByTestId('max-small').getAttribute('placeholder')).toBe('10');
    expect(await page.getByTestId('max-length').getAttribute('placeholder')).toBe('128');
    expect(await page.getByTestId('draft').count()).toBe(0); // speculative is off
    await page.getByTestId('method-speculative').setChecked(true);
    expect(await page.getByTestId('draft').getAttribute('placeholder')).toBe('4');
    await page.getByTestId('draft').fill('3');
    await page.getByTestId('max-small').fill('6');
    await page.getByTestId('repeats').fill('2');
    await page.getByTestId('warmup').fill('0');
    await runToEnd();
    const spec = started.at(-1) as Record<string, unknown>;
    expect(spec).toMatchObject({ draft: 3, repeats: 2, warmup: 0, bild: { fallback: 0.8, rollback: 2, maxSmall: 6 } });
    expect(spec).not.toHaveProperty('maxLength');
    // without speculative, no draft is sent
    await page.getByTestId('method-speculative').setChecked(false);
    await runToEnd();
    expect(started.at(-1)).not.toHaveProperty('draft');
  });

  it('keeps the form across a reload, and drops a stored model the catalog lacks', async () => {
    await page.getByTestId('limit').fill('7');
    await page.getByTestId('label').fill('kept');
    await page.reload();
    await page.getByTestId('run-button').waitFor();
    await expect.poll(() => value('label')).toBe('kept');
    expect([await value('limit'), await value('max-small'), await value('repeats')]).toEqual(['7', '6', '2']);
    await page.evaluate(`(() => {
      const c = JSON.parse(localStorage.getItem('bild-bench.config'));
      localStorage.setItem('bild-bench.config', JSON.stringify({ ...c, small: 'gone/model', limit: 'x' }));
    })()`);
    await page.reload();
    await page.getByTestId('run-button').waitFor();
    await expect.poll(() => value('small-model')).toBe('demo/tiny');
    expect(await value('limit')).toBe('10');
    expect(await value('label')).toBe('kept');
  });

  it('shows every dataset title in full in its select', async () => {
    // A string, so that this Node-side file needs no DOM types: the widest option's text against the room inside the select.
    const [widest, room] = (await page.evaluate(`(() => {
      const select = document.querySelector('[data-testid="dataset"]');
      const style = getComputedStyle(select);
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = style.font;
      const widest = Math.max(...[...select.options].map((o) => ctx.measureText(o.text).width));
      // the room left of the drop-down arrow (about 20px)
      return [widest, select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20];
    })()`)) as [number, number];
    expect(widest).toBeLessThanOrEqual(room);
  });

  it('shows a running run live in the history, and elapsed, rate and ETA in its progress', async () => {
    await page.getByTestId('limit').fill('300');
    await page.getByTestId('split').selectOption('validation');
    await page.getByTestId('run-button').click();
    const timing = page.getByTestId('job-timing');
    await expect.poll(() => timing.textContent(), { timeout: 60_000 }).toMatch(/\d+ s elapsed · \d+\.\d\d sentences\/s · ETA \d/);
    await page.getByTestId('tab-history').click();
    const row = page.locator('tr[data-run]').first();
    const count = row.getByTestId('history-sentences');
    // the live count, read while the history still lists the run as running (a finished run's count comes from its summary)
    await expect
      .poll(
        async () => {
          const [status, text] = [await row.locator('.status').textContent(), (await count.textContent()) ?? ''];
          return status === 'running' && Number(text.split(' / ')[0]) > 0 ? text : null;
        },
        { timeout: 30_000 },
      )
      .toMatch(/^\d+ \/ 300$/);
    await page.getByTestId('tab-run').click();
    // cancel it if it is still going; either way the run must end
    const cancel = page.getByTestId('cancel-button');
    if (await cancel.isEnabled()) await cancel.click();
    await page.locator('[data-testid="job-status"][data-status="cancelled"], [data-testid="job-status"][data-status="done"]').waitFor({ timeout: 60_000 });
  });
});
