// Slurm from the app, in Chromium against a real single-node Slurm (scripts/slurm-local.sh): a
// BiLD run on the demo pair submitted from the Run view in 2 shards, its tasks followed to done in
// the Cluster view, collected, then opened and exported from the History with the outputs the
// tasks wrote; a sweep; a task cancelled with scancel, a partial collect, Resubmit failed and the
// whole collect; and, without sbatch on PATH, the Slurm section's export action writing the job
// folder. Needs `npm run build` first (the renderer, and the CLI the tasks run).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDetail, SentenceResult, SubmittedJob } from '../../src-main/engine/api/types';
import { CSV_COLUMNS, parseCsv } from '../../src-main/engine/runner/csv';
import { fillRollbackDemo, openBrowserApp, type BrowserApp } from '../helpers/browser-app';
import { localSlurm, pollUntil, requireBuiltCli } from '../helpers/slurm';

const SENTENCES = 6;
const slurm = localSlurm();
const dir = mkdtempSync(join(tmpdir(), 'bild-e2e-slurm-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  slurm?.stop();
});

/** An API call with the page's cookie, as the page would make it. */
async function api<T>(page: Page, method: string, args: unknown[]): Promise<T> {
  const reply = (await page.evaluate(
    `fetch('api/${method}', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify(args))} }).then((r) => r.json())`,
  )) as { result: T };
  return reply.result;
}

async function openSlurmSection(page: Page): Promise<void> {
  const section = page.getByTestId('slurm-section');
  if ((await section.getAttribute('open')) === null) await section.locator('summary').click();
}

/** The Run view's Slurm section, opened, for `limit` sentences of the rollback demo in `shards` tasks. */
async function fillSlurmRun(page: Page, shards: number): Promise<void> {
  await fillRollbackDemo(page, SENTENCES);
  await openSlurmSection(page);
  await page.getByTestId('slurm-shards').fill(String(shards));
  await page.getByTestId('slurm-parallel').fill(String(shards));
}

/** The tasks' states as the Cluster view shows them, once none is pending or running (it refreshes them itself). */
async function settledTaskStates(page: Page): Promise<string[]> {
  const states = () => page.locator('[data-testid="slurm-task"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')!));
  const settled = async () => {
    const now = await states();
    return now.length === 2 && now.every((s) => s === 'done' || s === 'failed');
  };
  await expect.poll(settled, { timeout: 300_000, interval: 500 }).toBe(true);
  return states();
}

