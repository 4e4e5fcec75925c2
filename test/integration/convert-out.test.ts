// `convert --out DIR` replaces DIR whole: only a folder this tool wrote may be replaced (#15).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src-main/engine/checkpoint/open';
import { exportT5 } from '../../src-main/engine/onnx/export-t5';
import { runCli } from '../helpers/cli';
import { scratch } from '../helpers/export';
import { fill, Mounts, mountSkipReason } from '../helpers/mounts';
import { modelDir } from '../helpers/paths';

let home: string;
let env: Record<string, string>;
const ckpt = modelDir('tiny-random-t5');
const LAYOUTS = [[], ['--layout', 'transformers.js']];

beforeAll(() => {
  home = scratch('bild-convert-out-');
  env = { BILD_BENCH_HOME: home };
});

const convert = (out: string, layout: string[] = []) => runCli(['convert', ckpt, '--out', out, ...layout], env);

/** Every file under `dir` with its content, to show nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile()) files[join(e.parentPath, e.name).slice(dir.length + 1)] = readFileSync(join(e.parentPath, e.name), 'base64');
  return files;
}

function refused(r: { code: number; stderr: string }, out: string, why: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^bild-bench: error: --out: /);
  expect(lines[0]).toContain(`'${out}'`);
  expect(lines[0]).toMatch(why);
}

describe('convert --out into a folder it did not write', () => {
  it('refuses a web project that merely has a manifest.json, with either layout, and leaves it intact', () => {
    const web = join(home, 'web');
    mkdirSync(join(web, 'src'), { recursive: true });
    writeFileSync(join(web, 'manifest.json'), JSON.stringify({ name: 'my app', start_url: '/' }));
    writeFileSync(join(web, 'index.html'), '<!doctype html>');
    writeFileSync(join(web, 'src', 'app.js'), 'console.log(1)');
    const before = snapshot(web);
    for (const layout of LAYOUTS) refused(convert(web, layout), web, /did not write .*bild-bench-export\.json/);
    expect(snapshot(web)).toEqual(before);
    expect(readdirSync(home).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  it('refuses a folder holding a foreign onnx/encoder_model.onnx, with either layout', () => {
    const model = join(home, 'someone-elses-model');
    mkdirSync(join(model, 'onnx'), { recursive: true });
    writeFileSync(join(model, 'onnx', 'encoder_model.onnx'), Buffer.from('\x08\x07\x12\x0bpytorch 2.5'));
    writeFileSync(join(model, 'onnx', 'decoder_model_merged.onnx'), 'graph');
    writeFileSync(join(model, 'README.md'), '# my model');
    const before = snapshot(model);
    for (const layout of LAYOUTS) refused(convert(model, layout), model, /did not write/);
    expect(snapshot(model)).toEqual(before);
  });
});

describe('convert --out over an earlier export', () => {
  it('replaces its own export (marked), either layout over either', () => {
    const out = join(home, 'export');
    for (const layout of [...LAYOUTS, ...LAYOUTS]) {
      const r = convert(out, layout);
      expect(r.code, r.stderr).toBe(0);
      const marker = JSON.parse(readFileSync(join(out, '.bild-bench-export.json'), 'utf8'));
      expect(marker).toEqual({ format: 'bild-bench-onnx-export', version: 1, layout: layout.length ? 'transformers.js' : 'bild', source: ckpt });
      expect(existsSync(join(out, layout.length ? 'onnx/encoder_model.onnx' : 'encoder.onnx'))).toBe(true);
      expect(existsSync(join(out, layout.length ? 'encoder.onnx' : 'onnx'))).toBe(false);
    }
  });

  it('replaces an unmarked export of the earlier format, but not one with a file of the user in it', () => {
    for (const layout of LAYOUTS) {
      const out = join(home, `legacy-${layout.length}`);
      expect(convert(out, layout).code).toBe(0);
      rmSync(join(out, '.bild-bench-export.json')); // what the previous version wrote
      const r = convert(out, layout);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(out, '.bild-bench-export.json'))).toBe(true);

      rmSync(join(out, '.bild-bench-export.json'));
      writeFileSync(join(out, 'notes.txt'), 'mine');
      refused(convert(out, layout), out, /did not write \(notes\.txt\)/);
      expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    }
  });

  it('refuses a marked export the user added a file to', () => {
    const out = join(home, 'marked-plus');
    expect(convert(out).code).toBe(0);
    mkdirSync(join(out, 'results'));
    writeFileSync(join(out, 'results', 'bleu.txt'), '31.2');
    refused(convert(out), out, /did not write \(results\/\)/);
    expect(readFileSync(join(out, 'results', 'bleu.txt'), 'utf8')).toBe('31.2');
  });

  it('sweeps the temporary folders that killed exports to the same --out left, and only those', () => {
    const out = join(home, 'swept');
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    const now = Date.now();
    const partial = (pid: number, at: number, name = 'swept') => {
      const dir = join(home, `${name}.partial-${pid}-${at}-0a1b2c`);
      cpSync(ckpt, dir, { recursive: true }); // some bytes, as a killed export leaves
      return dir;
    };
    const killed = partial(deadPid, now);
    const stale = partial(process.pid, now - 3 * 24 * 3600_000); // its pid is alive again: reused
    const running = partial(process.pid, now); // an export still under way in this process
    const another = partial(deadPid, now, 'other-export');
    const r = convert(out);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(killed)).toBe(false);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(running)).toBe(true);
    expect(existsSync(another)).toBe(true);
    for (const d of [running, another]) rmSync(d, { recursive: true });
  });
});

describe('an export failing elsewhere than --out', () => {
  it('reports a checkpoint it cannot read as that, not as a folder it cannot write', async () => {
    const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    const reader = await openCheckpoint(ckpt);
    const failing = new Proxy(reader, {
      get: (target, key) => (key === 'readF32' ? () => Promise.reject(eio) : (Reflect.get(target, key) as unknown)),
    });
    const out = join(home, 'unreadable-checkpoint');
    try {
      await expect(exportT5(ckpt, out, { reader: failing, hash: 'not hashed' })).rejects.toBe(eio);
    } finally {
      await reader.close();
    }
    expect(readdirSync(home).filter((n) => n.startsWith('unreadable-checkpoint'))).toEqual([]);
  });
});

describe.skipIf(mountSkipReason())('convert --out on a full or read-only disk', () => {
  const mounts = new Mounts();
  afterAll(() => mounts.release());

  it('names the folder and the reason in one line, and leaves no temporary folder', () => {
    const disk = mounts.tmpfs('small', '600k')!;
    const view = mounts.readOnlyView(disk, 'small-ro');
    fill(disk, 100 * 1024); // less than the 1.1 MB of weights
    for (const layout of LAYOUTS) {
      refused(convert(join(view, 'x'), layout), join(view, 'x'), /cannot write .* \(the file system is read-only \(EROFS\)\)/);
      const full = convert(join(disk, 'x'), layout);
      expect(full.code, full.stderr).toBe(2);
      expect(full.stderr.trim()).toBe(`bild-bench: error: cannot write '${join(disk, 'x')}': no space left on the device (ENOSPC)`);
      expect(readdirSync(disk)).toEqual(['filler']);
    }
  });

  it('names the file that failed, not --out, when the failure is elsewhere (the checkpoint hash memo on a full home)', () => {
    const disk = mounts.tmpfs('full-home', '600k')!;
    const fullHome = join(disk, 'home');
    mkdirSync(join(fullHome, 'hashes'), { recursive: true });
    fill(disk, 0);
    const out = join(home, 'not-blamed');
    const r = runCli(['convert', ckpt, '--out', out], { BILD_BENCH_HOME: fullHome });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`bild-bench: error: cannot write '${join(fullHome, 'hashes', 'checkpoint-hashes.json')}': no space left on the device (ENOSPC)`);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(home).filter((n) => n.startsWith('not-blamed'))).toEqual([]);
  });
});
