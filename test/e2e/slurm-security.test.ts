// Slurm requests from callers other than the CLI: real HTTP to `bild-bench serve` (the gate runs in
// the engine worker, as for Electron IPC). The page may not pass sbatch's own arguments or an
// outDir, may write a job folder and name a job only inside the allowed folders (symlinks
// resolved, the same reply whether or not it exists), and partition/gres/time must be plain
// characters (they become #SBATCH lines). A dry run from the page writes a job under the jobs root.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlurmJobEntry, SlurmJobStatus, SubmittedJob } from '../../src-main/engine/api/types';
import { serveApp, type ServedApp } from '../../src-main/server/serve-app';
import { postApi } from '../helpers/served-app';
import { requireBuiltCli } from '../helpers/slurm';

const dir = mkdtempSync(join(tmpdir(), 'bild-slurm-security-'));
const home = join(dir, 'home');
const outside = join(dir, 'outside');
/** A job folder outside the allowed folders, complete enough for the engine to read. */
const foreignJob = join(outside, 'job');
let app: ServedApp;

const SPEC = { models: { small: 'demo/tiny', large: 'demo/large' }, methods: ['large', 'bild'], dataset: { name: 'demo', split: 'test', limit: 4 }, warmup: 0, threads: 1 };
const submit = (slurm: Record<string, unknown>, spec: Record<string, unknown> = SPEC) => postApi(app, 'submitSlurm', [{ kind: 'run', spec, slurm }]);
const refused = (method: string, path: string) => `${method}: '${path}': not in a folder this app may read (allowed: ${home}, `;
const jobs = async () => (await postApi(app, 'listSlurmJobs', [])).body.result as SlurmJobEntry[];

