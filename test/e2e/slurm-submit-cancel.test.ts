// A Slurm submission from the app fetches its models first; through the engine worker, against the
// Hub look-alike server with a slow model file (900 kB at 20 kB/s): while it downloads, a local run is refused (both
// would use the same cores), and so is a collect, and cancelSlurmSubmit stops it, leaving no job folder behind.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerEngineClient } from '../../src-main/host/worker-client';
import { FakeHub, tinyT5RepoFiles } from '../helpers/hub-server';
import { pollUntil, requireBuiltCli } from '../helpers/slurm';

const REPO = 'test-org/slow';
const dir = mkdtempSync(join(tmpdir(), 'bild-slurm-cancel-'));
const home = join(dir, 'home');
let hub: FakeHub;
let client: WorkerEngineClient;

beforeAll(async () => {
  requireBuiltCli();
  hub = new FakeHub();
  hub.addRepo('model', REPO, tinyT5RepoFiles());
  await hub.start();
  client = new WorkerEngineClient({
    env: { ...process.env, BILD_BENCH_HOME: home, HF_HOME: join(dir, 'hf'), HF_HUB_CACHE: join(dir, 'hf', 'hub'), HF_ENDPOINT: hub.endpoint, HF_TOKEN: '', HF_HUB_OFFLINE: '0' },
  });
});
afterAll(async () => {
  await client?.close();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a Slurm submission from the app', () => {
  it('refuses a local run while it prepares, and is cancelled by its submissionId with no job folder left', async () => {
    hub.knobs = { throttle: { file: 'pytorch_model.bin', bytesPerSecond: 20_000 } };
    const spec = { models: { large: REPO }, methods: ['large' as const], dataset: { name: 'demo', split: 'test', limit: 4 }, warmup: 0 };
    const submitting = client.submitSlurm({ kind: 'run', spec, slurm: { shards: 2, dryRun: true }, submissionId: 'from-test' });
    const outcome = submitting.then(
      () => 'submitted',
      (err: Error) => err.message,
    );
    await pollUntil('the model download to start', () => (hub.requestsTo('pytorch_model.bin').length > 0 ? true : undefined), 60_000, 50);
    await expect(client.startRun({ ...spec, models: { large: 'demo/large' } })).rejects.toThrow('a Slurm submission is still preparing its models: cancel it or wait until it is submitted');
    // a collect (much reading and writing) would skew the cores' timings too: refused before the job is looked at
    await expect(client.collectSlurm('no-such-job')).rejects.toThrow('a Slurm submission is still preparing its models: cancel it or wait until it is submitted');
    await expect(client.cancelSlurmSubmit('another')).rejects.toThrow("no Slurm submission 'another' is in progress");
    await client.cancelSlurmSubmit('from-test');
    expect(await outcome).toMatch(/cancel/i);
    const jobs = join(home, 'slurm');
    expect(existsSync(jobs) ? readdirSync(jobs) : []).toEqual([]);
    expect(await client.listSlurmJobs()).toEqual([]);
  });
});
