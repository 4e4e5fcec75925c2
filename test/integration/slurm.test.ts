// Runs and sweeps as Slurm job arrays on a real single-node Slurm (scripts/slurm-local.sh): submit,
// status, scancel, resubmit and collect through the CLI, compared with the same sweep run locally.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunListEntry, RunSummary, SentenceResult, VariantOutput } from '../../src-main/engine/api';
import { CSV_COLUMNS, parseCsv } from '../../src-main/engine/runner/csv';
import type { SlurmJobStatus, Submission } from '../../src-main/engine/slurm';
import { runCli } from '../helpers/cli';
import { MODELS } from '../helpers/paths';
import { localSlurm, pollUntil, requireBuiltCli } from '../helpers/slurm';

const slurm = localSlurm();
const conf = slurm?.conf;
const home = mkdtempSync(join(tmpdir(), 'bild-slurm-'));
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  slurm?.stop();
});
const env = { BILD_BENCH_HOME: home, ...(conf ? { SLURM_CONF: conf } : {}) };
const cli = (...args: string[]) => runCli(args, env);
// demo/tiny drafts for demo/large: fallbacks and rollbacks happen, so decision counts are compared for real
const PAIR = ['--small', join(MODELS, 'toy-t5-tiny'), '--large', join(MODELS, 'toy-t5-large'), '--dataset_name', 'demo', '--split', 'test', '--threads', '1', '--warmup', '0'];
// each test submits and waits for real Slurm jobs, and runs the CLI a dozen times
const JOB_TIMEOUT_MS = 600_000;
const SWEEP = ['sweep', ...PAIR, '--fallbacks', '0.5,0.9', '--rollbacks', '0.5,3', '--limit', '30'];

