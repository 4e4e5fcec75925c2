// The token view against large (issue #14): large's output aligned beneath a traced output with the
// words they do not share highlighted, "same as large" for identical outputs; a quality-chart point
// opening its sentence's token view; long unbroken text wrapping in the sentence table. In Chromium
// over the local server (after `npm run build`).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunDetail } from '../../src-main/engine/api/types';
import { browserAppForFile, endsBelowViewport, fillRollbackDemo, inViewport } from '../helpers/browser-app';

const SENTENCES = 12;
let page: Page;
const home = browserAppForFile('bild-e2e-token-diff-', async (b) => {
  page = b.page;
  await page.locator('[data-testid="small-model"] option[value="demo/tiny"]').waitFor({ state: 'attached' });
});

/** Runs the form to its end and returns the stored run as the page reads it. */
async function runToEnd(): Promise<RunDetail> {
  const started = page.waitForResponse((r) => r.url().endsWith('/api/startRun'));
  await page.getByTestId('run-button').click();
  const { result } = (await (await started).json()) as { result: { runId: string } };
  await page.locator(`[data-testid="job-status"][data-status="completed"]`).waitFor({ timeout: 90_000 });
  const reply = (await page.evaluate(
    `fetch('api/getRun', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify([result.runId]))} }).then((r) => r.json())`,
  )) as { result: RunDetail };
  return reply.result;
}

const words = (text: string): string[] => text.split(/\s+/).filter((w) => w !== '');

/** The length of the longest common subsequence of two word lists. */
function lcsLength(a: string[], b: string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const row = [0];
    for (let j = 0; j < b.length; j++) row.push(x === b[j] ? prev[j]! + 1 : Math.max(prev[j + 1]!, row[j]!));
    prev = row;
  }
  return prev[b.length]!;
}

const openRow = async (position: number): Promise<void> => {
  await page.locator(`[data-testid="sentence-row"][data-position="${position}"]`).click();
  await expect.poll(() => page.getByTestId('token-view').locator('h3').textContent()).toContain(`Sentence ${position + 1}:`);
};

