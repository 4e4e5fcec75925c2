// The Models view and the app's errors as a researcher meets them (issue #14): sizes and column
// headers, deleting a model downloaded from the Hub look-alike server, "use this pair" switching to
// the Run view, and an out-of-range FB named and marked as the form names it. Needs `npm run build`.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedApp } from '../../src-main/server/serve-app';
import { openBrowserApp, type BrowserApp } from '../helpers/browser-app';
import { FakeHub, tinyT5RepoFiles } from '../helpers/hub-server';
import { postApi } from '../helpers/served-app';

const REPO = 'test-org/tiny-random-t5';
const dir = mkdtempSync(join(tmpdir(), 'bild-e2e-models-'));
const home = join(dir, 'home');
const hubCache = join(dir, 'hf', 'hub');
let hub: FakeHub;
let app: ServedApp;
let browserApp: BrowserApp | undefined;
let page: Page;

beforeAll(async () => {
  hub = new FakeHub();
  hub.addRepo('model', REPO, tinyT5RepoFiles(1));
  await hub.start();
  // the test repo as a user catalog entry, so that it has a row in the Models view
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'models.json'), JSON.stringify({ version: 1, models: [{ name: 'test/tiny', source: { kind: 'hub', repo: REPO } }] }));
  const env = { HF_HOME: join(dir, 'hf'), HF_HUB_CACHE: hubCache, HF_ENDPOINT: hub.endpoint, HF_TOKEN: '', HF_HUB_OFFLINE: '0' };
  const onPage = (p: Page): void => void p.on('dialog', (d) => void d.accept()); // the Delete confirmation
  ({ app, page } = browserApp = await openBrowserApp({ home, env, viewport: { width: 900, height: 900 }, onPage }));
});

afterAll(async () => {
  await browserApp?.close();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Models view and form errors', () => {
  it('shows column headers and sizes, and deletes a downloaded Hub model (its cache folder only)', async () => {
    await page.getByTestId('tab-models').click();
    await expect.poll(() => page.locator('tr[data-model="demo/large"]').getByTestId('model-size').textContent()).toMatch(/\d.*B/);
    const headers = await page.locator('tr[data-model="demo/large"]').locator('xpath=ancestor::table').locator('th').allTextContents();
    expect(headers).toEqual(['Model', 'Description', 'Source', 'State', 'Size', 'Download', 'Actions']);
    // the embedded demo models cannot be deleted
    expect(await page.locator('tr[data-model="demo/large"] button', { hasText: 'Delete' }).count()).toBe(0);

    const row = page.locator('tr[data-model="test/tiny"]');
    await row.getByRole('button', { name: 'download test/tiny' }).click();
    await expect.poll(() => row.getByTestId('disk-state').textContent(), { timeout: 30_000 }).toBe('downloaded');
    await expect.poll(() => row.getByTestId('model-size').textContent()).toMatch(/\d.*B/);
    const folder = join(hubCache, 'models--test-org--tiny-random-t5');
    expect(existsSync(folder)).toBe(true);

    await row.getByRole('button', { name: 'delete test/tiny' }).click();
    await expect.poll(() => row.getByTestId('disk-state').textContent()).toBe('not downloaded');
    expect(existsSync(folder)).toBe(false);
    expect(await row.getByTestId('model-size').textContent()).toBe('—');
    await row.getByRole('button', { name: 'download test/tiny' }).waitFor();
  });

  it('refuses to delete an embedded model or a path, and checks the argument type', async () => {
    expect((await postApi(app, 'deleteModel', ['demo/large'])).body.error?.message).toMatch(/not a Hub model/);
    expect((await postApi(app, 'deleteModel', ['../../etc'])).body.error?.message).toMatch(/not a Hub model/);
    expect((await postApi(app, 'deleteModel', ['org--name'])).body.error?.message).toMatch(/not a Hub model/); // would alias org/name's folder
    expect((await postApi(app, 'deleteModel', [42])).body.error?.message).toBe('deleteModel: model must be a string (got 42)');
  });

  it('"use this pair" switches to the Run view with the pair selected and a confirmation, clearing the old result', async () => {
    await page.getByTestId('tab-run').click();
    await page.getByTestId('group').selectOption('demo');
    await page.getByTestId('large-model').selectOption('demo/large');
    await page.getByTestId('limit').fill('2');
    for (const m of ['large', 'small', 'bild', 'speculative']) await page.getByTestId(`method-${m}`).setChecked(m === 'large');
    await page.getByTestId('label').fill('first');
    await page.getByTestId('run-button').click();
    await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('summary-head').textContent()).toContain('first');
    expect(await page.getByTestId('summary-head').textContent()).toContain('demo/large');

    await page.getByTestId('tab-models').click();
    await page.getByTestId('use-pair-iwslt2017-de-en').click();
    await page.getByTestId('pair-confirmation').waitFor();
    expect(await page.getByTestId('pair-confirmation').textContent()).toContain('iwslt2017-de-en/large');
    expect(await page.getByTestId('large-model').inputValue()).toBe('iwslt2017-de-en/large');
    expect(await page.getByTestId('summary-head').count()).toBe(0);
    expect(await page.getByTestId('job-status').count()).toBe(0);
  });

  it('names an out-of-range FB as the form does and marks its field until it changes', async () => {
    await page.getByTestId('group').selectOption('demo');
    await page.getByTestId('method-bild').setChecked(true);
    await page.getByTestId('fallback').fill('1.5');
    await page.getByTestId('run-button').click();
    const notice = page.getByTestId('notice');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('FB: 1.5 must be a number within 0..1');
    expect(await notice.textContent()).not.toContain('bild_fallback');
    const fb = page.getByTestId('fallback');
    expect(await fb.getAttribute('aria-invalid')).toBe('true');
    expect(await fb.getAttribute('class')).toContain('invalid');
    await fb.fill('0.5');
    await expect.poll(() => fb.getAttribute('aria-invalid')).toBeNull();
  });
});
