import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractTarArchiveCached, resolveCacheDir, resolveEcgDataDir } from '@leadwise/ecg';
import { datasets, NotFoundError, records, renderedImages, renderStyles } from '@leadwise/db';
import { eq, openTestDatabase, type TestDatabase } from '@leadwise/db/testing';
import { renderDataset, renderStyleName } from './render-dataset.ts';

const CHAPMAN = ['JS00001', 'JS00002', 'JS00004'];

let database: TestDatabase;
let outDir: string;
beforeAll(async () => {
  database = await openTestDatabase('postgres');
  outDir = await mkdtemp(join(tmpdir(), 'leadwise-render-'));
  const root = await extractTarArchiveCached(join(resolveEcgDataDir(), 'chapman-shaoxing-subset-400.tar.xz'), resolveCacheDir());
  const [dataset] = await database.db
    .insert(datasets)
    .values({ name: 'chapman-three', kind: 'cinc', sourcePath: root, labelRule: 'test' })
    .returning();
  await database.db.insert(records).values([
    ...CHAPMAN.map((name) => ({
      datasetId: dataset.id,
      externalId: name,
      label: 'abnormal' as const,
      sourceCodes: [],
      samplingRateHz: 500,
      lengthSamples: 5000,
      signalPath: join(root, 'chapman_shaoxing', 'WFDBRecords', '01', '010', `${name}.hea`),
    })),
    // A record whose files are gone: reported, never fatal.
    { datasetId: dataset.id, externalId: 'JS99999', label: 'normal' as const, sourceCodes: [], samplingRateHz: 500, lengthSamples: 5000, signalPath: join(root, 'missing.hea') },
  ]);
});
afterAll(async () => {
  await database?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('renderDataset', () => {
  it('renders with two worker threads and records each image with its checksum', async () => {
    const progress: number[] = [];
    const result = await renderDataset(database.db, {
      dataset: 'chapman-three',
      options: { gridStyle: 'none', dpi: 100 },
      outDir,
      workers: 2,
      onProgress: (done) => progress.push(done),
    });
    expect(result).toMatchObject({ rendered: 3, workers: 2, styleName: renderStyleName({ gridStyle: 'none', dpi: 100 }) });
    expect(result.failed).toEqual([{ externalId: 'JS99999', error: expect.stringMatching(/missing\.hea/) }]);
    expect(progress.at(-1)).toBe(4);
    const images = await database.db.select().from(renderedImages).where(eq(renderedImages.styleId, result.styleId));
    expect(images).toHaveLength(3);
    for (const image of images) {
      const bytes = await readFile(image.path);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(image.sha256);
      expect([image.widthPx, image.heightPx, image.dpi]).toEqual([1100, 850, 100]);
      const sidecar = JSON.parse(await readFile(image.path.replace(/\.png$/, '.json'), 'utf8'));
      expect(sidecar.leadBoxes).toHaveLength(13);
      expect(image.sidecar).toMatchObject({ recordName: sidecar.recordName });
    }
    const [style] = await database.db.select().from(renderStyles).where(eq(renderStyles.id, result.styleId));
    expect(style.params).toMatchObject({ gridStyle: 'none', dpi: 100, layout: 'standard' });
  });

  it('keeps one style row and one image per record when rendered again, honouring --limit', async () => {
    const again = await renderDataset(database.db, { dataset: 'chapman-three', options: { gridStyle: 'none', dpi: 100 }, outDir, workers: 1, limit: 2 });
    expect(again.rendered).toBe(2);
    expect(await database.db.select().from(renderStyles)).toHaveLength(1);
    expect(await database.db.select().from(renderedImages)).toHaveLength(3);
  });

  it('names a dataset that does not exist', async () => {
    await expect(renderDataset(database.db, { dataset: 'nope', options: {}, outDir })).rejects.toThrow(NotFoundError);
  });
});