const json = <T>(r: { code: number; stdout: string; stderr: string }): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};
const jsonl = (path: string): SentenceResult[] => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SentenceResult);
const doneTasks = (folder: string, shards: number): number => Array.from({ length: shards }, (_, k) => existsSync(join(folder, 'tasks', String(k), 'done.json'))).filter(Boolean).length;
const squeueEmpty = (id: string): boolean => spawnSync('squeue', ['-h', '-j', id], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim() === '';

/** What must not depend on where or when a sentence was decoded. */
function decisions(o: VariantOutput) {
  const { variant, text, tokens, smallTokens, largeTokens, smallCalls, largeCalls, fallbacks, rollbacks, rolledBackTokens, acceptedLength, identicalToLarge, metric, trace } = o;
  return { variant, text, tokens, smallTokens, largeTokens, smallCalls, largeCalls, fallbacks, rollbacks, rolledBackTokens, acceptedLength, identicalToLarge, metric, trace };
}

describe.skipIf(!conf)('Slurm job arrays', () => {
  beforeAll(requireBuiltCli);

  it('a 2 x 2 sweep in 3 shards, collected, equals the same sweep run locally; it lists and exports like one', async () => {
    const local = json<RunSummary>(cli(...SWEEP, '--out', join(home, 'local'), '--json'));
    const folder = join(home, 'sweep-job');
    const submitted = json<{ jobId: string; folder: string; shards: { start: number; end: number }[] }>(
      cli(...SWEEP, '--slurm', '--shards', '3', '--array_parallel', '3', '--job_dir', folder, '--json'),
    );
    expect(submitted.folder).toBe(folder);
    expect(submitted.shards).toEqual([{ start: 0, end: 10 }, { start: 10, end: 20 }, { start: 20, end: 30 }]);
    expect(readFileSync(join(folder, 'job.sbatch'), 'utf8')).toContain('export HF_HUB_OFFLINE=1');
    await pollUntil('the three tasks to leave the queue', () => (squeueEmpty(submitted.jobId) ? true : undefined));
    expect(doneTasks(folder, 3)).toBe(3);
    const status = json<SlurmJobStatus>(cli('slurm', 'status', folder, '--json'));
    expect(status.tasks.map((t) => [t.state, t.sentencesDone, t.sentences])).toEqual([['done', 10, 10], ['done', 10, 10], ['done', 10, 10]]);

    // a copy whose task 2 lost its last sentence: failed in status (so resubmit reruns it), refused by collect
    const damaged = join(home, 'damaged-job');
    cpSync(folder, damaged, { recursive: true });
    const jsonlOf2 = join(damaged, 'tasks', '2', 'sentences.jsonl');
    writeFileSync(jsonlOf2, readFileSync(jsonlOf2, 'utf8').split('\n').slice(0, 9).join('\n') + '\n');
    const damagedStatus = json<SlurmJobStatus>(cli('slurm', 'status', damaged, '--json'));
    expect(damagedStatus.tasks.map((t) => t.state)).toEqual(['done', 'done', 'failed']);
    expect(damagedStatus.tasks[2]!.reason).toBe('marked done but its folder holds 9 of its 10 sentences');
    const refused = cli('slurm', 'collect', damaged);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/task 2: its folder .* holds 9 of its 10 sentences although it is marked done/);

    const collected = json<RunSummary>(cli('slurm', 'collect', folder, '--json'));
    expect(collected.kind).toBe('sweep');
    expect(collected.status).toBe('completed');
    expect(collected.slurm).toMatchObject({ partial: false, shards: 3, collectedTasks: [0, 1, 2], jobIds: [submitted.jobId] });
    expect(collected.environment!.nodes!.map((n) => n.sentences)).toEqual([30]);
    expect(collected.sentences).toBe(30);
    // the same decodings, sentence by sentence, in dataset order
    const mine = jsonl(join(collected.outDir!, 'sentences.jsonl'));
    const theirs = jsonl(join(local.outDir!, 'sentences.jsonl'));
    expect(mine.map((s) => [s.position, s.exampleIndex, s.source])).toEqual(theirs.map((s) => [s.position, s.exampleIndex, s.source]));
    expect(mine.map((s) => s.outputs.map(decisions))).toEqual(theirs.map((s) => s.outputs.map(decisions)));
    // corpus metrics and totals recomputed over the merged outputs
    expect(collected.summaries.map((v) => [v.variant, v.quality, v.totals, v.fallbackPct, v.rollbackPct, v.identicalToLarge, v.qualityCI])).toEqual(
      local.summaries.map((v) => [v.variant, v.quality, v.totals, v.fallbackPct, v.rollbackPct, v.identicalToLarge, v.qualityCI]),
    );
    expect(collected.summaries.find((v) => v.variant === 'bild@0.5/0.5')!.totals.rollbacks).toBeGreaterThan(0);
    expect(collected.sweep!.points.map((p) => p.variant)).toEqual(local.sweep!.points.map((p) => p.variant));

    const runs = json<RunListEntry[]>(cli('runs', 'list', '--json'));
    expect(runs.filter((r) => r.kind === 'sweep').map((r) => r.runId).sort()).toEqual([local.runId, collected.runId].sort()); // the refused collect left none
    expect(runs.find((r) => r.runId === collected.runId)).toMatchObject({ kind: 'sweep', status: 'completed', sentences: 30, plannedSentences: 30 });
    const exported = json<{ files: string[] }>(cli('runs', 'export', collected.runId, '--out', join(home, 'export'), '--json'));
    const csv = exported.files.find((f) => f.endsWith('sentences.csv'))!;
    const [head, ...rows] = parseCsv(readFileSync(csv, 'utf8'));
    expect(head).toEqual([...CSV_COLUMNS]);
    expect(head).toEqual(parseCsv(readFileSync(join(local.outDir!, 'sentences.csv'), 'utf8'))[0]);
    expect(rows).toHaveLength(30 * 6);

    const again = cli('slurm', 'collect', folder);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`is already collected as run ${collected.runId}`);
  }, JOB_TIMEOUT_MS);

  it('a task cancelled mid-way is failed; a partial collect; resubmit reruns only it; collect then completes', async () => {
    const folder = join(home, 'cancel-job');
    const run = ['run', '--model', 'bild', ...PAIR, '--limit', '24', '--repeats', '2'];
    const { jobId } = json<{ jobId: string }>(cli(...run, '--slurm', '--shards', '2', '--array_parallel', '2', '--job_dir', folder, '--json'));
    const lines = (task: number): number => {
      const path = join(folder, 'tasks', String(task), 'sentences.jsonl');
      return existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0;
    };
    await pollUntil('task 1 to decode its first sentences', () => (lines(1) >= 1 ? true : undefined), 240_000, 100);
    expect(spawnSync('scancel', [`${jobId}_1`], { env: { ...process.env, ...env } }).status).toBe(0);
    await pollUntil('task 1 to leave the queue and task 0 to finish', () => (squeueEmpty(jobId) ? true : undefined));
    expect(lines(1)).toBeLessThan(12);

    const status = json<SlurmJobStatus>(cli('slurm', 'status', folder, '--json'));
    expect(status.tasks[0]).toMatchObject({ state: 'done', sentencesDone: 12 });
    expect(status.tasks[1]!.state).toBe('failed');
    expect(status.tasks[1]!.reason).toMatch(/CANCELLED/);
    expect(cli('slurm', 'status', folder).stdout).toMatch(/1\s+failed\s+\d+\/12\s+.*CANCELLED/);

    const notDone = cli('slurm', 'collect', folder);
    expect(notDone.code).toBe(2);
    expect(notDone.stderr).toMatch(/task 1 of .* is not done .*; --partial collects the done task 0/);
    const partial = json<RunSummary>(cli('slurm', 'collect', folder, '--partial', '--json'));
    expect(partial.slurm).toMatchObject({ partial: true, collectedTasks: [0], missingTasks: [1] });
    expect([partial.sentences, partial.plannedSentences]).toEqual([12, 24]);
    expect(cli('runs', 'delete', partial.runId).code).toBe(0); // frees the job for a complete collect

    const resubmitted = json<{ jobId: string; tasks: number[] }>(cli('slurm', 'resubmit', folder, '--json'));
    expect(resubmitted.tasks).toEqual([1]);
    const subs = JSON.parse(readFileSync(join(folder, 'submissions.json'), 'utf8')) as Submission[];
    expect(subs.map((s) => s.tasks)).toEqual([[0, 1], [1]]);
    await pollUntil('the resubmitted task', () => (squeueEmpty(resubmitted.jobId) ? true : undefined));
    // as if task 1 had run on a second node with another CPU (this Slurm has one node)
    const rewrite = <T>(file: string, change: (x: T) => void): void => {
      const path = join(folder, 'tasks', '1', file);
      const x = JSON.parse(readFileSync(path, 'utf8')) as T;
      change(x);
      writeFileSync(path, JSON.stringify(x));
    };
    rewrite<{ hostname: string }>('done.json', (d) => void (d.hostname = 'node-b'));
    rewrite<RunSummary>('summary.json', (r) => void (r.environment!.cpu.model = 'Other CPU'));
    const complete = json<RunSummary>(cli('slurm', 'collect', folder, '--json'));
    expect(complete.environment!.nodes!.map((n) => [n.tasks, n.sentences, n.cpu.model === 'Other CPU'])).toEqual([[[0], 12, false], [[1], 12, true]]);
    expect(complete.environment!.nodesWarning).toMatch(/different hardware \(CPUs .* \/ Other CPU\)/);
    expect(complete.slurm).toMatchObject({ partial: false, collectedTasks: [0, 1], jobIds: [jobId, resubmitted.jobId] });
    expect(complete.sentences).toBe(24);
    expect(jsonl(join(complete.outDir!, 'sentences.jsonl')).map((s) => s.exampleIndex)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  }, JOB_TIMEOUT_MS);

  describe('bad input', () => {
    const bare = mkdtempSync(join(home, 'no-sbatch-'));
    const noSbatch = { ...env, PATH: bare };

    it('without sbatch on PATH: a clear error, and --dry_run still writes the job folder', () => {
      const folder = join(home, 'no-sbatch-job');
      const r = runCli([...SWEEP, '--slurm', '--shards', '2', '--job_dir', folder], noSbatch);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/sbatch is not on PATH.*--dry_run/);
      expect(existsSync(folder)).toBe(false);
      const dry = runCli([...SWEEP, '--slurm', '--shards', '2', '--job_dir', folder, '--dry_run'], noSbatch);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('dry run, not submitted');
      expect(readdirSync(folder).sort()).toEqual(['job.json', 'job.sbatch', 'logs']);
      const status = json<SlurmJobStatus>(cli('slurm', 'status', folder, '--json'));
      expect(status.tasks.map((t) => t.state)).toEqual(['unsubmitted', 'unsubmitted']);
    });

    it("an unknown partition: Slurm's refusal in one line, no job folder left", () => {
      const folder = join(home, 'bad-partition');
      const r = cli(...SWEEP, '--slurm', '--shards', '2', '--partition', 'nope', '--job_dir', folder);
      expect(r.code).toBe(2);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('bild-bench:'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^bild-bench: error: sbatch refused the job: invalid partition specified: nope/);
      expect(existsSync(folder)).toBe(false);
    });

    it('a job folder written by another version is refused by status, resubmit and collect', () => {
      const folder = join(home, 'old-job');
      expect(runCli([...SWEEP, '--slurm', '--shards', '2', '--job_dir', folder, '--dry_run'], noSbatch).code).toBe(0);
      const spec = JSON.parse(readFileSync(join(folder, 'job.json'), 'utf8')) as { version: number; appVersion: string };
      writeFileSync(join(folder, 'job.json'), JSON.stringify({ ...spec, version: spec.version + 1, appVersion: '9.9.9' }));
      for (const sub of ['status', 'resubmit', 'collect']) {
        const r = cli('slurm', sub, folder);
        expect(r.code, sub).toBe(2);
        expect(r.stderr).toMatch(/job\.json was written by bild-bench 9\.9\.9 \(job format \d+\); this is bild-bench .* submit the job again/);
      }
    });

    it.each([
      [['--slurm'], /--slurm needs --shards N/],
      [['--shards', '2'], /--shards applies to Slurm jobs only: add --slurm/],
      [['--slurm', '--shards', '31'], /shards: 31 is more than the run's 30 sentences/],
    ])('%j', (extra, message) => {
      const r = runCli([...SWEEP, ...extra, '--dry_run', '--job_dir', join(home, 'never')], noSbatch);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(home, 'never'))).toBe(false);
    });

    it('a job folder that holds files is refused before anything is fetched or written', () => {
      const busy = mkdtempSync(join(home, 'busy-'));
      writeFileSync(join(busy, 'notes.txt'), 'mine');
      const r = cli(...SWEEP, '--slurm', '--shards', '2', '--job_dir', busy);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/job_dir: '.*busy-.*' is not empty; give a new or empty folder/);
      expect(r.stderr).not.toContain('exporting');
      expect(readdirSync(busy)).toEqual(['notes.txt']);
    });

    it('status of a folder that is no job', () => {
      const r = cli('slurm', 'status', home);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('is not a Slurm job folder');
    });
  });
});
