import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchDatasetParquet } from '../../src-main/engine/hub';
import { isSplitParquet } from '../../src-main/engine/hub/datasets';
import { FakeHub } from '../helpers/hub-server';

const DATASET = 'test-org/toy-iwslt';
let hub: FakeHub;
let cache: string;
let parquetCommit: string;

function shard(rows: Array<{ de: string; en: string }>): Buffer {
  return Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'translation', data: rows }] }));
}

const opts = () => ({ endpoint: hub.endpoint, cacheDir: cache, token: '', offline: false, retryBaseMs: 5, maxRetries: 1 });

beforeAll(async () => {
  cache = mkdtempSync(join(tmpdir(), 'hub-ds-'));
  hub = new FakeHub();
  parquetCommit = hub.addParquetDataset(DATASET, {
    'iwslt2017-de-en': {
      validation: [shard([{ de: 'Hallo Welt', en: 'Hello world' }, { de: 'Ja', en: 'Yes' }]), shard([{ de: 'Nein', en: 'No' }])],
      test: [shard([{ de: 'Danke', en: 'Thanks' }])],
    },
  });
  await hub.start();
});

afterAll(async () => {
  await hub.stop();
  rmSync(cache, { recursive: true, force: true });
});

describe('dataset parquet files from the Hub', () => {
  it('lists the parquet conversion through the API and downloads the split into the cache', async () => {
    const got = await fetchDatasetParquet({ dataset: DATASET, config: 'iwslt2017-de-en', split: 'validation' }, opts());
    expect(got.commit).toBe(parquetCommit);
    const root = join(cache, 'datasets--test-org--toy-iwslt');
    expect(got.files).toEqual([
      join(root, 'snapshots', parquetCommit, 'iwslt2017-de-en', 'validation', '0000.parquet'),
      join(root, 'snapshots', parquetCommit, 'iwslt2017-de-en', 'validation', '0001.parquet'),
    ]);
    expect(readFileSync(join(root, 'refs', 'refs', 'convert', 'parquet'), 'utf8')).toBe(parquetCommit);
    const rows = [];
    for (const f of got.files) {
      const b = readFileSync(f);
      rows.push(...(await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) })));
    }
    expect(rows).toEqual([
      { translation: { de: 'Hallo Welt', en: 'Hello world' } },
      { translation: { de: 'Ja', en: 'Yes' } },
      { translation: { de: 'Nein', en: 'No' } },
    ]);
    expect(hub.requestsTo('/tree/').length).toBeGreaterThan(0);
    expect(hub.requestsTo('/test/')).toEqual([]); // only the asked split
  });

  it('names the available configs and splits when asked for a missing one', async () => {
    await expect(fetchDatasetParquet({ dataset: DATASET, config: 'iwslt2017-de-en', split: 'train' }, opts())).rejects.toThrow(
      `dataset ${DATASET} has no parquet files for config 'iwslt2017-de-en' split 'train' (available: iwslt2017-de-en/test, iwslt2017-de-en/validation)`,
    );
    await expect(fetchDatasetParquet({ dataset: DATASET, config: 'xx', split: 'validation' }, opts())).rejects.toThrow(/no parquet files for config 'xx'/);
    await expect(fetchDatasetParquet({ dataset: 'nobody/none', config: 'a', split: 'b' }, opts())).rejects.toThrow(
      `repository dataset nobody/none not found on ${hub.endpoint}`,
    );
  });

  it('serves the cached files offline', async () => {
    const online = await fetchDatasetParquet({ dataset: DATASET, config: 'iwslt2017-de-en', split: 'validation' }, opts());
    const offline = await fetchDatasetParquet({ dataset: DATASET, config: 'iwslt2017-de-en', split: 'validation' }, { ...opts(), offline: true });
    expect(offline).toEqual(online);
    await expect(
      fetchDatasetParquet({ dataset: DATASET, config: 'iwslt2017-de-en', split: 'test' }, { ...opts(), offline: true }),
    ).rejects.toThrow(/not in the Hugging Face cache .* offline mode is on/);
  });

  it('does not serve offline a split whose download stopped after some of its shards', async () => {
    const own = { ...opts(), cacheDir: mkdtempSync(join(tmpdir(), 'hub-ds-partial-')) };
    try {
      await fetchDatasetParquet({ dataset: DATASET, config: 'iwslt2017-de-en', split: 'test' }, own); // writes the ref
      hub.knobs = { drop: { file: 'validation/0001.parquet', afterBytes: 0, times: Infinity } };
      await expect(fetchDatasetParquet({ dataset: DATASET, config: 'iwslt2017-de-en', split: 'validation' }, own)).rejects.toThrow(/connection dropped/);
      hub.knobs = {};
      const root = join(own.cacheDir, 'datasets--test-org--toy-iwslt', 'snapshots', parquetCommit, 'iwslt2017-de-en');
      expect(existsSync(join(root, 'validation', '0000.parquet'))).toBe(true); // one of two shards landed
      await expect(fetchDatasetParquet({ dataset: DATASET, config: 'iwslt2017-de-en', split: 'validation' }, { ...own, offline: true })).rejects.toThrow(
        `the cached copy of dataset ${DATASET} (iwslt2017-de-en/validation) at ${own.cacheDir} may lack some of its files (its download did not finish, or another tool made it) and offline mode is on: run once with the Hub reachable to complete it`,
      );
      const done = await fetchDatasetParquet({ dataset: DATASET, config: 'iwslt2017-de-en', split: 'validation' }, own);
      expect(await fetchDatasetParquet({ dataset: DATASET, config: 'iwslt2017-de-en', split: 'validation' }, { ...own, offline: true })).toEqual(done);
      expect(done.files).toHaveLength(2);
    } finally {
      rmSync(own.cacheDir, { recursive: true, force: true });
    }
  });

  it('recognises the converter file layouts', () => {
    expect(isSplitParquet('de-en/validation/0000.parquet', 'de-en', 'validation')).toBe(true);
    expect(isSplitParquet('de-en/partial-train/0003.parquet', 'de-en', 'train')).toBe(true);
    expect(isSplitParquet('de-en/wmt14-validation.parquet', 'de-en', 'validation')).toBe(true);
    expect(isSplitParquet('de-en/wmt14-train-00001-of-00003.parquet', 'de-en', 'train')).toBe(true);
    expect(isSplitParquet('de-en/test/0000.parquet', 'de-en', 'validation')).toBe(false);
    expect(isSplitParquet('fr-en/validation/0000.parquet', 'de-en', 'validation')).toBe(false);
  });
});