describe('token view against large, chart click-through, long words (issue #14)', () => {
  let run: RunDetail;

  it("aligns large's output beneath BiLD's and highlights exactly the words they do not share", async () => {
    await fillRollbackDemo(page, SENTENCES, ['large', 'bild']);
    run = await runToEnd();
    const bildOf = (s: RunDetail['sentences'][number]) => s.outputs.find((o) => o.variant === 'bild')!;
    const differing = run.sentences.find((s) => bildOf(s).identicalToLarge === false);
    const same = run.sentences.find((s) => bildOf(s).identicalToLarge === true);
    expect(differing, 'demo/tiny at FB 0.8, RB 2 changes some sentence').toBeDefined();
    expect(same, 'and leaves some sentence as large wrote it').toBeDefined();

    await openRow(differing!.position);
    const row = page.getByTestId('token-view').locator('.token-row[data-variant="bild"]');
    const versus = row.getByTestId('versus-large');
    await versus.waitFor();
    const mine = words(bildOf(differing!).text);
    const large = words(differing!.outputs.find((o) => o.method === 'large')!.text);
    const shared = lcsLength(mine, large);
    // both lines read as the outputs, and the unhighlighted words are a longest common subsequence
    const columns = await versus.getByTestId('diff-column').evaluateAll((cs) =>
      cs.map((c) => ({ mine: c.querySelector('.mine')!, large: c.querySelector('.large')! })).map(({ mine, large }) => ({
        mine: mine.textContent!,
        large: large.textContent!,
        mineDiff: mine.classList.contains('diff'),
        largeDiff: large.classList.contains('diff'),
      })),
    );
    expect(columns.map((c) => c.mine).filter((w) => w !== '')).toEqual(mine);
    expect(columns.map((c) => c.large).filter((w) => w !== '')).toEqual(large);
    expect(columns.filter((c) => c.mineDiff)).toHaveLength(mine.length - shared);
    expect(columns.filter((c) => c.largeDiff)).toHaveLength(large.length - shared);
    for (const c of columns) {
      // a column is either a shared word (no highlight) or words that differ (each highlighted)
      if (!c.mineDiff && !c.largeDiff) expect(c.mine).toBe(c.large);
      else expect(c.mine).not.toBe(c.large);
      expect(c.mineDiff).toBe(c.mine !== '' && c.mine !== c.large);
      expect(c.largeDiff).toBe(c.large !== '' && c.mine !== c.large);
    }
    expect(await page.getByTestId('token-legend').textContent()).toContain("large's (aligned beneath)");
    // large's own row has no comparison
    expect(await page.getByTestId('token-view').locator('.token-row[data-variant="large"]').getByTestId('versus-large').count()).toBe(0);

    await openRow(same!.position);
    expect(await page.getByTestId('token-view').locator('.token-row[data-variant="bild"]').getByTestId('same-as-large').textContent()).toBe('same as large');
    expect(await page.getByTestId('token-view').getByTestId('versus-large').count()).toBe(0);
  });

  it("a quality-chart point opens its sentence's token view and scrolls it into view", async () => {
    await page.getByTestId('token-view-close').click();
    await expect.poll(() => page.getByTestId('token-view').count()).toBe(0);
    const chart = page.getByTestId('quality-chart');
    await chart.scrollIntoViewIfNeeded();
    const pixels = ((await chart.getAttribute('data-pixels')) ?? '').split(' ').map((p) => p.split(/[:,]/).map(Number) as [number, number, number]);
    expect(pixels).toHaveLength(SENTENCES);
    await page.setViewportSize({ width: 1440, height: 480 }); // a laptop's window, half filled by the browser's bars
    // 7 twice: picking the shown sentence again brings it back into view too
    for (const target of [7, 7, 2]) {
      const [position, x, y] = pixels.find(([p]) => p === target)!;
      await chart.scrollIntoViewIfNeeded();
      // the token view opens below the sentence table, which the viewport does not reach from the chart
      expect(await endsBelowViewport(page.getByTestId('sentence-table'))).toBe(true);
      await chart.click({ position: { x, y } });
      await expect.poll(() => page.getByTestId('token-view').locator('h3').textContent()).toContain(`Sentence ${position + 1}:`);
      expect(await page.locator('[data-testid="sentence-row"].selected').getAttribute('data-position')).toBe(String(position));
      expect(await inViewport(page.getByTestId('token-view'))).toBe(true);
    }
    await page.setViewportSize({ width: 1440, height: 960 });
  });

  it('wraps a long unbroken word so that the numeric columns stay in view', async () => {
    const word = 'Donaudampfschifffahrtsgesellschaftskapitänswitwe'.repeat(7).slice(0, 300);
    const file = join(home, 'long-word.jsonl');
    const rows = [word, 'Das Haus ist klein.', `${word} ist lang.`].map((de) => JSON.stringify({ translation: { de, en: 'a long word' } }));
    writeFileSync(file, rows.join('\n') + '\n');
    await fillRollbackDemo(page, 3, ['large']);
    await page.getByTestId('dataset').selectOption('__file__');
    await page.getByTestId('dataset-path').fill(file);
    await page.setViewportSize({ width: 900, height: 900 });
    await runToEnd();
    const wrap = page.getByTestId('sentence-table').locator('xpath=..');
    await expect.poll(() => page.getByTestId('sentence-row').count()).toBe(3);
    const box = (await wrap.boundingBox())!;
    const cells = await page.getByTestId('sentence-table').locator('td.num').evaluateAll((tds) => tds.map((td) => td.getBoundingClientRect().right));
    expect(cells.length).toBe(3 * 5);
    for (const right of cells) expect(right).toBeLessThanOrEqual(box.x + box.width + 0.5);
    // the 300-character word is in the table, wrapped
    expect(await page.getByTestId('sentence-table').textContent()).toContain(word);
  });
});
