// The Slurm job's pure parts, without a Slurm: option bounds (as the CLI parses them), shard
// slicing, the array list and the generated script.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src-main/cli/command';
import { slurmCommand } from '../../src-main/cli/commands/slurm';
import { sweepCommand } from '../../src-main/cli/commands/sweep';
import { slurmOptionsOf } from '../../src-main/cli/slurm-submit';
import { checkSlurmOptions } from '../../src-main/engine/slurm/options';
import { sbatchScript, shellQuote } from '../../src-main/engine/slurm/sbatch-script';
import { sliceShards } from '../../src-main/engine/slurm/shards';
import { arraySpec, nodeModeEnv } from '../../src-main/engine/slurm/submit';
import { listSlurmJobs, SLURM_JOB_FORMAT, type SlurmJobSpec } from '../../src-main/engine/slurm';
import { sentencesWritten, writeJobSpec } from '../../src-main/engine/slurm/job-folder';
import { queuedState } from '../../src-main/engine/slurm/status';
import { appVersion } from '../../src-main/engine/paths';

const options = (...argv: string[]) => checkSlurmOptions(slurmOptionsOf(parseCommandArgs(sweepCommand, ['--small', 'S', '--large', 'L', '--dataset_name', 'demo', ...argv]))!);

describe('Slurm options', () => {
  it('passes the resources through', () => {
    expect(options('--slurm', '--shards', '4', '--partition', 'gpu,debug', '--gres', 'gpu:a100:1', '--time', '1-02:00:00', '--cpus_per_task', '8', '--array_parallel', '2', '--sbatch_arg=--account=lab', '--sbatch_arg=--mem=16G')).toEqual({
      shards: 4,
      partition: 'gpu,debug',
      gres: 'gpu:a100:1',
      time: '1-02:00:00',
      cpusPerTask: 8,
      arrayParallel: 2,
      sbatchArgs: ['--account=lab', '--mem=16G'],
      dryRun: false,
      jobDir: undefined,
    });
  });

  it('passes short options that take a value attached, and long options that abbreviate none of its own', () => {
    expect(options('--slurm', '--shards', '2', '--sbatch_arg=-Amylab', '--sbatch_arg=-N1', '--sbatch_arg=--acco=lab', '--sbatch_arg=--mem-per-cpu=2G').sbatchArgs).toEqual(['-Amylab', '-N1', '--acco=lab', '--mem-per-cpu=2G']);
  });

  it.each([
    [['--slurm', '--shards', '0'], /--shards: 0 must be >= 1/],
    [['--slurm', '--shards', '1.5'], /--shards: '1.5' is not an integer/],
    [['--slurm', '--shards', '1001'], /shards: 1001 is above the bound of 1000/],
    [['--slurm', '--shards', '2', '--array_parallel', '5000'], /array_parallel: 5000 is above the bound of 1000/],
    [['--slurm', '--shards', '2', '--cpus_per_task', '100000'], /cpus_per_task: 100000 is above the bound of 4096/],
    [['--slurm', '--shards', '2', '--time', '1 hour'], /time: "1 hour" is not a Slurm time limit/],
    [['--slurm', '--shards', '2', '--partition', 'a b'], /partition: "a b" is not a partition name/],
    [['--slurm', '--shards', '2', '--gres', 'gpu:1\n#SBATCH --x'], /gres: .* is not a generic resource list/],
    [['--slurm', '--shards', '2', '--sbatch_arg=--array=0-9'], /sbatch_arg: '--array' is set by bild-bench itself/],
    [['--slurm', '--shards', '2', '--sbatch_arg=-o/tmp/x'], /sbatch_arg: '-o\/tmp\/x': of the short options only/],
    // sbatch's unambiguous abbreviations, bundled short flags, and options that redirect its files or directory
    [['--slurm', '--shards', '2', '--sbatch_arg=--arr=0-1'], /sbatch_arg: '--arr' abbreviates \(or may abbreviate\) --array/],
    [['--slurm', '--shards', '2', '--sbatch_arg=--outp=/tmp/x'], /sbatch_arg: '--outp' abbreviates \(or may abbreviate\) --output/],
    [['--slurm', '--shards', '2', '--sbatch_arg=--expo=ALL'], /sbatch_arg: '--expo' abbreviates \(or may abbreviate\) --export/],
    [['--slurm', '--shards', '2', '--sbatch_arg=--chdir=/tmp'], /sbatch_arg: '--chdir' is set by bild-bench itself or redirects sbatch/],
    [['--slurm', '--shards', '2', '--sbatch_arg=--export-file=/tmp/env'], /sbatch_arg: '--export-file' is set/],
    [['--slurm', '--shards', '2', '--sbatch_arg=--input=/etc/passwd'], /sbatch_arg: '--input' is set/],
    [['--slurm', '--shards', '2', '--sbatch_arg=--'], /sbatch_arg: '--' abbreviates/],
    [['--slurm', '--shards', '2', '--sbatch_arg=-Ho/tmp/x'], /sbatch_arg: '-Ho\/tmp\/x': of the short options only/],
    [['--slurm', '--shards', '2', '--sbatch_arg=-D/tmp'], /sbatch_arg: '-D\/tmp': of the short options only/],
    [['--slurm', '--shards', '2', '--sbatch_arg=-A'], /sbatch_arg: '-A': of the short options only .* each with its value attached/],
    [['--slurm', '--shards', '2', '--sbatch_arg', 'oops'], /sbatch_arg: "oops" must be one sbatch option/],
    [['--slurm', '--shards', '2', ...Array.from({ length: 33 }, () => '--sbatch_arg=--mem=1G')], /sbatch_arg: 33 arguments is above the bound of 32/],
    [['--dry_run'], /--dry_run applies to Slurm jobs only: add --slurm/],
  ])('%j is refused', (argv, message) => {
    expect(() => options(...argv)).toThrow(message);
  });
});