beforeAll(async () => {
  mkdirSync(join(home, 'slurm'), { recursive: true });
  mkdirSync(foreignJob, { recursive: true });
  writeFileSync(join(foreignJob, 'job.json'), JSON.stringify({ format: 'bild-bench-slurm-job', name: 'foreign', shards: [] }));
  symlinkSync(outside, join(home, 'outside-link'));
  symlinkSync(foreignJob, join(home, 'slurm', 'linked-job'));
  app = await serveApp({ port: 0, env: { ...process.env, BILD_BENCH_HOME: home, HF_HUB_CACHE: join(dir, 'hf'), HF_HUB_OFFLINE: '1' } });
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Slurm requests from the page', () => {
  it("refuses sbatch's own arguments and an outDir, before anything is written", async () => {
    for (const args of [['--chdir=/'], ['--output=/tmp/x.out'], []]) {
      const r = await submit({ shards: 2, dryRun: true, sbatchArgs: args });
      expect(r.status).toBe(400);
      expect(r.body.error!.message).toMatch(/^submitSlurm: slurm\.sbatchArgs \(sbatch's own arguments, which can redirect its output files or change its directory\) are for the CLI's --sbatch_arg$/);
    }
    const out = await submit({ shards: 2, dryRun: true }, { ...SPEC, outDir: outside });
    expect(out.body.error).toEqual({ message: 'submitSlurm: outDir is for the CLI; runs started from the app are written under its home folder', userError: true });
    expect(await jobs()).toEqual([]);
  });

  it('takes partition, gres and time in plain characters only; their syntax is the engine’s to check', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ partition: 'debug\n#SBATCH --chdir=/' }, 'submitSlurm: request.slurm.partition must be plain characters (letters, digits, _ . , : = / + -; got "debug\\n#SBATCH --chdir=/")'],
      [{ gres: 'gpu:1 --wrap=id' }, 'submitSlurm: request.slurm.gres must be plain characters (letters, digits, _ . , : = / + -; got "gpu:1 --wrap=id")'],
      [{ time: "1:00'; id; '" }, `submitSlurm: request.slurm.time must be plain characters (letters, digits, _ . , : = / + -; got "1:00'; id; '")`],
    ];
    for (const [fields, message] of cases) expect(await submit({ shards: 2, dryRun: true, ...fields })).toEqual({ status: 400, body: { error: { message, userError: true } } });
    const syntax = await submit({ shards: 2, dryRun: true, time: '1:2:3:4' });
    expect([syntax.status, syntax.body.error!.message]).toEqual([400, expect.stringMatching(/^time: "1:2:3:4" is not a Slurm time limit/)]);
    expect(await jobs()).toEqual([]);
  });

  it('answers 400 naming a wrongly typed field of a submission', async () => {
    const cases: [unknown[], string][] = [
      [[{ kind: 'run', spec: SPEC, slurm: { shards: '2' } }], 'submitSlurm: request.slurm.shards must be a number (got "2")'],
      [[{ kind: 'job', spec: SPEC, slurm: { shards: 2 } }], 'submitSlurm: request.kind must be one of run, sweep (got "job")'],
      [[{ kind: 'sweep', spec: { ...SPEC, fallbacks: ['0.5'] }, slurm: { shards: 2 } }], 'submitSlurm: request.spec.fallbacks[0] must be a number (got "0.5")'],
      [[{ kind: 'run', spec: SPEC }], 'submitSlurm: request.slurm must be an object (got undefined)'],
    ];
    for (const [args, message] of cases) expect(await postApi(app, 'submitSlurm', args)).toEqual({ status: 400, body: { error: { message, userError: true } } });
  });

  it('writes a job folder only inside the allowed folders (symlinks resolved)', async () => {
    for (const jobDir of [join(outside, 'new-job'), join(home, 'outside-link', 'new-job')]) {
      const r = await submit({ shards: 2, dryRun: true, jobDir });
      expect(r.status).toBe(400);
      expect(r.body.error!.message.startsWith(refused('submitSlurm', jobDir))).toBe(true);
    }
    expect(existsSync(join(outside, 'new-job'))).toBe(false);
    const dataset = await submit({ shards: 2, dryRun: true }, { ...SPEC, dataset: { name: join(foreignJob, 'job.json') } });
    expect(dataset.body.error!.message.startsWith(refused('submitSlurm', join(foreignJob, 'job.json')))).toBe(true);
  });

  it('names jobs only under the jobs root or the allowed folders, the same reply whether or not one is there', async () => {
    for (const method of ['slurmStatus', 'resubmitSlurm', 'collectSlurm']) {
      const existing = await postApi(app, method, [foreignJob]);
      expect(existing.status).toBe(400);
      expect(existing.body.error!.message.startsWith(refused(method, foreignJob))).toBe(true);
      const missing = join(outside, 'missing');
      expect((await postApi(app, method, [missing])).body.error!.message).toBe(existing.body.error!.message.replace(foreignJob, missing));
      // a link under the jobs root to a folder outside: judged where it leads
      const linked = await postApi(app, method, ['linked-job']);
      expect(linked.body.error!.message.startsWith(refused(method, join(home, 'slurm', 'linked-job')))).toBe(true);
      const climbing = await postApi(app, method, ['../outside/job']);
      expect(climbing.body.error).toEqual({ message: `job: '../outside/job' is neither a job name under ${join(home, 'slurm')} nor an absolute job folder`, userError: true });
    }
    expect(existsSync(join(foreignJob, 'collected.json'))).toBe(false);
  });

  it('names job folders only under the jobs root or a folder the user allowed, not elsewhere in the app home', async () => {
    const planted = join(home, 'runs', 'planted-job');
    mkdirSync(planted, { recursive: true });
    writeFileSync(join(planted, 'job.json'), JSON.stringify({ format: 'bild-bench-slurm-job', name: 'planted', shards: [] }));
    for (const method of ['slurmStatus', 'resubmitSlurm', 'collectSlurm']) {
      const r = await postApi(app, method, [planted]);
      expect(r.status).toBe(400);
      expect(r.body.error!.message.startsWith(`${method}: '${planted}': not in a folder this app may read (allowed: ${join(home, 'slurm')}`)).toBe(true);
    }
    rmSync(planted, { recursive: true });
  });

  it("refuses to collect into a job.json's spec.outDir outside the allowed folders", async () => {
    const planted = join(home, 'slurm', 'planted-out');
    const outDir = join(outside, 'results');
    mkdirSync(planted, { recursive: true });
    writeFileSync(join(planted, 'job.json'), JSON.stringify({ format: 'bild-bench-slurm-job', name: 'planted-out', spec: { ...SPEC, outDir }, shards: [] }));
    const r = await postApi(app, 'collectSlurm', ['planted-out']);
    expect(r.status).toBe(400);
    expect(r.body.error!.message.startsWith(refused('collectSlurm', outDir))).toBe(true);
    expect(existsSync(outDir)).toBe(false);
    rmSync(planted, { recursive: true });
  });

  it('exports a job folder under the jobs root (dry run), lists it, and reports its tasks unsubmitted', async () => {
    requireBuiltCli();
    const r = await submit({ shards: 2, dryRun: true, partition: 'debug', time: '10:00' });
    expect(r.status).toBe(200);
    const job = r.body.result as SubmittedJob;
    expect(job).toMatchObject({ jobId: null, sentences: 4, shards: [{ start: 0, end: 2 }, { start: 2, end: 4 }] });
    expect(job.folder.startsWith(join(home, 'slurm') + '/')).toBe(true);
    expect(readFileSync(join(job.folder, 'job.sbatch'), 'utf8')).toContain('#SBATCH --partition=debug\n#SBATCH --time=10:00\n');
    expect(await jobs()).toEqual([expect.objectContaining({ folder: job.folder, name: job.name, kind: 'run', sentences: 4, shards: 2, collected: null, error: null })]);
    const status = (await postApi(app, 'slurmStatus', [job.folder])).body.result as SlurmJobStatus;
    expect(status.tasks.map((t) => [t.state, t.sentencesDone, t.sentences])).toEqual([['unsubmitted', 0, 2], ['unsubmitted', 0, 2]]);
    // a link in the jobs root is not followed: what it points to is not the app's to read
    expect((await jobs()).map((j) => j.folder)).toEqual([job.folder]);
  });
});
