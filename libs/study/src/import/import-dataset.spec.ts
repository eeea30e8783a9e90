import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetStore, RecordStore } from '@leadwise/db';
import { openTestDatabase, TEST_DRIVERS, type TestDatabase } from '@leadwise/db/testing';
import { EcgInputError, readWfdbRecord, resolveCacheDir, WfdbSignalError } from '@leadwise/ecg';
import { consistentTwelveLeadAdu, ecgTestDataPaths, encodeFormat16Record } from '@leadwise/ecg/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from './import-dataset.ts';

// Expected counts are those of ../shared/data/README.md ("Done when" of issue 2).

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'leadwise-import-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function writeManifestDataset(name: string, records: { name: string; header: string; dat: Uint8Array; label: string }[]): Promise<string> {
  const dir = join(workDir, name);
  await mkdir(dir, { recursive: true });
  for (const r of records) {
    await writeFile(join(dir, `${r.name}.hea`), r.header);
    await writeFile(join(dir, `${r.name}.dat`), r.dat);
  }
  await writeFile(join(dir, 'manifest.csv'), `path,label\n${records.map((r) => `${r.name},${r.label}`).join('\n')}\n`);
  return dir;
}

function synthetic(name: string, label = 'normal') {
  return { name, label, ...encodeFormat16Record({ recordName: name, leadsAdu: consistentTwelveLeadAdu(60) }) };
}

