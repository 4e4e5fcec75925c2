// A `bild-bench serve` app logged in from Debian's Chromium: what every UI e2e test starts from.
// Needs `npm run build` first (the built renderer in out/renderer).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { defaultRendererDir, serveApp, type ServedApp } from '../../src-main/server/serve-app';

export const CHROMIUM = '/usr/bin/chromium';

export interface BrowserApp {
  app: ServedApp;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

export interface BrowserAppOptions {
  /** The app's BILD_BENCH_HOME (the test owns and removes it). */
  home: string;
  /** More of the served app's environment (a test Hub, say). */
  env?: Record<string, string | undefined>;
  viewport?: { width: number; height: number };
  /** Listeners that must see the first page load (404 recorders, request spies, dialogs). */
  onPage?: (page: Page) => void;
}

export async function openBrowserApp(opts: BrowserAppOptions): Promise<BrowserApp> {
  const index = join(defaultRendererDir(), 'index.html');
  if (!existsSync(index)) throw new Error(`${index} is missing: the e2e tests need the built renderer; run \`npm run build\` first`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);
  const app = await serveApp({ port: 0, env: { ...process.env, BILD_BENCH_HOME: opts.home, ...opts.env } });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  const page = await (await browser.newContext({ viewport: opts.viewport ?? { width: 1440, height: 960 } })).newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  opts.onPage?.(page);
  await page.goto(app.loginUrl); // the token becomes the page's cookie
  await page.waitForURL(app.url);
  return {
    app,
    browser,
    page,
    async close() {
      await browser.close();
      await app.close();
    },
  };
}

/**
 * One browser app for a test file, over a fresh app home: opened before its first test (then
 * `ready`, e.g. to keep the page), closed and the home removed after its last. Returns the home.
 */
export function browserAppForFile(prefix: string, ready: (b: BrowserApp) => void | Promise<void>, opts: Omit<BrowserAppOptions, 'home'> = {}): string {
  const home = mkdtempSync(join(tmpdir(), prefix));
  let opened: BrowserApp | undefined;
  beforeAll(async () => {
    opened = await openBrowserApp({ ...opts, home });
    await ready(opened);
  });
  afterAll(async () => {
    await opened?.close();
    rmSync(home, { recursive: true, force: true });
  });
  return home;
}

/** The Run form on the demo pair that rolls back (demo/tiny + demo/large at FB 0.8, RB 2): `methods` on `limit` test sentences. */
export async function fillRollbackDemo(page: Page, limit: number, methods: readonly string[] = ['large', 'bild']): Promise<void> {
  await page.getByTestId('tab-run').click();
  await page.getByTestId('group').selectOption('demo');
  await page.getByTestId('small-model').selectOption('demo/tiny');
  await page.getByTestId('large-model').selectOption('demo/large');
  await page.getByTestId('dataset').selectOption('toy-de-en');
  await page.getByTestId('split').selectOption('test');
  await page.getByTestId('limit').fill(String(limit));
  for (const m of ['large', 'small', 'bild', 'speculative']) await page.getByTestId(`method-${m}`).setChecked(methods.includes(m));
  await page.getByTestId('fallback').fill('0.8');
  await page.getByTestId('rollback').fill('2');
}

/** Whether an element is in the viewport (to a pixel: layout positions are fractional): whole, or, taller than the viewport, from its top. */
export function inViewport(element: Locator): Promise<boolean> {
  return element.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const height = el.ownerDocument.documentElement.clientHeight; // the viewport's, without a horizontal scroll bar
    return r.top >= -1 && (r.bottom <= height + 1 || (r.height > height && r.top < height));
  });
}

/** Whether an element ends below the viewport (what would open after it is out of sight). */
export function endsBelowViewport(element: Locator): Promise<boolean> {
  return element.evaluate((el) => el.getBoundingClientRect().bottom > el.ownerDocument.documentElement.clientHeight);
}
