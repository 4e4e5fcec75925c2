// The convert and generate commands as a user runs them, including every kind of bad input.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratch } from '../helpers/export';
import { runCli } from '../helpers/cli';
import { goldenSources } from '../helpers/goldens';
import { FIXTURES, modelDir } from '../helpers/paths';

let home: string;
let env: Record<string, string>;
beforeAll(() => {
  home = scratch('bild-cli-');
  env = { BILD_BENCH_HOME: home };
});

const oneErrorLine = (stderr: string, pattern: RegExp) => {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^bild-bench: error: /);
  expect(lines[0]).toMatch(pattern);
};

describe('bild-bench convert', () => {
  it('exports to --out, and into the cache once (the second run is a cache hit)', () => {
    const out = join(home, 'converted');
    const r = runCli(['convert', modelDir('toy-t5-small'), '--out', out, '--dtype', 'fp16'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['.bild-bench-export.json', 'decoder-device.onnx', 'decoder.onnx', 'encoder.onnx', 'manifest.json', 'weights.bin']);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).dtype).toBe('fp16');

    // what an export killed mid-way left in the cache is swept by the next export there
    const killed = join(home, 'onnx', 'abc.partial-999999999-1700000000000-0a1b2c');
    mkdirSync(killed, { recursive: true });
    const first = runCli(['convert', modelDir('tiny-random-t5')], env);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(killed)).toBe(false);
    expect(first.stderr).toMatch(/exported in/);
    const dir = first.stdout.trim();
    const mtime = statSync(join(dir, 'weights.bin')).mtimeMs;
    const second = runCli(['convert', modelDir('tiny-random-t5')], env);
    expect(second.stdout.trim()).toBe(dir);
    expect(second.stderr).toMatch(/cache hit/);
    expect(statSync(join(dir, 'weights.bin')).mtimeMs).toBe(mtime);
  });

  it('refuses bad input with one clear line and exit code 2, leaving nothing half-written', () => {
    const bad = join(home, 'bad');
    mkdirSync(bad, { recursive: true });
    oneErrorLine(runCli(['convert', join(home, 'missing')], env).stderr, /missing.*(not found|does not exist)/);
    expect(runCli(['convert', join(home, 'missing')], env).code).toBe(2);

    // a folder without config.json
    const noConfig = join(bad, 'no-config');
    mkdirSync(noConfig);
    let r = runCli(['convert', noConfig], env);
    expect(r.code).toBe(2);
    oneErrorLine(r.stderr, /config\.json: not found/);

    // unsupported architecture
    const bart = join(bad, 'bart');
    cpSync(modelDir('tiny-random-t5'), bart, { recursive: true });
    writeFileSync(join(bart, 'config.json'), JSON.stringify({ model_type: 'bart', architectures: ['BartForConditionalGeneration'] }));
    r = runCli(['convert', bart], env);
    expect(r.code).toBe(2);
    oneErrorLine(r.stderr, /unsupported architecture \(model_type 'bart'\)/);

    // a truncated safetensors file
    const truncated = join(bad, 'truncated');
    cpSync(modelDir('toy-t5-small'), truncated, { recursive: true });
    const st = join(truncated, 'model.safetensors');
    truncateSync(st, statSync(st).size - 1000);
    const out = join(bad, 'truncated-out');
    r = runCli(['convert', truncated, '--out', out], env);
    expect(r.code).toBe(2);
    oneErrorLine(r.stderr, /model\.safetensors.*truncated/i);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(bad).filter((f) => f.includes('partial'))).toEqual([]);

    // a hostile pickle: a foreign global in data.pkl
    const hostile = join(bad, 'hostile');
    mkdirSync(hostile);
    cpSync(join(FIXTURES, 'tiny-random-t5', 'config.json'), join(hostile, 'config.json'));
    writeFileSync(join(hostile, 'pytorch_model.bin'), hostileTorchZip());
    r = runCli(['convert', hostile], env);
    expect(r.code).toBe(2);
    oneErrorLine(r.stderr, /os.*system/);

    r = runCli(['convert', modelDir('toy-t5-small'), '--dtype', 'int4'], env);
    expect(r.code).toBe(2);
    oneErrorLine(r.stderr, /--dtype: 'int4' is not one of fp32, fp16, int8, q4/);

    // --out is replaced whole: never the checkpoint, a folder holding it, or a folder of other files
    const ckpt = join(bad, 'ckpt');
    cpSync(modelDir('toy-t5-small'), ckpt, { recursive: true });
    const before = readdirSync(ckpt).sort();
    for (const out of [ckpt, bad]) {
      r = runCli(['convert', ckpt, '--out', out], env);
      expect(r.code).toBe(2);
      oneErrorLine(r.stderr, /is or holds the checkpoint folder/);
    }
    expect(readdirSync(ckpt).sort()).toEqual(before);
    const other = join(bad, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    r = runCli(['convert', ckpt, '--out', other], env);
    expect(r.code).toBe(2);
    oneErrorLine(r.stderr, /holds files this tool did not write/);
    expect(readFileSync(join(other, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('converts a catalog model by name, and replaces an earlier export at --out', () => {
    const out = join(home, 'by-name');
    for (let i = 0; i < 2; i++) {
      const r = runCli(['convert', 'demo/small', '--out', out], env);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).checkpointDir).toBe(modelDir('toy-t5-small'));
    }
  });
});

describe('bild-bench generate', () => {
  const source = goldenSources('toy-t5-large')[1]!;

  it('prints text, ids (start token and EOS included) and ms with --json', () => {
    const r = runCli(['generate', '--model', modelDir('toy-t5-large'), '--text', source.source, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { text: string; ids: number[]; ms: number };
    expect(out.ids).toEqual(source.greedy_ids);
    expect(out.text).toBe(source.greedy_text);
    expect(out.ms).toBeGreaterThan(0);
  });

  it('runs BiLD and speculative decoding with counts', () => {
    const pair = ['--small', modelDir('toy-t5-small'), '--large', modelDir('toy-t5-large')];
    const bild = runCli(['generate', '--model', 'bild', ...pair, '--bild_fallback', '0.5', '--bild_rollback', '2', '--text', source.source, '--json'], env);
    expect(bild.code, bild.stderr).toBe(0);
    const b = JSON.parse(bild.stdout) as Record<string, number | number[] | string>;
    expect(b.ids).toEqual(source.greedy_ids);
    expect(b.smallTokens as number).toBeGreaterThan(b.largeTokens as number);
    for (const k of ['smallCalls', 'largeCalls', 'fallbacks', 'rollbacks', 'rolledBackTokens', 'encoderMs', 'decodeMs']) expect(typeof b[k]).toBe('number');

    const spec = runCli(['generate', '--model', 'speculative', ...pair, '--draft', '3', '--text', source.source, '--json'], env);
    expect(spec.code, spec.stderr).toBe(0);
    expect((JSON.parse(spec.stdout) as { ids: number[] }).ids).toEqual(source.greedy_ids);
  });

  it('refuses a pair with different tokenizers before loading anything', () => {
    const other = join(home, 'other-tokenizer');
    cpSync(modelDir('toy-t5-small'), other, { recursive: true });
    const tok = JSON.parse(readFileSync(join(other, 'tokenizer.json'), 'utf8')) as { model: { vocab: [string, number][] } };
    tok.model.vocab[300]![0] = '▁different';
    writeFileSync(join(other, 'tokenizer.json'), JSON.stringify(tok));
    const r = runCli(['generate', '--model', 'bild', '--small', other, '--large', modelDir('toy-t5-large'), '--text', 'x', '--json'], env);
    expect(r.code).toBe(2);
    oneErrorLine(r.stderr, /different tokenizers/);
  });

  it('names the bad option', () => {
    const pair = ['--small', modelDir('toy-t5-small'), '--large', modelDir('toy-t5-large')];
    oneErrorLine(runCli(['generate', '--model', 'bild', ...pair, '--bild_rollback', '0', '--text', 'x'], env).stderr, /--bild_rollback: 0 must be > 0/);
    oneErrorLine(runCli(['generate', '--model', 'bild', ...pair, '--bild_fallback', 'abc', '--text', 'x'], env).stderr, /--bild_fallback: 'abc' is not a number/);
    oneErrorLine(runCli(['generate', '--model', 'bild', '--large', modelDir('toy-t5-large'), '--text', 'x'], env).stderr, /missing required option --small/);
    oneErrorLine(runCli(['generate', '--model', modelDir('toy-t5-large'), '--texx', 'x'], env).stderr, /Unknown option '--texx'/);
    expect(runCli(['frobnicate'], env).code).toBe(2);
  });
});

/** A torch.save-style zip whose data.pkl calls os.system: written by hand (stored, no compression). */
function hostileTorchZip(): Buffer {
  // pickle protocol 2: GLOBAL 'os system', then a string argument, TUPLE1, REDUCE, STOP
  const pkl = Buffer.concat([
    Buffer.from([0x80, 0x02]),
    Buffer.from('cos\nsystem\n', 'latin1'),
    Buffer.from([0x58]), // BINUNICODE
    u32(4),
    Buffer.from('true'),
    Buffer.from([0x85, 0x52, 0x2e]),
  ]);
  return storedZip([['archive/data.pkl', pkl]]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function storedZip(entries: [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.concat([u32(0x04034b50), u16(20), u16(0), u16(0), u16(0), u16(0), u32(crc), u32(data.length), u32(data.length), u16(n.length), u16(0), n, data]);
    centrals.push(Buffer.concat([u32(0x02014b50), u16(20), u16(20), u16(0), u16(0), u16(0), u16(0), u32(crc), u32(data.length), u32(data.length), u16(n.length), u16(0), u16(0), u16(0), u16(0), u32(0), u32(offset), n]));
    locals.push(local);
    offset += local.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(cd.length), u32(offset), u16(0)]);
  return Buffer.concat([...locals, cd, end]);
}
