import { beforeAll, describe, expect, it } from 'vitest';
import { checkLimbLeadConsistency } from './lead-quality.ts';
import { loadDatasetRecord, openDataset } from './dataset-record.ts';
import type { DatasetEntry, DatasetListing } from './dataset-entry.ts';
import { resolveCacheDir } from './data-dir.ts';
import { ecgTestDataPaths } from './testing.ts';
import { readWfdbRecord } from './wfdb-record.ts';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeCachedZips } from './file-source.ts';
import { buildZip } from './testing.ts';

// Known answers and counts are the ones published in ../shared/data/README.md (computed there
// independently of this code); patient/age/sex of ecg_id 1 are read off ptbxl_database.csv row 1.

function countLabels(entries: DatasetEntry[], folds?: number[]) {
  const counts = { normal: 0, abnormal: 0, excluded: 0 };
  for (const e of entries) if (!folds || folds.includes(e.fold!)) counts[e.label]++;
  return counts;
}

describe('PTB-XL from ../shared/data', () => {
  let listing: DatasetListing;
  beforeAll(async () => {
    listing = await openDataset('ptbxl', ecgTestDataPaths().ptbxlDir, { cacheDir: resolveCacheDir() });
  });

  it('lists every row of ptbxl_database.csv with the README label counts per fold group', () => {
    expect(listing.entries).toHaveLength(21799);
    expect(listing.labelRule).toBe('ptbxl-normal-vs-abnormal');
    expect(countLabels(listing.entries, [1, 2, 3])).toEqual({ normal: 2735, abnormal: 3812, excluded: 1 });
    expect(countLabels(listing.entries, [9])).toEqual({ normal: 905, abnormal: 1276, excluded: 2 });
    expect(countLabels(listing.entries, [4, 5, 6, 7, 8])).toEqual({ normal: 4439, abnormal: 6426, excluded: 5 });
    expect(countLabels(listing.entries, [10])).toEqual({ normal: 899, abnormal: 1299, excluded: 0 });
    expect(countLabels(listing.entries)).toEqual({ normal: 8978, abnormal: 12813, excluded: 8 });
  });

  it('keeps fold, patient, demographics and codes, and maps folds 1-2/3/9 to train/val/test', () => {
    const first = listing.entries[0];
    expect(first).toMatchObject({
      externalId: '1',
      headerPath: 'records100/00000/00001_lr.hea',
      patientId: '15709',
      fold: 3,
      split: 'val',
      ageYears: 56,
      sex: 'female',
      sourceCodes: { NORM: 100, LVOLT: 0, SR: 0 },
      label: 'normal',
    });
    const splits = new Map(listing.entries.map((e) => [e.fold, e.split]));
    expect([1, 2, 3, 4, 9, 10].map((fold) => splits.get(fold))).toEqual(['train', 'train', 'val', null, 'test', null]);
  });

  it('decodes record 00001 to the README known answers', async () => {
    const loaded = await loadDatasetRecord(listing.source, listing.entries[0]);
    if (loaded.status !== 'loaded') throw new Error('record 00001 should load');
    const { recording } = loaded;
    expect(recording.leadNames).toEqual(['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6']);
    expect([recording.samplingRateHz, recording.lengthSamples]).toEqual([100, 1000]);
    expect([...recording.signalsAdu[0].slice(0, 5)]).toEqual([-119, -116, -120, -117, -103]);
    expect([...recording.signalsMv[0].slice(0, 5)]).toEqual([-0.119, -0.116, -0.12, -0.117, -0.103].map(Math.fround));
    expect([...recording.signalsAdu[11].slice(0, 5)]).toEqual([-79, -74, -69, -64, -58]);
    const leadII = recording.signalsMv[1];
    expect([Math.min(...leadII), Math.max(...leadII)]).toEqual([Math.fround(-0.14), Math.fround(0.435)]);
    expect(loaded.signalSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(loaded.quality).toMatchObject({ limbLeadsConsistent: true, checksumsVerified: true });

    // The stored location reads back through readWfdbRecord, as renderer and trainer will do.
    const again = await readWfdbRecord(loaded.location);
    expect([...again.signalsAdu[0].slice(0, 5)]).toEqual([-119, -116, -120, -117, -103]);
  });

  it('reports a listed record without signals (fold 10 here) as missing, not as a failure', async () => {
    const fold10 = listing.entries.find((e) => e.fold === 10)!;
    expect(await loadDatasetRecord(listing.source, fold10)).toEqual({ status: 'missing', missingFile: fold10.headerPath });
  });
});

describe('Chapman-Shaoxing (CinC layout) from ../shared/data', () => {
  let listing: DatasetListing;
  beforeAll(async () => {
    listing = await openDataset('cinc', ecgTestDataPaths().chapmanArchive, { cacheDir: resolveCacheDir() });
  });

  it('lists 400 records: 178 normal, 222 abnormal', () => {
    expect(listing.entries).toHaveLength(400);
    expect(countLabels(listing.entries)).toEqual({ normal: 178, abnormal: 222, excluded: 0 });
    expect(listing.labelRule).toBe('cinc-sinus-only-is-normal');
  });

  it('reads JS00001: #Dx codes, demographics and the first frame of the .mat (16+24)', async () => {
    const entry = listing.entries.find((e) => e.externalId === 'JS00001')!;
    expect(entry).toMatchObject({ sourceCodes: ['164889003', '59118001', '164934002'], label: 'abnormal', ageYears: 85, sex: 'male', split: null });
    const loaded = await loadDatasetRecord(listing.source, entry);
    if (loaded.status !== 'loaded') throw new Error('JS00001 should load');
    expect(loaded.recording.signalsAdu.map((lead) => lead[0])).toEqual([-254, 264, 517, -5, -386, 390, -98, -312, -98, 810, 810, 527]);
    expect([loaded.recording.samplingRateHz, loaded.recording.lengthSamples]).toEqual([500, 5000]);
    expect(checkLimbLeadConsistency(loaded.recording).consistent).toBe(true);
  });
});

describe('Chapman-Shaoxing records repackaged as a PhysioNet zip (RECORDS file, nested folders)', () => {
  it('reads the zip in place with the same labels and samples as the extracted folder', async () => {
    const extracted = await openDataset('cinc', ecgTestDataPaths().chapmanArchive, { cacheDir: resolveCacheDir() });
    const chosen = extracted.entries.slice(0, 6);
    const top = 'a-large-scale-12-lead-electrocardiogram-database-1.0.0/';
    const files: Record<string, Uint8Array | string> = {};
    for (const entry of chosen) {
      const location = extracted.source.locate(entry.headerPath);
      files[top + entry.headerPath] = await readFile(location);
      files[top + entry.headerPath.replace(/\.hea$/, '.mat')] = await readFile(location.replace(/\.hea$/, '.mat'));
    }
    // PhysioNet RECORDS lists record paths without extension; one listed record is absent from the zip.
    files[`${top}RECORDS`] = [...chosen.map((e) => e.headerPath.replace(/\.hea$/, '')), 'WFDBRecords/99/990/JS99999'].join('\n');
    const dir = await mkdtemp(join(tmpdir(), 'leadwise-cinc-zip-'));
    try {
      const zipPath = join(dir, 'chapman.zip');
      await writeFile(zipPath, buildZip(files));
      const listing = await openDataset('cinc', zipPath, { cacheDir: resolveCacheDir() });
      expect(listing.missingHeaders).toEqual(['WFDBRecords/99/990/JS99999.hea']);
      expect(listing.entries.map((e) => [e.externalId, e.label])).toEqual(chosen.map((e) => [e.externalId, e.label]));
      const first = await loadDatasetRecord(listing.source, listing.entries[0]);
      const reference = await loadDatasetRecord(extracted.source, chosen[0]);
      if (first.status !== 'loaded' || reference.status !== 'loaded') throw new Error('both should load');
      expect(first.signalSha256).toBe(reference.signalSha256);
      expect(first.location.startsWith(`${zipPath}!/${top}`)).toBe(true);
      const again = await readWfdbRecord(first.location);
      expect([...again.signalsAdu[5]]).toEqual([...reference.recording.signalsAdu[5]]);
      await listing.source.close();
    } finally {
      await closeCachedZips();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
