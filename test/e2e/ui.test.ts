// The UI as a researcher drives it: the local server (engine in its worker) serving the built
// renderer, in Debian's headless chromium. Needs `npm run build` first (out/renderer).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src-main/engine/runner/csv';
import { defaultRendererDir, serveApp, type ServedApp } from '../../src-main/server/serve-app';
import { DATASETS } from '../helpers/paths';
import { postApi } from '../helpers/served-app';

const CHROMIUM = '/usr/bin/chromium';
const home = mkdtempSync(join(tmpdir(), 'bild-e2e-home-'));
const shots = process.env.BILD_E2E_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'bild-e2e-shots-'));
let app: ServedApp;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const index = join(defaultRendererDir(), 'index.html');
  if (!existsSync(index)) throw new Error(`${index} is missing: the e2e tests need the built renderer; run \`npm run build\` first`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);
  mkdirSync(shots, { recursive: true });
  app = await serveApp({ port: 0, env: { ...process.env, BILD_BENCH_HOME: home } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1440, height: 960 } });
  page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(app.loginUrl); // the server's token becomes the page's cookie
  await page.waitForURL(app.url); // the login page goes on to the app, without the token
  console.log(`screenshots: ${shots}`);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(home, { recursive: true, force: true });
});

/** Points the form at the embedded demo pair and dataset. */
async function configure(limit: number, split = 'test'): Promise<void> {
  await page.getByTestId('tab-run').click();
  await page.getByTestId('group').selectOption('demo');
  await page.getByTestId('small-model').selectOption('demo/small');
  await page.getByTestId('large-model').selectOption('demo/large');
  await page.getByTestId('dataset').selectOption('toy-de-en');
  await page.getByTestId('split').selectOption(split);
  await page.getByTestId('limit').fill(String(limit));
  for (const m of ['large', 'small', 'bild', 'speculative']) await page.getByTestId(`method-${m}`).setChecked(m === 'large' || m === 'bild');
}

/** Records every value the latency chart's point count takes, to prove the chart grows live. */
async function recordChartPoints(): Promise<void> {
  // A string, so that this Node-side file needs no DOM types.
  await page.evaluate(`(() => {
    window.seenPoints = [];
    const canvas = document.querySelector('[data-testid="latency-chart"]');
    new MutationObserver(() => window.seenPoints.push(Number(canvas.getAttribute('data-points'))))
      .observe(canvas, { attributes: true, attributeFilter: ['data-points'] });
  })()`);
}