const taskSentences = (folder: string, task: number): SentenceResult[] =>
  readFileSync(join(folder, 'tasks', String(task), 'sentences.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SentenceResult);

/** What a sentence's decodings must keep from the tasks to the history. */
const decoded = (s: SentenceResult) => [s.exampleIndex, s.source, s.outputs.map((o) => [o.variant, o.text, o.tokens, o.fallbacks, o.rollbacks])];

describe.skipIf(!slurm)('Slurm from the app', () => {
  let browserApp: BrowserApp | undefined;
  let page: Page;

  beforeAll(async () => {
    requireBuiltCli();
    ({ page } = browserApp = await openBrowserApp({ home: join(dir, 'home'), env: { SLURM_CONF: slurm!.conf } }));
  });
  afterAll(async () => browserApp?.close());

  it('submits a BiLD run in 2 shards, follows its tasks to done, collects it and shows it in the History with the tasks’ outputs', async () => {
    await fillSlurmRun(page, 2);
    await page.getByTestId('slurm-submit').click();
    const result = page.getByTestId('slurm-result');
    await result.getByTestId('slurm-job-id').waitFor({ timeout: 120_000 });
    const folder = (await result.getAttribute('data-folder'))!;
    expect(folder.startsWith(join(dir, 'home', 'slurm') + '/')).toBe(true);

    await page.getByTestId('tab-cluster').click();
    await page.locator(`[data-testid="slurm-job-status"][data-folder="${folder}"]`).waitFor();
    expect(await settledTaskStates(page)).toEqual(['done', 'done']);
    expect(await page.getByTestId('slurm-task-sentences').allTextContents()).toEqual(['3 / 3', '3 / 3']);
    await page.getByTestId('slurm-collect').click();
    const collected = page.getByTestId('slurm-collected');
    await collected.waitFor();
    const runId = (await collected.getAttribute('data-run'))!;
    expect(await page.getByTestId('slurm-collect').isDisabled()).toBe(true); // a job is collected once

    // the history's run holds the tasks' decodings, in dataset order
    const run = await api<RunDetail>(page, 'getRun', [runId]);
    expect(run.summary.slurm).toMatchObject({ jobFolder: folder, shards: 2, partial: false, collectedTasks: [0, 1] });
    expect(run.sentences.map(decoded)).toEqual([...taskSentences(folder, 0), ...taskSentences(folder, 1)].map(decoded));
    expect(run.sentences.map((s) => s.position)).toEqual([0, 1, 2, 3, 4, 5]);

    // it opens, charts and exports as a local run does
    await page.getByTestId('tab-history').click();
    const row = page.locator(`tr[data-run="${runId}"]`);
    await row.getByTestId('open-run').click();
    const opened = page.locator(`[data-testid="opened-run"][data-run="${runId}"]`);
    await expect.poll(() => opened.locator('[data-testid="sentence-row"]').count()).toBe(SENTENCES);
    expect(await opened.locator('canvas').count()).toBeGreaterThan(0);
    const origin = opened.getByTestId('slurm-origin');
    expect(await origin.getAttribute('data-partial')).toBe('false');
    expect(await origin.textContent()).toContain(`(2 of 2 tasks) in ${folder}`);
    expect(await origin.locator('li').allTextContents()).toEqual([expect.stringMatching(new RegExp(`^${hostname()}: .*\\(tasks 0, 1; 6 sentences\\)$`))]);
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('export-csv').click()]);
    const csv = join(dir, 'sentences.csv');
    await download.saveAs(csv);
    const [head, ...rows] = parseCsv(readFileSync(csv, 'utf8'));
    expect(head).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(SENTENCES * run.summary.variants.length);
  });

  it('submits a sweep from the Sweep view; collected, the History shows its FB × RB grid', async () => {
    await fillRollbackDemo(page, SENTENCES);
    await page.getByTestId('tab-sweep').click();
    await page.getByTestId('sweep-fb').fill('0.5, 0.9');
    await page.getByTestId('sweep-rb').fill('2');
    await openSlurmSection(page);
    await page.getByTestId('slurm-submit').click();
    const folder = (await page.getByTestId('slurm-result').getAttribute('data-folder', { timeout: 120_000 }))!;
    await page.getByTestId('tab-cluster').click();
    await page.locator(`[data-testid="slurm-job-status"][data-folder="${folder}"]`).waitFor();
    expect(await settledTaskStates(page)).toEqual(['done', 'done']);
    await page.getByTestId('slurm-collect').click();
    const runId = (await page.getByTestId('slurm-collected').getAttribute('data-run'))!;
    const run = await api<RunDetail>(page, 'getRun', [runId]);
    expect([run.summary.kind, run.summary.sweep!.points.map((p) => p.variant)]).toEqual(['sweep', ['large', 'small', 'bild@0.5/2', 'bild@0.9/2']]);
    await page.getByTestId('tab-history').click();
    await page.locator(`tr[data-run="${runId}"]`).getByTestId('open-run').click();
    await page.locator(`[data-testid="opened-run"][data-run="${runId}"] [data-testid="sweep-grid"]`).waitFor();
  });

  it("shows Slurm's refusal of an unknown partition in one line and leaves no job folder", async () => {
    const before = await api<unknown[]>(page, 'listSlurmJobs', []);
    await fillSlurmRun(page, 2);
    await page.getByTestId('slurm-partition').fill('no-such-partition');
    await page.getByTestId('slurm-submit').click();
    const notice = page.getByTestId('notice');
    await notice.waitFor({ timeout: 120_000 });
    expect(await notice.textContent()).toMatch(/sbatch refused the job: .*partition/i);
    expect(await api<unknown[]>(page, 'listSlurmJobs', [])).toEqual(before);
    await page.getByTestId('slurm-partition').fill('');
  });

  it('a task cancelled mid-way shows failed with its reason; a partial collect, Resubmit failed, and the whole job collected after the partial run is deleted', async () => {
    const spec = { models: { small: 'demo/tiny', large: 'demo/large' }, methods: ['large', 'bild'], dataset: { name: 'demo', split: 'test', limit: 40 }, repeats: 3, threads: 1 };
    const job = await api<SubmittedJob>(page, 'submitSlurm', [{ kind: 'run', spec, slurm: { shards: 2, arrayParallel: 2 } }]);
    const written = (task: number): number => {
      const path = join(job.folder, 'tasks', String(task), 'sentences.jsonl');
      return existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0;
    };
    await pollUntil('task 1 to decode its first sentences', () => (written(1) >= 1 ? true : undefined), 240_000, 100);
    expect(spawnSync('scancel', [`${job.jobId}_1`], { env: { ...process.env, SLURM_CONF: slurm!.conf } }).status).toBe(0);

    await page.getByTestId('tab-cluster').click();
    await page.getByTestId('slurm-refresh').click();
    await page.locator(`[data-testid="slurm-job"][data-folder="${job.folder}"]`).click();
    await page.locator(`[data-testid="slurm-job-status"][data-folder="${job.folder}"]`).waitFor();
    expect(await settledTaskStates(page)).toEqual(['done', 'failed']);
    expect(await page.locator('[data-testid="slurm-task"][data-task="1"] .reason').textContent()).toMatch(/CANCELLED/);

    page.once('dialog', (d) => void d.accept()); // "only 1 of 2 tasks are done: collect them as a partial run?"
    await page.getByTestId('slurm-collect').click();
    const collected = page.locator('[data-testid="slurm-collected"]');
    await collected.waitFor();
    expect(await collected.textContent()).toContain('Collected (partial)');
    const partialRun = (await collected.getAttribute('data-run'))!;
    expect((await api<RunDetail>(page, 'getRun', [partialRun])).summary.slurm).toMatchObject({ partial: true, collectedTasks: [0], missingTasks: [1] });

    await page.getByTestId('slurm-resubmit').click();
    await page.locator(`[data-testid="slurm-task"][data-task="1"]:not([data-job="${job.jobId}"])`).waitFor(); // under the new Slurm job
    expect(await settledTaskStates(page)).toEqual(['done', 'done']);
    expect(await page.getByTestId('slurm-collect').isDisabled()).toBe(true); // its partial run is still in the history
    await api(page, 'deleteRun', [partialRun]);
    await page.getByTestId('slurm-refresh').click();
    await page.getByTestId('slurm-collect').click();
    await page.locator(`[data-testid="slurm-collected"]:not([data-run="${partialRun}"])`).waitFor();
    const whole = (await page.getByTestId('slurm-collected').getAttribute('data-run'))!;
    const run = await api<RunDetail>(page, 'getRun', [whole]);
    expect([run.summary.slurm!.partial, run.summary.slurm!.collectedTasks, run.sentences.length]).toEqual([false, [0, 1], 40]);
  });

  it('Resubmit failed submits the tasks of a job folder written without submitting', async () => {
    const spec = { models: { small: 'demo/tiny', large: 'demo/large' }, methods: ['large', 'bild'], bild: { fallback: 0.8, rollback: 2 }, dataset: { name: 'demo', split: 'test', limit: 4 } };
    const job = await api<SubmittedJob>(page, 'submitSlurm', [{ kind: 'run', spec, slurm: { shards: 2, dryRun: true } }]);
    await page.getByTestId('tab-cluster').click();
    await page.getByTestId('slurm-refresh').click();
    await page.locator(`[data-testid="slurm-job"][data-folder="${job.folder}"]`).click();
    await page.locator(`[data-testid="slurm-job-status"][data-folder="${job.folder}"]`).waitFor();
    expect(await page.locator('[data-testid="slurm-task"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')))).toEqual(['unsubmitted', 'unsubmitted']);
    await page.getByTestId('slurm-resubmit').click();
    expect(await settledTaskStates(page)).toEqual(['done', 'done']);
    expect(await page.getByTestId('slurm-resubmit').isDisabled()).toBe(true);
  });
});

