// Logging in from another site, in Debian's headless chromium: `serve --open` hands the browser a
// file:// page that redirects to the login URL, and a user may click the printed link in a web page
// (a chat, a portal). A SameSite=Strict cookie set by a reply to such a cross-site navigation is
// withheld from the rest of it, so the server must reach the app through a same-origin step.
// Needs `npm run build` first (out/renderer).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOpenPage } from '../../src-main/cli/commands/serve';
import { serveApp, type ServedApp } from '../../src-main/server/serve-app';

const CHROMIUM = '/usr/bin/chromium';
const home = mkdtempSync(join(tmpdir(), 'bild-browser-login-'));
let app: ServedApp;
let browser: Browser;
let otherSite: Server; // http://localhost:<port>: another site than http://127.0.0.1
let openPage: { dir: string; url: string };

beforeAll(async () => {
  app = await serveApp({ port: 0, env: { ...process.env, BILD_BENCH_HOME: home } });
  openPage = writeOpenPage(app.loginUrl);
  otherSite = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><a id="link" href="${app.loginUrl}">BiLD Bench</a>`);
  });
  await new Promise<void>((ok) => otherSite.listen(0, '127.0.0.1', ok));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  otherSite?.close();
  rmSync(openPage.dir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

/** The status of an API call the page itself makes, with whatever cookie it holds. */
const apiStatus = (page: Page) =>
  page.evaluate(`fetch('/api/listRuns', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }).then((r) => r.status)`);

/** The app, not the 401 page, is on screen and its API calls pass; also after a reload. */
async function expectLoggedIn(page: Page): Promise<void> {
  await page.waitForURL(app.url);
  for (const reload of [false, true]) {
    if (reload) await page.reload();
    expect(await page.textContent('body')).not.toContain('needs its token');
    await page.getByTestId('tab-run').waitFor();
    expect(await apiStatus(page)).toBe(200);
  }
}

describe('logging in from another site', () => {
  it("through `serve --open`'s file:// redirect page", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(openPage.url);
    await expectLoggedIn(page);
  });

  it('through the printed link clicked in a page of another site', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`http://localhost:${(otherSite.address() as AddressInfo).port}/`);
    await page.click('#link');
    await expectLoggedIn(page);
  });
});
