// Native-module ABI independence: a checkout installed and built by one Node runs the CLI and
// keeps its history under Node builds of other ABIs (the stand-in for Electron's ABI, whose
// binary cannot run on CI). Before node:sqlite, better-sqlite3 failed here with
// "compiled against a different Node.js version using NODE_MODULE_VERSION ...".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths';

// Node lines the engine supports (>= 22.13), pinned so a cached build needs no registry lookup.
const BUILDS = ['22.23.5', '24.22.3', '26.12.1'];
const others = BUILDS.filter((v) => v.split('.')[0] !== process.versions.node.split('.')[0]).slice(0, 2);
const home = mkdtempSync(join(tmpdir(), 'bild-node-abi-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A Node build from the npm registry (cached by scripts/fetch-node.mjs, which .ci/run pre-fetches). */
function nodeBinary(version: string): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'fetch-node.mjs'), version], { encoding: 'utf8', timeout: 300_000 });
  expect(r.status, r.stderr).toBe(0);
  return join(r.stdout.trim(), 'node');
}

describe.each(others)('the CLI under Node %s', (version) => {
  it('runs BiLD on the demo pair and lists the run from the history', { timeout: 400_000 }, () => {
    const node = nodeBinary(version);
    const abi = spawnSync(node, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).stdout.trim();
    expect(abi).not.toBe(process.versions.modules);
    const env = { ...process.env, BILD_BENCH_HOME: join(home, version) };
    const cli = (...args: string[]) => spawnSync(node, ['bin/bild-bench.js', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 150_000 });
    const run = cli('run', '--model', 'bild', '--small', 'demo/small', '--large', 'demo/large', '--dataset_name', 'demo',
      '--limit', '5', '--methods', 'large,bild', '--threads', '1', '--label', `abi-${abi}`, '--out', join(home, version, 'out'));
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/NODE_MODULE_VERSION|ExperimentalWarning/);
    const runId = /^run (\S+):/m.exec(run.stdout + run.stderr)?.[1];
    expect(runId).toBeTruthy();
    const list = cli('runs', 'list', '--json');
    expect(list.status, list.stderr).toBe(0);
    const entries = JSON.parse(list.stdout) as { runId: string; status: string; sentences: number; label: string }[];
    expect(entries).toEqual([expect.objectContaining({ runId, status: 'completed', sentences: 5, label: `abi-${abi}` })]);
  });
});

describe('the CLI under a Node older than 22.13', () => {
  it('says which Node it needs and how to get it, before anything else', { timeout: 400_000 }, () => {
    const r = spawnSync(nodeBinary('20.20.2'), ['bin/bild-bench.js', 'runs', 'list'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, BILD_BENCH_HOME: join(home, 'old') } });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('bild-bench: error: Node.js >= 22.13 is needed (this is 20.20.2); `source scripts/use-node.sh` in the package folder fetches one\n');
  });
});
