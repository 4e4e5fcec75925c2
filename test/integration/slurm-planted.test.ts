// Slurm job folders that were edited, planted or exported elsewhere, on a real single-node Slurm
// (scripts/slurm-local.sh): job.json's name, kind and environment are not trusted, a job folder
// the desktop app exported is resubmitted from the CLI with the CLI's Node, a task that exited
// cleanly but whose done.json is not visible yet is not rerun, collect and resubmit exclude each
// other, a pending task shows Slurm's reason, and a submission sbatch accepted keeps its folder.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary, SentenceResult } from '../../src-main/engine/api';
import { shardsFromIndex } from '../../src-main/engine/hub/model-files';
import type { SlurmJobSpec, SlurmJobStatus } from '../../src-main/engine/slurm';
import { runCli } from '../helpers/cli';
import { MODELS } from '../helpers/paths';
import { localSlurm, pollUntil, requireBuiltCli } from '../helpers/slurm';

const slurm = localSlurm();
const conf = slurm?.conf;
const home = mkdtempSync(join(tmpdir(), 'bild-slurm-planted-'));
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  slurm?.stop();
});
const env = { BILD_BENCH_HOME: home, ...(conf ? { SLURM_CONF: conf } : {}) };
const cli = (...args: string[]) => runCli(args, env);
const RUN = ['run', '--model', 'bild', '--small', join(MODELS, 'toy-t5-tiny'), '--large', join(MODELS, 'toy-t5-large'), '--dataset_name', 'demo', '--split', 'test', '--threads', '1', '--warmup', '0'];
const JOB_TIMEOUT_MS = 600_000;