describe.each(TEST_DRIVERS)('importDataset (%s)', (driver) => {
  let test: TestDatabase;
  const cacheDir = resolveCacheDir();
  beforeAll(async () => {
    test = await openTestDatabase(driver);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('imports PTB-XL folds 1-3 and 9 with exactly the README counts', { timeout: 600_000 }, async () => {
    const summary = await importDataset(test.db, { kind: 'ptbxl', path: ecgTestDataPaths().ptbxlDir, name: 'ptbxl', cacheDir });
    expect(summary).toMatchObject({ imported: 8731, normal: 3640, abnormal: 5088, excluded: 3, missingFiles: 13068 });

    const datasets = new DatasetStore(test.db);
    const counts = await datasets.labelCounts([summary.datasetId]);
    const bySplit = (split: string | null, label: string) => counts.find((c) => c.split === split && c.label === label)?.count ?? 0;
    // Folds 1-2 train, 3 val, 9 test; README per-fold table: 1-3 = 2,735/3,812/1, 9 = 905/1,276/2.
    expect(bySplit('train', 'normal') + bySplit('val', 'normal')).toBe(2735);
    expect(bySplit('train', 'abnormal') + bySplit('val', 'abnormal')).toBe(3812);
    expect([bySplit('test', 'normal'), bySplit('test', 'abnormal'), bySplit('test', 'excluded')]).toEqual([905, 1276, 2]);

    const first = await new RecordStore(test.db).getByExternalId(summary.datasetId, '1');
    expect(first).toMatchObject({ patientId: '15709', fold: 3, split: 'val', label: 'normal', samplingRateHz: 100, lengthSamples: 1000, ageYears: 56, sex: 'female' });
    expect(first!.sourceCodes).toEqual({ NORM: 100, LVOLT: 0, SR: 0 });
    expect(first!.quality).toMatchObject({ limbLeadsConsistent: true, checksumsVerified: true });
    // The stored location is what renderer and trainer load; its checksum is the .dat's sha256.
    const recording = await readWfdbRecord(first!.signalPath);
    expect([...recording.signalsAdu[0].slice(0, 5)]).toEqual([-119, -116, -120, -117, -103]);
    const dat = await readFile(first!.signalPath.replace(/\.hea$/, '.dat'));
    expect(first!.signalSha256).toBe(createHash('sha256').update(dat).digest('hex'));
  });

  it('imports Chapman-Shaoxing (178 normal, 222 abnormal) and a re-import updates rows in place', { timeout: 300_000 }, async () => {
    const input = { kind: 'cinc' as const, path: ecgTestDataPaths().chapmanArchive, name: 'chapman', cacheDir };
    const first = await importDataset(test.db, input);
    expect(first).toMatchObject({ imported: 400, normal: 178, abnormal: 222, excluded: 0, missingFiles: 0, qualityFlags: 0 });
    const records = new RecordStore(test.db);
    const before = await records.getByExternalId(first.datasetId, 'JS00001');
    expect(before).toMatchObject({ label: 'abnormal', sourceCodes: ['164889003', '59118001', '164934002'], ageYears: 85, sex: 'male', samplingRateHz: 500 });

    const second = await importDataset(test.db, input);
    expect(second).toEqual(first);
    expect(await records.count({ datasetId: first.datasetId })).toBe(400);
    const after = await records.getByExternalId(first.datasetId, 'JS00001');
    expect(after!.id).toBe(before!.id);
    expect((await new DatasetStore(test.db).list()).filter((d) => d.name === 'chapman')).toHaveLength(1);
  });

  it('writes nothing when one record is bad, and keeps a previous good import intact', async () => {
    const good = [synthetic('a'), synthetic('b', 'abnormal')];
    const okDir = await writeManifestDataset(`ok-${driver}`, good);
    const ok = await importDataset(test.db, { kind: 'manifest', path: okDir, name: `atomic-${driver}`, cacheDir });
    expect(ok).toMatchObject({ imported: 2, normal: 1, abnormal: 1 });

    const truncated = synthetic('b', 'normal');
    const badDir = await writeManifestDataset(`bad-${driver}`, [synthetic('a', 'abnormal'), { ...truncated, dat: truncated.dat.subarray(0, 100) }]);
    await expect(importDataset(test.db, { kind: 'manifest', path: badDir, name: `atomic-${driver}`, cacheDir })).rejects.toThrow(WfdbSignalError);

    const records = new RecordStore(test.db);
    expect(await records.count({ datasetId: ok.datasetId })).toBe(2);
    expect((await records.getByExternalId(ok.datasetId, 'a'))!.label).toBe('normal');
    expect((await new DatasetStore(test.db).getByName(`atomic-${driver}`))!.sourcePath).toBe(okDir);
    await expect(importDataset(test.db, { kind: 'manifest', path: badDir, name: `never-${driver}`, cacheDir })).rejects.toThrow(EcgInputError);
    expect(await new DatasetStore(test.db).getByName(`never-${driver}`)).toBeUndefined();
  });

  it('counts records listed in a manifest but absent on disk as missing files', async () => {
    const dir = await writeManifestDataset(`absent-${driver}`, [synthetic('present')]);
    await writeFile(join(dir, 'manifest.csv'), 'path,label\npresent,normal\nabsent,abnormal\n');
    const summary = await importDataset(test.db, { kind: 'manifest', path: dir, name: `absent-${driver}`, cacheDir });
    expect(summary).toMatchObject({ imported: 1, missingFiles: 1 });
  });

  it('fuzz: mutated records make the import succeed fully or fail with a typed error and write nothing', async () => {
    const seed = synthetic('m');
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), char: fc.constantFrom(' ', 'x', '9', '\n', '+', '-', '(', '#') }), { maxLength: 3 }),
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 2 }),
        async (headerEdits, byteEdits) => {
          let header = seed.header;
          for (const e of headerEdits) header = header.slice(0, e.at % header.length) + e.char + header.slice((e.at % header.length) + 1);
          const dat = Uint8Array.from(seed.dat);
          for (const e of byteEdits) dat[e.at % dat.length] = e.value;
          const name = `fuzz-${driver}-${run++}`;
          const dir = await writeManifestDataset(name, [synthetic('ok'), { ...seed, header, dat }]);
          try {
            const summary = await importDataset(test.db, { kind: 'manifest', path: dir, name, cacheDir });
            expect(summary.imported + summary.missingFiles).toBe(2);
          } catch (error) {
            if (!(error instanceof EcgInputError)) throw error;
            expect(await new DatasetStore(test.db).getByName(name)).toBeUndefined();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
