import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatasetStore } from './dataset-store.ts';
import { RecordStore } from './record-store.ts';
import { RenderStore } from './render-store.ts';
import { transaction } from './store-kit.ts';
import type { NewRecordRow } from '../schema/datasets.ts';
import { TEST_DRIVERS, openTestDatabase, type TestDatabase } from '../testing.ts';

function recordRows(datasetId: number, n: number, labelOf: (i: number) => 'normal' | 'abnormal' | 'excluded' = () => 'normal'): NewRecordRow[] {
  return Array.from({ length: n }, (_, i) => ({
    datasetId,
    externalId: String(i + 1).padStart(5, '0'),
    patientId: `p${i}`,
    fold: (i % 10) + 1,
    split: i % 10 === 9 ? ('test' as const) : i % 10 === 8 ? ('val' as const) : ('train' as const),
    label: labelOf(i),
    sourceCodes: { NORM: 100 },
    samplingRateHz: 100,
    lengthSamples: 1000,
    ageYears: 56,
    sex: 'male' as const,
    signalPath: `records100/00000/${String(i + 1).padStart(5, '0')}_lr.hea`,
  }));
}

describe.each(TEST_DRIVERS)('DatasetStore and RecordStore on %s', (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.reset();
  });

  it('upserts a dataset by name: a re-import updates the row and keeps its id', async () => {
    const store = new DatasetStore(t.db);
    const first = await store.upsert({ name: 'ptbxl', kind: 'ptbxl', sourcePath: '/a', labelRule: 'r1', sourceFileHashes: { 'a.csv': 'h1' } });
    const second = await store.upsert({ name: 'ptbxl', kind: 'ptbxl', sourcePath: '/b', labelRule: 'r2' });
    expect(second.id).toBe(first.id);
    expect(second.sourcePath).toBe('/b');
    expect(second.sourceFileHashes).toEqual({});
    expect(await store.list()).toHaveLength(1);
  });

  it('upserts records idempotently in chunks and returns ids in input order', async () => {
    const dataset = await new DatasetStore(t.db).upsert({ name: 'd', kind: 'ptbxl', sourcePath: '/d', labelRule: 'r' });
    const store = new RecordStore(t.db);
    const rows = recordRows(dataset.id, 25);
    const first = await store.upsertMany(rows, { chunkSize: 7 });
    expect(first.map((r) => r.externalId)).toEqual(rows.map((r) => r.externalId));
    // Second import with one label changed: same ids, no new rows, the change applied.
    const changed = rows.map((r, i) => (i === 3 ? { ...r, label: 'abnormal' as const } : r));
    const second = await store.upsertMany(changed, { chunkSize: 10 });
    expect(second.map((r) => r.id)).toEqual(first.map((r) => r.id));
    expect(await store.count({ datasetId: dataset.id })).toBe(25);
    expect((await store.getByExternalId(dataset.id, '00004'))?.label).toBe('abnormal');
  });

  it('stores awkward values exactly through the array-parameter bulk upsert', async () => {
    const dataset = await new DatasetStore(t.db).upsert({ name: 'd', kind: 'manifest', sourcePath: '/d', labelRule: 'r' });
    const [base] = recordRows(dataset.id, 1);
    // Characters that need escaping in PostgreSQL array literals and JSON: quotes, backslash, comma, braces, NULL text.
    const awkward: NewRecordRow = {
      ...base,
      externalId: 'a "quoted", {braced} \\ path',
      patientId: 'NULL',
      sourceCodes: { 'a"b\\c,{}': 1.5, ü: 2 },
      quality: { nested: [1, null, 'x"y'], ok: false },
      ageYears: null,
      sex: null,
      samplingRateHz: 0.1 + 0.2,
    };
    const [{ id }] = await new RecordStore(t.db).upsertMany([awkward, { ...base, externalId: 'plain' }]);
    const stored = await new RecordStore(t.db).getById(id);
    expect(stored).toMatchObject({
      externalId: awkward.externalId,
      patientId: 'NULL',
      sourceCodes: awkward.sourceCodes,
      quality: awkward.quality,
      ageYears: null,
      sex: null,
      samplingRateHz: 0.30000000000000004,
      signalSha256: null,
    });
  });

  it('rejects a second record with the same (dataset, external id) on plain insert and bad labels by check', async () => {
    const dataset = await new DatasetStore(t.db).upsert({ name: 'd', kind: 'ptbxl', sourcePath: '/d', labelRule: 'r' });
    const [row] = recordRows(dataset.id, 1);
    const { records } = await import('../schema/datasets.ts');
    await t.db.insert(records).values(row);
    await expect(t.db.insert(records).values(row)).rejects.toThrow();
    await expect(t.db.insert(records).values({ ...row, externalId: 'other', label: 'maybe' as 'normal' })).rejects.toThrow();
  });

  it('leaves nothing behind when the caller’s transaction rolls back', async () => {
    const datasets = new DatasetStore(t.db);
    await expect(
      transaction(t.db, async (tx) => {
        const dataset = await new DatasetStore(tx).upsert({ name: 'half', kind: 'cinc', sourcePath: '/h', labelRule: 'r' });
        await new RecordStore(tx).upsertMany(recordRows(dataset.id, 30), { chunkSize: 8 });
        throw new Error('truncated .dat in record 31');
      }),
    ).rejects.toThrow('truncated .dat');
    expect(await datasets.list({ includeDeleted: true })).toEqual([]);
    expect(await datasets.labelCounts()).toEqual([]);
  });

  it('lists records by dataset, split and label with a cursor that visits each once', async () => {
    const dataset = await new DatasetStore(t.db).upsert({ name: 'd', kind: 'ptbxl', sourcePath: '/d', labelRule: 'r' });
    const store = new RecordStore(t.db);
    // 40 records; i % 10 < 8 is train (32 records); abnormal when i is odd: 16 of the train records.
    await store.upsertMany(recordRows(dataset.id, 40, (i) => (i % 2 ? 'abnormal' : 'normal')));
    const seen: string[] = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const page = await store.list({ datasetId: dataset.id, split: 'train', label: 'abnormal' }, { afterId: cursor, limit: 5 });
      seen.push(...page.items.map((r) => r.externalId));
      for (const r of page.items) expect([r.split, r.label]).toEqual(['train', 'abnormal']);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(seen).toHaveLength(16);
    expect(new Set(seen).size).toBe(16);
    expect(pages).toBe(4);
    expect(await store.count({ datasetId: dataset.id, split: null })).toBe(0);
  });

  it('counts records per split and label, and soft delete hides a dataset until re-import', async () => {
    const store = new DatasetStore(t.db);
    const dataset = await store.upsert({ name: 'd', kind: 'ptbxl', sourcePath: '/d', labelRule: 'r' });
    // 10 records: i = 8 is val, i = 9 is test, the rest train; i = 0 excluded, odd abnormal, even normal.
    await new RecordStore(t.db).upsertMany(recordRows(dataset.id, 10, (i) => (i === 0 ? 'excluded' : i % 2 ? 'abnormal' : 'normal')));
    const counts = await store.labelCounts([dataset.id]);
    expect(counts.map((c) => `${c.split}/${c.label}=${c.count}`).sort()).toEqual(
      ['test/abnormal=1', 'train/abnormal=4', 'train/excluded=1', 'train/normal=3', 'val/normal=1'].sort(),
    );
    expect(await store.softDelete(dataset.id)).toBe(true);
    expect(await store.getByName('d')).toBeUndefined();
    expect(await store.list()).toEqual([]);
    expect((await store.getByName('d', { includeDeleted: true }))?.id).toBe(dataset.id);
    const back = await store.upsert({ name: 'd', kind: 'ptbxl', sourcePath: '/d', labelRule: 'r' });
    expect(back.deletedAt).toBeNull();
  });

  it('stores one rendered image per (record, style) and one style per params hash', async () => {
    const dataset = await new DatasetStore(t.db).upsert({ name: 'd', kind: 'ptbxl', sourcePath: '/d', labelRule: 'r' });
    const [rec] = await new RecordStore(t.db).upsertMany(recordRows(dataset.id, 1));
    const renders = new RenderStore(t.db);
    const style = await renders.upsertStyle({ name: 'grid', params: { dpi: 200 }, hash: 'abc' });
    const again = await renders.upsertStyle({ name: 'grid-renamed', params: { dpi: 200 }, hash: 'abc' });
    expect(again.id).toBe(style.id);
    const image = { recordId: rec.id, styleId: style.id, path: 'a.png', sha256: 's1', widthPx: 2200, heightPx: 1700, dpi: 200 };
    await renders.upsertImages([image]);
    await renders.upsertImages([{ ...image, path: 'b.png', sha256: 's2' }]);
    const page = await renders.listImages(style.id);
    expect(page.items.map((i) => [i.path, i.sha256])).toEqual([['b.png', 's2']]);
    expect((await renders.getImage(rec.id, style.id))?.widthPx).toBe(2200);
  });
});
