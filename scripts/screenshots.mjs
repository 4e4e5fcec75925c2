#!/usr/bin/env node
// The README's screenshots (docs/img): the built app served with a temporary BILD_BENCH_HOME, driven
// by Chromium at 1440×900 on the demo pair. Run `npm run build` first.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const OUT = 'docs/img';
const home = mkdtempSync(join(tmpdir(), 'bild-screenshots-'));
const server = spawn(process.execPath, ['bin/bild-bench.js', 'serve', '--port', '0'], {
  env: { ...process.env, BILD_BENCH_HOME: home },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const loginUrl = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /serving at (\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`bild-bench serve exited with ${code}`)));
});

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(loginUrl); // the token becomes the page's cookie
  await page.waitForURL((u) => !u.search.includes('token='));
  mkdirSync(OUT, { recursive: true });

  // (a) large + BiLD on the demo pair at the form's default FB 0.8, RB 2; a sentence with a rollback
  await page.getByTestId('tab-run').click();
  await page.getByTestId('group').selectOption('demo');
  await page.getByTestId('small-model').selectOption('demo/tiny');
  await page.getByTestId('large-model').selectOption('demo/large');
  await page.getByTestId('dataset').selectOption('toy-de-en');
  await page.getByTestId('split').selectOption('test');
  await page.getByTestId('limit').fill('12');
  for (const m of ['large', 'small', 'bild', 'speculative']) await page.getByTestId(`method-${m}`).setChecked(m === 'large' || m === 'bild');
  await page.getByTestId('fallback').fill('0.8');
  await page.getByTestId('rollback').fill('2');
  await page.getByTestId('run-button').click();
  await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 300_000 });
  await page.getByTestId('filter-rollbacks').check();
  await page.getByTestId('sentence-row').first().click();
  const tokens = page.getByTestId('token-view');
  await tokens.getByTestId('rollback').first().waitFor();
  await tokens.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(OUT, 'run-token-view.png') });

  // (b) a small FB × RB sweep: the grid and the Pareto chart
  await page.getByTestId('tab-sweep').click();
  await page.getByLabel('small alone').setChecked(false); // else the demo's small model alone is the whole front
  await page.getByTestId('sweep-fb').fill('0.5, 0.8, 0.95');
  await page.getByTestId('sweep-rb').fill('2, 6');
  await page.getByTestId('sweep-button').click();
  await page.locator('.sweep [data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 300_000 });
  await page.getByTestId('pareto-chart').waitFor();
  await page.locator('.sweep-results').screenshot({ path: join(OUT, 'sweep.png') });
} finally {
  await browser.close();
  server.kill();
  rmSync(home, { recursive: true, force: true });
}