describe('shards', () => {
  it('are contiguous, in order, cover every sentence once and differ in size by at most one', () => {
    for (const [n, k] of [[30, 3], [31, 3], [7, 7], [1000, 999], [5, 1]] as const) {
      const shards = sliceShards(n, k);
      expect(shards).toHaveLength(k);
      expect(shards[0]!.start).toBe(0);
      expect(shards.at(-1)!.end).toBe(n);
      for (let i = 1; i < k; i++) expect(shards[i]!.start).toBe(shards[i - 1]!.end);
      const sizes = shards.map((s) => s.end - s.start);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(Math.min(...sizes)).toBeGreaterThan(0);
    }
    expect(() => sliceShards(3, 4)).toThrow(/shards: 4 is more than the run's 3 sentences/);
  });

  it('are submitted as compact array lists', () => {
    expect(arraySpec([0, 1, 2], 2)).toBe('0-2%2');
    expect(arraySpec([1, 3, 4, 5, 9])).toBe('1,3-5,9');
  });
});

describe('the sbatch script', () => {
  const dir = mkdtempSync(join(tmpdir(), "bild-slurm-script-it's "));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('quotes every path so that bash reads it back unchanged', () => {
    const job = {
      appVersion: '0.1.0',
      name: 'n',
      kind: 'sweep',
      dataset: { examples: 30 },
      shards: sliceShards(30, 3),
      slurm: { shards: 3, partition: 'debug', gres: 'gpu:1', time: '10', cpusPerTask: 2 },
      node: '/bin/echo',
      cli: join(dir, "it's $HOME `x`"),
      env: { BILD_BENCH_HOME: join(dir, 'a b'), HF_HUB_CACHE: '/hf' },
    } as unknown as SlurmJobSpec;
    const text = sbatchScript(job, dir);
    const script = join(dir, 'job.sbatch');
    writeFileSync(script, text);
    expect(text).toMatch(/^#SBATCH --partition=debug$/m);
    expect(text).toMatch(/^#SBATCH --gres=gpu:1$/m);
    expect(text).toMatch(/^#SBATCH --time=10$/m);
    expect(text).toMatch(/^#SBATCH --cpus-per-task=2$/m);
    const r = spawnSync('bash', [script], { encoding: 'utf8' });
    expect(r.stdout).toBe(`${join(dir, "it's $HOME `x`")} slurm task ${dir}\n`);
    expect(() => shellQuote('a\nb')).toThrow(/cannot span lines/);
  });

  it("runs the desktop app's Electron binary as plain Node in the tasks", () => {
    // a stand-in for the Electron binary that says whether it was asked to act as Node
    const electron = join(dir, 'electron');
    writeFileSync(electron, '#!/bin/sh\necho "as-node=${ELECTRON_RUN_AS_NODE:-no}"\n', { mode: 0o755 });
    const job = (versions: NodeJS.ProcessVersions) =>
      ({ appVersion: '0.1.0', name: 'n', kind: 'run', dataset: { examples: 2 }, shards: sliceShards(2, 1), slurm: { shards: 1 }, node: electron, cli: 'cli.js', env: nodeModeEnv(versions) }) as unknown as SlurmJobSpec;
    const run = (versions: NodeJS.ProcessVersions) => {
      const script = join(dir, 'electron.sbatch');
      writeFileSync(script, sbatchScript(job(versions), dir));
      return spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '' } }).stdout;
    };
    expect(run({ ...process.versions, electron: '45.5.0' })).toBe('as-node=1\n');
    expect(run({ ...process.versions, electron: undefined } as unknown as NodeJS.ProcessVersions)).toBe('as-node=no\n');
  });
});

describe('listing job folders', () => {
  const root = mkdtempSync(join(tmpdir(), 'bild-slurm-jobs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists the jobs under the root, newest first, and says why an unusable one cannot be used', () => {
    const job = (name: string, version = SLURM_JOB_FORMAT): SlurmJobSpec => ({
      format: 'bild-bench-slurm-job',
      version,
      appVersion: appVersion(),
      name,
      createdAt: '2026-12-06T08:00:00.000Z',
      kind: 'sweep',
      spec: { models: { small: 'demo/small', large: 'demo/large' }, dataset: { name: 'demo' } },
      dataset: { id: 'toy-de-en', split: 'validation', examples: 30, fingerprint: 'x' },
      shards: sliceShards(30, 3),
      slurm: { shards: 3 },
      node: process.execPath,
      cli: 'bin/bild-bench.js',
      env: {},
    });
    const overlapping = { ...job('0'), shards: [{ start: 0, end: 20 }, { start: 10, end: 30 }] };
    for (const [folder, spec] of [['job-0', overlapping], ['job-1', job('1')], ['job-2', job('2', SLURM_JOB_FORMAT + 1)]] as const) {
      mkdirSync(join(root, folder));
      writeJobSpec(join(root, folder), spec);
    }
    mkdirSync(join(root, 'not-a-job'));
    const jobs = listSlurmJobs(root);
    expect(jobs.map((j) => [j.folder, j.name, j.shards])).toEqual([[join(root, 'job-2'), null, null], [join(root, 'job-1'), '1', 3], [join(root, 'job-0'), null, null]]);
    expect(jobs[0]!.error).toMatch(/job format \d+\); this is bild-bench/);
    expect(jobs[2]!.error).toMatch(/job\.json: its shards do not split its 30 sentences as bild-bench does/);
    expect(listSlurmJobs(join(root, 'missing'))).toEqual([]);
  });
});

describe('bild-bench slurm options', () => {
  it.each([
    [['status', '/nowhere', '--partial'], 'slurm status: --partial applies to slurm collect only'],
    [['resubmit', '/nowhere', '--task', '1'], 'slurm resubmit: --task applies to slurm task only'],
    [['task', '/nowhere', '--json'], 'slurm task: --json applies to slurm list, status, resubmit, collect only'],
  ])('%j is refused by name', async (argv, message) => {
    await expect(slurmCommand.run(parseCommandArgs(slurmCommand, argv))).rejects.toThrow(message);
  });
});

describe("a task's sentence count", () => {
  it('follows appends, a file rewritten in place and a replaced one (a count is reused only for the same, unchanged file)', () => {
    const folder = mkdtempSync(join(tmpdir(), 'bild-slurm-count-'));
    try {
      const file = join(folder, 'tasks', '0', 'sentences.jsonl');
      mkdirSync(join(folder, 'tasks', '0'), { recursive: true });
      expect(sentencesWritten(folder, 0)).toBe(0);
      writeFileSync(file, '{"a":1}\n{"a":2}\n{"a":3}\n');
      expect(sentencesWritten(folder, 0)).toBe(3);
      appendFileSync(file, '{"a":4}\n{"a":5'); // the last line not yet whole
      expect(sentencesWritten(folder, 0)).toBe(4);
      appendFileSync(file, '}\n');
      expect(sentencesWritten(folder, 0)).toBe(5);
      writeFileSync(file, '{"a":1}\n'); // a damaged copy, rewritten in place
      expect(sentencesWritten(folder, 0)).toBe(1);
      rmSync(file);
      writeFileSync(file, '{"b":1}\n'.repeat(7)); // a rerun's new file
      expect(sentencesWritten(folder, 0)).toBe(7);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe("a queued task's state", () => {
  it.each([
    ['RUNNING', 'None', 'running', null],
    ['PENDING', 'JobArrayTaskLimit', 'pending', 'JobArrayTaskLimit'],
    ['REQUEUE_HOLD', 'JobHeldAdmin', 'pending', 'REQUEUE_HOLD: JobHeldAdmin'],
    ['SPECIAL_EXIT', 'None', 'pending', 'SPECIAL_EXIT'],
    ['RESV_DEL_HOLD', '', 'pending', 'RESV_DEL_HOLD'],
    ['SOME_NEW_STATE', 'Why', 'pending', 'SOME_NEW_STATE: Why'],
  ])('%s (%s) is %s, reason %j', (state, reason, expected, why) => {
    expect(queuedState({ task: 0, state, reason, node: null })).toEqual({ state: expected, reason: why });
  });
});
