import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import goldens from '../fixtures/metric-goldens.json' with { type: 'json' };

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bild-score-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, lines: readonly string[], trailingNewline = true): string {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + (trailingNewline ? '\n' : ''));
  return p;
}

/** Runs the CLI from source, as `bild-bench score ...`. */
function score(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', 'score', ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const hyp = file('hyp.txt', goldens.hyps);
const ref = file('ref.txt', goldens.refs, false);

describe('bild-bench score', () => {
  it('--metric bleu --json matches sacreBLEU, signature included', () => {
    const r = score('--metric', 'bleu', '--hyp', hyp, '--ref', ref, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Math.abs((out['score'] as number) - goldens.corpus_bleu.score)).toBeLessThan(1e-6);
    expect(out['signature']).toBe(goldens.corpus_bleu.signature);
    expect(out['implementation']).toBe('bild-bench port of sacreBLEU 2.6.0');
    expect(out['counts']).toEqual(goldens.corpus_bleu.counts);
  });

  it('prints a sacreBLEU-style line without --json', () => {
    const r = score('--metric', 'bleu', '--hyp', hyp, '--ref', ref);
    expect(r.stdout.trim()).toBe(
      'BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 73.23 91.7/85.2/77.1/66.7 (BP = 0.920 ratio = 0.923 hyp_len = 60 ref_len = 65)',
    );
  });

  it.each([
    ['chrf', goldens.chrf],
    ['chrf++', goldens['chrf++']],
  ])('--metric %s', (metric, g) => {
    const r = score('--metric', metric, '--hyp', hyp, '--ref', ref, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { score: number; signature: string };
    expect(Math.abs(out.score - g.score)).toBeLessThan(1e-6);
    expect(out.signature).toBe(g.signature);
  });

  it('--tokenize intl and several --ref files', () => {
    const ref2 = file('ref2.txt', goldens.hyps);
    const r = score('--metric', 'bleu', '--tokenize', 'intl', '--hyp', hyp, '--ref', ref, '--ref', ref2, '--json', '--sentences');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { score: number; signature: string; sentences: number[] };
    expect(out.signature).toBe('nrefs:2|case:mixed|eff:no|tok:intl|smooth:exp|version:2.6.0');
    expect(out.score).toBeCloseTo(100, 9);
    expect(out.sentences).toHaveLength(goldens.hyps.length);
  });

  it('--metric rouge with stemming and a seeded bootstrap', () => {
    const args = ['--metric', 'rouge', '--hyp', hyp, '--ref', ref, '--json', '--stem', '--bootstrap', '100', '--seed', '3'];
    const r = score(...args);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { name: string; score: number; rouge: Record<string, { fmeasure: number }>; ci: unknown };
    expect(out.name).toBe('rougeL');
    expect(out.score).toBeCloseTo(100 * out.rouge['rougeL']!.fmeasure, 12);
    expect(Object.keys(out.rouge)).toEqual(['rouge1', 'rouge2', 'rougeL', 'rougeLsum']);
    expect(score(...args).stdout).toBe(r.stdout);
  });

  it('mismatched line counts: exit 2 naming both files and counts', () => {
    const short = file('short.txt', goldens.refs.slice(0, 5));
    const r = score('--metric', 'bleu', '--hyp', hyp, '--ref', short);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`hypotheses '${hyp}' has 7 lines, reference '${short}' has 5`);
  });

  it('bad input exits 2 with one clear line', () => {
    expect(score('--metric', 'meteor', '--hyp', hyp, '--ref', ref).stderr).toMatch(/unknown metric 'meteor'/);
    expect(score('--metric', 'bleu', '--hyp', hyp).code).toBe(2);
    expect(score('--metric', 'bleu', '--tokenize', 'zh', '--hyp', hyp, '--ref', ref).stderr).toMatch(/unknown tokenizer 'zh'/);
    expect(score('--metric', 'chrf', '--tokenize', 'intl', '--hyp', hyp, '--ref', ref).stderr).toMatch(/--tokenize applies to --metric bleu only/);
    const missing = score('--metric', 'bleu', '--hyp', join(dir, 'nope.txt'), '--ref', ref);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read hypothesis file/);
  });

  it('empty files and empty lines are scored, not dropped', () => {
    const empty = file('empty.txt', [], false);
    const r = score('--metric', 'bleu', '--hyp', empty, '--ref', empty, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { score: number }).score).toBe(0);
    const blanks = file('blanks.txt', ['', 'a b c d e']);
    const refs = file('blank-refs.txt', ['x y', 'a b c d e']);
    const out = JSON.parse(score('--metric', 'bleu', '--hyp', blanks, '--ref', refs, '--json').stdout) as { sys_len: number; ref_len: number };
    expect([out.sys_len, out.ref_len]).toEqual([5, 7]);
  });
});