describe('Slurm from the app without sbatch', () => {
  let browserApp: BrowserApp | undefined;
  let page: Page;
  const home = join(dir, 'home-no-sbatch');

  beforeAll(async () => {
    requireBuiltCli();
    // the engine worker's PATH holds no Slurm command
    ({ page } = browserApp = await openBrowserApp({ home, env: { PATH: mkdtempSync(join(dir, 'bare-path-')) } }));
  });
  afterAll(async () => browserApp?.close());

  it('replaces Submit with Export job folder, which writes the job folder for a login node', async () => {
    await fillSlurmRun(page, 2);
    await page.getByTestId('slurm-unavailable').waitFor();
    expect(await page.getByTestId('slurm-submit').count()).toBe(0);
    await page.getByTestId('slurm-export').click();
    const result = page.getByTestId('slurm-result');
    await result.waitFor({ timeout: 120_000 });
    expect(await result.textContent()).toContain('Wrote the job folder (not submitted)');
    const folder = (await result.getAttribute('data-folder'))!;
    const job = JSON.parse(readFileSync(join(folder, 'job.json'), 'utf8')) as { kind: string; shards: SubmittedJob['shards'] };
    expect([job.kind, job.shards]).toEqual(['run', [{ start: 0, end: 3 }, { start: 3, end: 6 }]]);

    await page.getByTestId('tab-cluster').click();
    await page.locator(`[data-testid="slurm-job-status"][data-folder="${folder}"]`).waitFor();
    expect(await page.locator('[data-testid="slurm-task"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')))).toEqual(['unsubmitted', 'unsubmitted']);
    expect(await page.getByTestId('slurm-resubmit').isDisabled()).toBe(true);
    expect(await page.getByTestId('slurm-collect').isDisabled()).toBe(true);

    // a job folder outside the jobs root (a CLI job's --job_dir) is opened by path, once its folder is allowed
    const elsewhere = join(home, 'elsewhere', 'my-job');
    cpSync(folder, elsewhere, { recursive: true });
    await page.getByTestId('slurm-open-path').fill(elsewhere);
    await page.getByTestId('slurm-open-button').click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain(`slurmStatus: '${elsewhere}': not in a folder this app may read (allowed: ${join(home, 'slurm')}`);
    writeFileSync(join(home, 'settings.json'), JSON.stringify({ allowedFolders: [join(home, 'elsewhere')] }));
    await page.getByTestId('slurm-open-path').fill(elsewhere);
    await page.getByTestId('slurm-open-button').click();
    await page.locator(`[data-testid="slurm-job-status"][data-folder="${elsewhere}"]`).waitFor();
    expect(await page.locator(`[data-testid="slurm-job"][data-folder="${elsewhere}"]`).count()).toBe(1);
    const outside = join(dir, 'outside-job');
    cpSync(folder, outside, { recursive: true });
    await page.getByTestId('slurm-open-path').fill(outside);
    await page.getByTestId('slurm-open-button').click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain(`slurmStatus: '${outside}': not in a folder this app may read`);
    expect(await page.locator(`[data-testid="slurm-job"][data-folder="${outside}"]`).count()).toBe(0);
  });
});
