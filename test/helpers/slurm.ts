import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths';

const SCRIPT = join(ROOT, 'scripts', 'slurm-local.sh');

/**
 * A running Slurm: the environment's SLURM_CONF (.ci/run starts one), else scripts/slurm-local.sh's
 * where Slurm is installed; `stop` ends it only where this call started it (one found running
 * may serve another test file). null without Slurm (the tests skip), but under CI=true a missing
 * Slurm fails instead.
 */
export function localSlurm(): { conf: string; stop(): void } | null {
  const given = process.env.SLURM_CONF;
  if (given && spawnSync('scontrol', ['ping'], { env: process.env, encoding: 'utf8' }).status === 0) return { conf: given, stop: () => undefined };
  const installed = spawnSync('sh', ['-c', 'command -v sbatch && command -v slurmctld'], { encoding: 'utf8' }).status === 0;
  if (!installed) {
    if (process.env.CI === 'true') throw new Error('CI=true but Slurm is not installed (bash scripts/install-test-deps.sh installs it)');
    return null;
  }
  const wasRunning = spawnSync('bash', [SCRIPT, 'status']).status === 0;
  const conf = execFileSync('bash', [SCRIPT, 'start'], { encoding: 'utf8' }).trim();
  return { conf, stop: () => void (wasRunning || execFileSync('bash', [SCRIPT, 'stop'])) };
}

/** Slurm tasks run the built CLI (bin/bild-bench.js -> out/main/cli.js). */
export function requireBuiltCli(): void {
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) throw new Error('the Slurm tests need the built CLI: run `npm run build` first');
}

/** Polls `check` until it returns a value (not undefined), every `everyMs`, at most `limitMs` (a hang fails the test). */
export async function pollUntil<T>(what: string, check: () => T | undefined, limitMs = 240_000, everyMs = 500): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
