import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addUserModel,
  builtinGroups,
  listModelsOnDisk,
  parseModelRef,
  removeUserModel,
  resolveModel,
  userCatalogPath,
} from '../../src-main/engine/hub';
import type { RepoFile } from '../../src-main/engine/hub/api';
import { selectModelFiles } from '../../src-main/engine/hub/model-files';
import { MODELS } from '../helpers/paths';

let home: string;
const saved = process.env.BILD_BENCH_HOME;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'bild-home-'));
  process.env.BILD_BENCH_HOME = home;
});

afterAll(() => {
  if (saved === undefined) delete process.env.BILD_BENCH_HOME;
  else process.env.BILD_BENCH_HOME = saved;
  rmSync(home, { recursive: true, force: true });
});

const file = (path: string, lfs = false): RepoFile => ({ path, size: 10, oid: '0'.repeat(40), lfs: lfs ? { oid: '1'.repeat(64), size: 10 } : undefined });

describe('catalog', () => {
  it('has the twelve checkpoints of the paper as pairs per dataset, and the embedded demo', () => {
    const groups = builtinGroups();
    const hub = groups.flatMap((g) => g.models).filter((m) => m.source.kind === 'hub');
    expect(hub.map((m) => m.source.kind === 'hub' && m.source.repo).sort()).toEqual(
      [
        'kssteven/mT5-small-iwslt2017-de-en', 'kssteven/mT5-small-iwslt2017-de-en-bild-aligned', 'kssteven/mT5-large-iwslt2017-de-en',
        'kssteven/mT5-small-wmt2014-de-en', 'kssteven/mT5-small-wmt2014-de-en-bild-aligned', 'kssteven/mT5-large-wmt2014-de-en',
        'kssteven/T5-small-xsum', 'kssteven/T5-small-xsum-bild-aligned', 'kssteven/T5-large-xsum',
        'kssteven/T5-small-cnndm', 'kssteven/T5-small-cnndm-bild-aligned', 'kssteven/T5-large-cnndm',
      ].sort(),
    );
    const cnndm = groups.find((g) => g.name === 'cnndm');
    expect(cnndm?.dataset).toEqual({ kind: 'hub', dataset: 'abisee/cnn_dailymail', config: '3.0.0', split: 'validation' });
    expect(cnndm?.fields).toMatchObject({ task: 'summarization', prefix: 'summarize: ' });
    expect(groups.find((g) => g.name === 'iwslt2017-de-en')?.models.map((m) => m.name)).toEqual([
      'iwslt2017-de-en/small',
      'iwslt2017-de-en/small-aligned',
      'iwslt2017-de-en/large',
    ]);
  });

  it('resolves demo names to the embedded folders without any network', async () => {
    const m = await resolveModel('demo/large', { endpoint: 'http://127.0.0.1:9', offline: true });
    expect(m).toMatchObject({ name: 'demo/large', folder: join(MODELS, 'toy-t5-large') });
    const rows = listModelsOnDisk({ cacheDir: join(home, 'hf') });
    expect(rows.find((r) => r.name === 'demo/tiny')?.disk.state).toBe('embedded');
    expect(rows.find((r) => r.name === 'xsum/large')?.disk.state).toBe('not-downloaded');
  });

  it('tells catalog names, folders and repo ids apart', () => {
    expect(parseModelRef('xsum/small').source).toEqual({ kind: 'hub', repo: 'kssteven/T5-small-xsum' });
    expect(parseModelRef('google/mt5-small').source).toEqual({ kind: 'hub', repo: 'google/mt5-small' });
    expect(parseModelRef(join(MODELS, 'toy-t5-small')).source).toEqual({ kind: 'local', path: join(MODELS, 'toy-t5-small') });
    expect(parseModelRef('./resources/models/toy-t5-tiny').source.kind).toBe('local');
    expect(() => parseModelRef('not a repo!')).toThrow(/neither a catalog name, a folder nor a Hugging Face repository id/);
  });

  it('keeps user-added entries in a JSON file under the app home', async () => {
    await addUserModel('someone/my-t5', 'mine/t5');
    await addUserModel(join(MODELS, 'toy-t5-small'));
    expect(JSON.parse(readFileSync(userCatalogPath(), 'utf8')).models).toEqual([
      { name: 'mine/t5', source: { kind: 'hub', repo: 'someone/my-t5' } },
      { name: 'local/toy-t5-small', source: { kind: 'local', path: join(MODELS, 'toy-t5-small') } },
    ]);
    expect(parseModelRef('mine/t5').source).toEqual({ kind: 'hub', repo: 'someone/my-t5' });
    expect((await resolveModel('local/toy-t5-small')).folder).toBe(join(MODELS, 'toy-t5-small'));
    await expect(addUserModel('other/x', 'mine/t5')).rejects.toThrow(/already has a model named 'mine\/t5'/);
    await expect(removeUserModel('demo/small')).rejects.toThrow(/built-in/);
    await removeUserModel('mine/t5');
    expect(parseModelRef('mine/t5').source).toEqual({ kind: 'hub', repo: 'mine/t5' });
    await expect(resolveModel('someone/nothing-here', { allowDownload: false, cacheDir: join(home, 'hf') })).rejects.toThrow(/is not downloaded yet/);
  });
});

describe('model file selection', () => {
  it('takes config, tokenizer and one set of weights; skips training leftovers', () => {
    const sel = selectModelFiles([
      file('config.json'), file('generation_config.json'), file('spiece.model', true), file('tokenizer_config.json'),
      file('pytorch_model.bin', true), file('optimizer.pt', true), file('scheduler.pt', true), file('rng_state.pth', true),
      file('training_args.bin', true), file('trainer_state.json'), file('README.md'), file('checkpoint-9/pytorch_model.bin', true),
      file('tf_model.h5', true), file('flax_model.msgpack', true),
    ]);
    expect('files' in sel && sel.files.map((f) => f.path)).toEqual([
      'config.json', 'generation_config.json', 'tokenizer_config.json', 'spiece.model', 'pytorch_model.bin',
    ]);
    const sharded = selectModelFiles([file('config.json'), file('pytorch_model.bin.index.json'), file('pytorch_model-00001-of-00002.bin', true)]);
    expect('weightIndex' in sharded && sharded.weightIndex?.path).toBe('pytorch_model.bin.index.json');
    expect(selectModelFiles([file('config.json')])).toEqual({ missing: 'model weights (model.safetensors or pytorch_model.bin)' });
    expect(selectModelFiles([file('model.safetensors')])).toEqual({ missing: 'config.json' });
  });
});