const json = <T>(r: { code: number; stdout: string; stderr: string }): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};
const squeueEmpty = (id: string): boolean => spawnSync('squeue', ['-h', '-j', id], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim() === '';
const editSpec = (folder: string, change: (s: SlurmJobSpec) => void): void => {
  const path = join(folder, 'job.json');
  const spec = JSON.parse(readFileSync(path, 'utf8')) as SlurmJobSpec;
  change(spec);
  writeFileSync(path, JSON.stringify(spec));
};
const dryRun = (folder: string, ...extra: string[]): void => void json(cli(...RUN, '--limit', '4', '--slurm', '--shards', '2', '--job_dir', folder, '--dry_run', '--json', ...extra));

describe('weight index shard names', () => {
  const listing = [{ path: 'model-1.safetensors', size: 1 }, { path: '../escape.safetensors', size: 1 }, { path: 'sub/model.bin', size: 1 }, { path: 'run.sh', size: 1 }];
  it.each(['../escape.safetensors', 'sub/model.bin', 'run.sh'])('%s is refused', (name) => {
    expect(() => shardsFromIndex(JSON.stringify({ weight_map: { a: 'model-1.safetensors', b: name } }), listing as never, 'model.safetensors.index.json')).toThrow(
      `model.safetensors.index.json names '${name}', which is not a weight file name (.safetensors or .bin, no folders)`,
    );
  });
});

describe('a submission sbatch accepted but the job folder could not record', () => {
  beforeAll(requireBuiltCli);

  it('keeps the job folder (its array is queued) and names the job id', () => {
    // a stand-in sbatch that accepts the job, then makes submissions.json unwritable (a folder in its place)
    const bin = mkdtempSync(join(home, 'fake-slurm-'));
    const sbatch = join(bin, 'sbatch');
    writeFileSync(sbatch, '#!/bin/sh\nfor a; do script="$a"; done\nmkdir "$(dirname "$script")/submissions.json"\necho 4242\n');
    chmodSync(sbatch, 0o755);
    const folder = join(home, 'unrecorded');
    const r = runCli([...RUN, '--limit', '4', '--slurm', '--shards', '2', '--job_dir', folder], { ...env, PATH: `${bin}:${process.env.PATH ?? ''}` });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Slurm job 4242 was submitted (tasks 0, 1 of ${folder}) but could not be recorded in ${join(folder, 'submissions.json')}`);
    expect(r.stderr).toContain('`scancel 4242` stops them');
    expect(existsSync(join(folder, 'job.json')) && existsSync(join(folder, 'job.sbatch'))).toBe(true);
  });
});

describe.skipIf(!conf)('planted and exported Slurm job folders', () => {
  beforeAll(requireBuiltCli);

  it("a job.json whose name spans lines or whose kind is unknown is refused; so is a job folder with '%' or '\\'", () => {
    const folder = join(home, 'planted');
    dryRun(folder);
    const original = readFileSync(join(folder, 'job.json'), 'utf8');
    editSpec(folder, (s) => void (s.name = 'x\nrm -rf ~'));
    for (const sub of ['status', 'resubmit', 'collect']) expect(cli('slurm', sub, folder).stderr).toContain('job.json: its name "x\\nrm -rf ~" is not a job name (an edited job spec)');
    writeFileSync(join(folder, 'job.json'), original);
    editSpec(folder, (s) => void ((s as { kind: string }).kind = 'script'));
    expect(cli('slurm', 'resubmit', folder).stderr).toContain('job.json: its kind "script" is neither run nor sweep (an edited job spec)');
    for (const bad of ['job-%A', 'job-\\n']) {
      const r = cli(...RUN, '--limit', '4', '--slurm', '--shards', '2', '--job_dir', join(home, bad), '--dry_run');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`job_dir: '${join(home, bad)}' holds '%' or '\\', which sbatch expands in its log file names`);
      expect(existsSync(join(home, bad))).toBe(false);
    }
  });

  it("a job folder the desktop app exported is resubmitted from the CLI with the CLI's Node and none of job.json's other variables", async () => {
    const folder = join(home, 'from-electron');
    dryRun(folder);
    // as the desktop app writes it (its Electron binary, run as Node), then edited to inject code into the tasks
    editSpec(folder, (s) => {
      s.node = '/opt/BiLD Bench/bild-bench';
      s.env = { ...s.env, ELECTRON_RUN_AS_NODE: '1', NODE_OPTIONS: `--require ${join(home, 'evil.js')}`, LD_PRELOAD: join(home, 'evil.so'), BASH_ENV: join(home, 'evil.sh') };
    });
    const r = json<{ jobId: string; tasks: number[] }>(cli('slurm', 'resubmit', folder, '--json'));
    expect(r.tasks).toEqual([0, 1]);
    const script = readFileSync(join(folder, 'job.sbatch'), 'utf8');
    expect(script).toContain(`exec '${process.execPath}' `);
    expect(script).toContain(`export BILD_BENCH_HOME='${home}'`);
    for (const name of ['ELECTRON_RUN_AS_NODE', 'NODE_OPTIONS', 'LD_PRELOAD', 'BASH_ENV', '/opt/BiLD Bench']) expect(script).not.toContain(name);
    await pollUntil('the resubmitted tasks', () => (squeueEmpty(r.jobId) ? true : undefined));
    const status = json<SlurmJobStatus>(cli('slurm', 'status', folder, '--json'));
    expect(status.tasks.map((t) => [t.state, t.sentencesDone])).toEqual([['done', 2], ['done', 2]]);

    // Slurm says task 1 completed cleanly, but its done.json is not visible yet (a network filesystem): finishing, not failed
    const done1 = join(folder, 'tasks', '1', 'done.json');
    renameSync(done1, `${done1}.hidden`);
    const lagging = json<SlurmJobStatus>(cli('slurm', 'status', folder, '--json'));
    expect(lagging.tasks[1]).toMatchObject({ state: 'running', reason: expect.stringMatching(/^COMPLETED \(exit 0:0\); its done\.json is not visible here yet/) });
    const nothing = cli('slurm', 'resubmit', folder);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain(`nothing to resubmit in ${folder}: 1 done, 1 running, 0 pending, none failed`);
    renameSync(`${done1}.hidden`, done1);
    expect(cli('slurm', 'resubmit', folder).stderr).toContain(`nothing to resubmit in ${folder}: 2 done, 0 running, 0 pending, none failed`);

    // damaged copies: a task summary without its environment, a done.json naming another task
    const damage = (name: string, file: string, change: (x: Record<string, unknown>) => void): string => {
      const copy = join(home, name);
      cpSync(folder, copy, { recursive: true });
      const path = join(copy, 'tasks', '1', file);
      const x = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      change(x);
      writeFileSync(path, JSON.stringify(x));
      return copy;
    };
    const noEnv = damage('no-env', 'summary.json', (x) => void delete x.environment);
    expect(cli('slurm', 'collect', noEnv).stderr).toContain(`task 1: ${join(noEnv, 'tasks', '1', 'summary.json')} has no environment (a damaged task folder: resubmit it)`);
    const otherTask = damage('other-task', 'done.json', (x) => void (x.task = 0));
    expect(cli('slurm', 'collect', otherTask).stderr).toContain(`task 1: its done.json names task 0 (a damaged task folder ${join(otherTask, 'tasks', '1')}: resubmit it)`);

    // one collect or resubmit at a time: a live holder refuses, a dead one on this host is taken over
    const lock = join(folder, 'job.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, hostname: hostname(), what: 'collect', at: '2026-01-01T00:00:00.000Z' }));
    for (const sub of ['collect', 'resubmit']) {
      const busy = cli('slurm', sub, folder);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain(`job ${folder} is busy: a collect (process ${process.pid} on ${hostname()}, since 2026-01-01T00:00:00.000Z) holds ${lock}`);
    }
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(lock, JSON.stringify({ pid: Number(dead), hostname: hostname(), what: 'collect', at: '2026-01-01T00:00:00.000Z' }));
    const collected = json<RunSummary>(cli('slurm', 'collect', folder, '--json'));
    expect(existsSync(lock)).toBe(false);
    // the speedup is the ratio of the merged per-sentence latency means (not an average of the tasks' speedups)
    const sentences = readFileSync(join(collected.outDir!, 'sentences.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SentenceResult);
    const meanMs = (variant: string): number => sentences.reduce((n, s) => n + s.outputs.find((o) => o.variant === variant)!.totalMs, 0) / sentences.length;
    const bild = collected.summaries.find((v) => v.method === 'bild')!;
    expect(bild.speedup).toBeCloseTo(meanMs('large') / meanMs(bild.variant), 10);
  }, JOB_TIMEOUT_MS);

  it('a task held back by --array_parallel is pending with Slurm reason JobArrayTaskLimit', async () => {
    const folder = join(home, 'limited');
    const { jobId } = json<{ jobId: string }>(cli(...RUN, '--limit', '30', '--slurm', '--shards', '2', '--array_parallel', '1', '--job_dir', folder, '--json'));
    const slurmEnv = { env: { ...process.env, ...env }, encoding: 'utf8' as const };
    try {
      // task 0 is kept running (suspended), so task 1 waits on the limit whatever the machine's speed
      await pollUntil('task 0 to start', () => (spawnSync('squeue', ['-h', '-r', '-j', `${jobId}_0`, '-o', '%T'], slurmEnv).stdout.trim() === 'RUNNING' ? true : undefined), 240_000, 100);
      expect(spawnSync('scontrol', ['suspend', `${jobId}_0`], slurmEnv).status).toBe(0);
      const status = json<SlurmJobStatus>(cli('slurm', 'status', folder, '--json'));
      expect(status.tasks.map((t) => [t.state, t.reason])).toEqual([['running', null], ['pending', 'JobArrayTaskLimit']]);
    } finally {
      spawnSync('scancel', [jobId], slurmEnv);
    }
  }, JOB_TIMEOUT_MS);
});
