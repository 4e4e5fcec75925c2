// Resource bounds as a user meets them on the command line: crafted config values, runaway
// counts and a source far over max_source_length.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-main/engine/api/types';
import { runCliAsync } from '../helpers/cli';
import { modelDir } from '../helpers/paths';

const home = mkdtempSync(join(tmpdir(), 'bild-bounds-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const env = { BILD_BENCH_HOME: home };

/** A copy of the tiny fixture checkpoint with `patch` applied to its config.json. */
function craftedModel(name: string, patch: Record<string, unknown>): { dir: string; config: string } {
  const src = modelDir('tiny-random-t5');
  const dir = join(home, name);
  mkdirSync(dir);
  for (const f of readdirSync(src)) if (f !== 'pytorch_model.bin') copyFileSync(join(src, f), join(dir, f));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), ...patch }));
  return { dir, config };
}

/** One line on stderr and exit code 2, the CLI's answer to bad input. */
function expectUserError(r: { code: number; stderr: string }, message: RegExp): void {
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
}

describe('crafted config values', () => {
  it.each([
    ['layers-1e9', { num_layers: 1e9 }, /field 'num_layers' is 1000000000; it must be an integer within 1\.\.128/],
    ['layers-0', { num_layers: 0 }, /field 'num_layers' is 0; it must be an integer within 1\.\.128/],
    ['decoder-layers-neg', { num_decoder_layers: -1 }, /field 'num_decoder_layers' is -1; it must be an integer within 1\.\.128/],
    ['start-id', { decoder_start_token_id: 850 }, /field 'decoder_start_token_id' is 850; it must be an integer within 0\.\.849/],
    ['distance', { relative_attention_max_distance: -128 }, /field 'relative_attention_max_distance' is -128; it must be an integer within 17\.\.1000000/],
  ])('convert refuses %s, naming the file and the field', async (name, patch, message) => {
    const { dir, config } = craftedModel(name, patch);
    const r = await runCliAsync(['convert', dir, '--out', join(home, `${name}-onnx`)], env);
    expectUserError(r, message);
    expect(r.stderr).toContain(config);
  });
});

describe('runaway counts', () => {
  const pair = ['run', '--small', 'demo/small', '--large', 'demo/large', '--dataset_name', 'demo', '--split', 'test'];
  it.each([
    [['--max_length', '1e9'], /max_length: 1000000000 is above the bound of 4096 \(decoder positions/],
    [['--max_source_length', '1e9'], /max_source_length: 1000000000 is above the bound of 4096 \(source tokens/],
    [['--threads', '10000'], /threads: 10000 is above the bound of \d+ \(4 x the cores of this machine\)/],
    [['--warmup', '1e9'], /warmup: 1000000000 is above the bound of 1000/],
    [['--warmup', '5', '--limit', '3'], /warmup: 5 is above the bound of 3 \(at most the run's --limit\)/],
    [['--limit', '1e9'], /limit: 1000000000 is above the bound of 10000000/],
  ])('run refuses %j before loading anything', async (flags, message) => {
    const out = join(home, `refused-${flags.join('')}`);
    const r = await runCliAsync([...pair, ...flags, '--out', out], env);
    expectUserError(r, message);
  });
});

describe('source truncation', () => {
  it('truncates a 20,000-word source to max_source_length, completes the run and records the count', async () => {
    const words = 'Das kleine Buch sieht die jungen Vögel und eine Tür'.split(' ');
    const long = Array.from({ length: 20_000 }, (_, i) => words[i % words.length]).join(' ');
    const data = join(home, 'long.jsonl');
    writeFileSync(
      data,
      [long, 'Ihr Buch zeichnet die Vögel.', long.slice(0, 200)].map((de) => JSON.stringify({ translation: { de, en: 'x' } })).join('\n') + '\n',
    );
    const out = join(home, 'long-run');
    const args = ['run', '--model', 'demo/large', '--dataset_name', data, '--warmup', '0', '--max_length', '8', '--out', out, '--json'];
    const r = await runCliAsync(args, env);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.status).toBe('completed');
    expect(summary.sentences).toBe(3);
    expect(summary.environment?.sourceTruncation).toEqual({ maxSourceLength: 1024, truncated: 1 });

    const short = await runCliAsync([...args.slice(0, -3), '--max_source_length', '16', '--out', join(home, 'short-run'), '--json'], env);
    expect(short.code).toBe(0);
    expect((JSON.parse(short.stdout) as RunSummary).environment?.sourceTruncation).toEqual({ maxSourceLength: 16, truncated: 2 });
  });
});
