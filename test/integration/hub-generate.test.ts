// A model downloaded from a Hub look-alike (pytorch_model.bin only) converts and generates through the CLI.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli';
import { goldenSources } from '../helpers/goldens';
import { FakeHub, tinyT5RepoFiles } from '../helpers/hub-server';

const REPO = 'test-org/tiny-random-t5';
let hub: FakeHub;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hub-generate-'));
  hub = new FakeHub();
  hub.addRepo('model', REPO, tinyT5RepoFiles(2));
  await hub.start();
});
afterAll(async () => {
  await hub.stop();
  rmSync(tmp, { recursive: true, force: true });
});

it('generates with a Hub repo id: downloaded, converted from the pickle, greedy ids equal HF', async () => {
  const env = { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: join(tmp, 'hub'), BILD_BENCH_HOME: join(tmp, 'bild') };
  const golden = goldenSources('tiny-random-t5')[0]!;
  const online = await runCliAsync(['generate', '--model', REPO, '--text', golden.source, '--max_length', '41', '--json'], env);
  expect(online.code, online.stderr).toBe(0);
  expect((JSON.parse(online.stdout) as { ids: number[] }).ids).toEqual(golden.greedy_ids);
  expect(hub.requests.some((r) => r.url.includes('pytorch_model.bin'))).toBe(true);
  expect(hub.requests.some((r) => r.url.includes('optimizer.pt'))).toBe(false);
  // with the Hub gone, the same command runs from the HF cache and the cached export
  await hub.stop();
  const offline = await runCliAsync(['generate', '--model', REPO, '--text', golden.source, '--max_length', '41', '--json'], { ...env, HF_HUB_OFFLINE: '1' });
  expect(offline.code, offline.stderr).toBe(0);
  expect((JSON.parse(offline.stdout) as { ids: number[] }).ids).toEqual(golden.greedy_ids);
});