describe('BiLD Bench UI over the local server', () => {
  it('shows the catalog with the embedded demo pair on disk', async () => {
    await page.getByTestId('tab-models').click();
    const demoLarge = page.locator('tr[data-model="demo/large"]');
    await expect.poll(() => demoLarge.getByTestId('disk-state').textContent()).toBe('embedded');
    await expect.poll(() => page.locator('tr[data-model="iwslt2017-de-en/large"] button', { hasText: 'Download' }).count()).toBe(1);
    await page.screenshot({ path: join(shots, 'models.png'), fullPage: true });
    // "use this pair" points the run form at the group's models, also when the form is not on screen
    await page.getByTestId('tab-run').click();
    await page.getByTestId('group').selectOption('iwslt2017-de-en');
    expect(await page.getByTestId('large-model').inputValue()).toBe('iwslt2017-de-en/large');
    await page.getByTestId('tab-models').click();
    await page.locator('div.group').filter({ has: page.locator('tr[data-model="demo/large"]') }).getByText('use this pair').click();
    await page.getByTestId('tab-run').click();
    expect([await page.getByTestId('small-model').inputValue(), await page.getByTestId('large-model').inputValue()]).toEqual(['demo/small', 'demo/large']);
  });

  it('runs large + BiLD on 10 demo sentences with live rows and chart, then the summary', async () => {
    await configure(10);
    await recordChartPoints();
    await page.getByTestId('run-button').click();
    await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 90_000 });

    const seen = (await page.evaluate('window.seenPoints')) as number[];
    expect(seen.some((n) => n > 0 && n < 10), `chart point counts seen: ${seen.join(',')}`).toBe(true);
    expect(seen.at(-1)).toBe(10);
    expect(await page.getByTestId('sentence-row').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('sentence-row').first().locator('tr').count()).toBe(2); // large and bild

    const table = page.getByTestId('summary-table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    expect(await table.locator('thead').textContent()).toContain('BLEU');
    expect(await table.locator('thead').textContent()).toContain('speedup');
    const bleu = Number(await table.locator('tr[data-variant="bild"] [data-col="quality"]').textContent());
    expect(bleu).toBeGreaterThan(50); // the demo pair keeps ~100 BLEU
    expect(await table.locator('tr[data-variant="large"] [data-col="speedup"]').textContent()).toBe('1.00×');
    expect(await table.locator('tr[data-variant="bild"] [data-col="speedup"]').textContent()).toMatch(/^\d+\.\d\d×$/);
    expect(await page.getByTestId('summary').textContent()).toMatch(/Deviations from the official BiLD code/);
    // threads as resolved per model: one for toy-t5-small (under 16 MB), onnxruntime's default for toy-t5-large
    expect(await page.getByTestId('summary').textContent()).toContain('threads small 1, large default');
    await page.screenshot({ path: join(shots, 'run.png'), fullPage: true });
    sequentialBleu = bleu;
  });

  let sequentialBleu = NaN;
  it('runs BiLD pipelined on the same sentences: same BLEU, and the summary says so', async () => {
    await configure(10);
    await page.getByTestId('pipeline').setChecked(true);
    await page.getByTestId('run-button').click();
    await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 90_000 });
    const table = page.getByTestId('summary-table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    expect(Number(await table.locator('tr[data-variant="bild"] [data-col="quality"]').textContent())).toBe(sequentialBleu);
    expect(await page.getByTestId('summary').textContent()).toContain('BiLD pipelined');
    await page.getByTestId('pipeline').setChecked(false);
  });

  it('refuses HTTP requests that would write into any folder', async () => {
    expect((await postApi(app, 'exportRun', [{ runId: 'x', dir: join(home, 'anywhere') }])).status).toBe(404);
    const r = await postApi(app, 'startRun', [{ models: { large: 'demo/large' }, methods: ['large'], dataset: { name: 'demo' }, outDir: join(home, 'anywhere') }]);
    expect(r).toEqual({ status: 400, body: { error: { message: 'startRun: outDir is for the CLI; runs started from the app are written under its home folder', userError: true } } });
    expect(existsSync(join(home, 'anywhere'))).toBe(false);
  });

  it('shows why a file outside the allowed folders is refused', async () => {
    await page.getByTestId('dataset').selectOption('__file__');
    await page.getByTestId('dataset-path').fill('/no/such/data.jsonl');
    await page.getByTestId('run-button').click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain(`'/no/such/data.jsonl': not in a folder this app may read (allowed: ${home}, `);
  });

  it('runs a local TSV file whose columns the form names', async () => {
    const pairs = readFileSync(join(DATASETS, 'toy-de-en.test.jsonl'), 'utf8').trim().split('\n').slice(0, 3);
    const tsv = join(home, 'pairs.tsv');
    const rows = pairs.map((l) => (JSON.parse(l) as { translation: { de: string; en: string } }).translation);
    writeFileSync(tsv, ['german\tenglish', ...rows.map((p) => `${p.de}\t${p.en}`)].join('\n') + '\n');
    await configure(3);
    await page.getByTestId('dataset').selectOption('__file__');
    await page.getByTestId('dataset-path').fill(tsv);
    await page.getByTestId('source-field').fill('german');
    await page.getByTestId('target-field').fill('english');
    await page.getByTestId('run-button').click();
    await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('summary').textContent()).toContain('3 / 3');
  });

  it('cancels a second run mid-way and shows the partial result', async () => {
    await configure(1000, 'validation');
    await page.getByTestId('run-button').click();
    const points = () => page.getByTestId('latency-chart').getAttribute('data-points').then(Number);
    await expect.poll(points, { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
    // a reload forgets the page's state: the app finds the running job again, with its sentences so far
    await page.reload();
    await page.locator('[data-testid="job-status"][data-status="running"]').waitFor({ timeout: 30_000 });
    await expect.poll(points).toBeGreaterThanOrEqual(3);
    // a dropped event stream loses events: on reconnecting the app catches up from the history
    await page.context().setOffline(true);
    const before = await points();
    await new Promise((r) => setTimeout(r, 1500));
    await page.context().setOffline(false);
    await expect.poll(points, { timeout: 30_000 }).toBeGreaterThan(before + 5);
    // one job at a time: Sweep waits for the run
    await page.getByTestId('tab-sweep').click();
    expect(await page.getByTestId('sweep-button').isDisabled()).toBe(true);
    await page.getByTestId('tab-run').click();
    await page.getByTestId('cancel-button').click();
    await page.locator('[data-testid="job-status"][data-status="cancelled"]').waitFor({ timeout: 60_000 });
    const summary = page.getByTestId('summary');
    await expect.poll(() => summary.textContent()).toMatch(/Cancelled: the numbers cover the \d+ sentences/);
    const done = Number(/· (\d+) \/ 1000 sentences/.exec((await summary.textContent()) ?? '')?.[1]);
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(1000);
    expect(await points()).toBe(done); // every finished sentence is in the chart: none lost while offline
    await expect.poll(() => page.getByTestId('summary-table').locator('tbody tr').count()).toBe(2);
  });

  it('sweeps a small FB × RB grid and draws the Pareto chart', async () => {
    await configure(4);
    await page.getByTestId('tab-sweep').click();
    await page.getByTestId('sweep-fb').fill('0.5, 0.9');
    await page.getByTestId('sweep-rb').fill('2, 6');
    await page.getByTestId('sweep-button').click();
    await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 90_000 });
    await expect.poll(() => page.getByTestId('sweep-grid').locator('tbody tr').count()).toBe(2);
    await page.getByTestId('pareto-chart').waitFor();
    // the grid as typed survives a visit to another tab
    await page.getByTestId('tab-history').click();
    await page.getByTestId('tab-sweep').click();
    expect([await page.getByTestId('sweep-fb').inputValue(), await page.getByTestId('sweep-rb').inputValue()]).toEqual(['0.5, 0.9', '2, 6']);
    await page.screenshot({ path: join(shots, 'sweep.png'), fullPage: true });
  });

  it('lists the runs in the history and exports a CSV', async () => {
    await page.getByTestId('tab-history').click();
    const rows = page.getByTestId('history-table').locator('tbody tr[data-run]');
    await expect.poll(() => rows.count()).toBe(5);
    // Newest first: the sweep, the cancelled run, the TSV run, the pipelined run, then the first 10-sentence run.
    const completed = rows.nth(4);
    expect(await rows.nth(2).textContent()).toContain('pairs.tsv');
    expect(await rows.nth(3).textContent()).toContain('10 / 10');
    expect(await completed.textContent()).toContain('10 / 10');
    expect(await rows.nth(1).textContent()).toContain('cancelled');

    const [download] = await Promise.all([page.waitForEvent('download'), completed.getByTestId('export-csv').click()]);
    const file = join(home, 'exported.csv');
    await download.saveAs(file);
    expect(download.suggestedFilename()).toMatch(/sentences\.csv$/);
    const csv = parseCsv(readFileSync(file, 'utf8'));
    expect(csv).toHaveLength(1 + 2 * 10); // header + one row per sentence and method

    await rows.nth(1).locator('input[type="checkbox"]').check();
    await completed.locator('input[type="checkbox"]').check();
    await page.getByTestId('compare-button').click();
    await expect.poll(() => page.getByTestId('comparison').locator('tbody tr').count()).toBe(4);
    await page.screenshot({ path: join(shots, 'history.png'), fullPage: true });
  });
});
