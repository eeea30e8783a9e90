import { mkdtemp, mkdir, writeFile, rm, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractTarArchiveCached } from './archive-cache.ts';
import { loadDatasetRecord, openDataset } from './dataset-record.ts';
import { DatasetError } from './errors.ts';
import { closeCachedZips } from './file-source.ts';
import { parseScpCodes } from './ptbxl-dataset.ts';
import { buildZip, consistentTwelveLeadAdu, encodeFormat16Record } from './testing.ts';
import { readWfdbRecord } from './wfdb-record.ts';

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'leadwise-ecg-'));
});
afterAll(async () => {
  await closeCachedZips();
  await rm(workDir, { recursive: true, force: true });
});

async function datasetError(run: () => Promise<unknown>): Promise<DatasetError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    return error as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

const STATEMENTS = ',description,diagnostic,form,rhythm,diagnostic_class\nNORM,normal ECG,1.0,,,NORM\nIMI,inferior MI,1.0,,,MI\nSR,sinus rhythm,,,1.0,\nAFIB,atrial fibrillation,,,1.0,\nLVOLT,low voltage,,1.0,,\n';
const DATABASE_HEADER = 'ecg_id,patient_id,age,sex,scp_codes,strat_fold,filename_lr,filename_hr';

async function writePtbxlFolder(name: string, rows: string[], statements = STATEMENTS, header = DATABASE_HEADER): Promise<string> {
  const dir = join(workDir, name);
  await mkdir(join(dir, 'records100', '00000'), { recursive: true });
  await writeFile(join(dir, 'scp_statements.csv'), statements);
  await writeFile(join(dir, 'ptbxl_database.csv'), [header, ...rows].join('\n'));
  return dir;
}

describe('PTB-XL adapter on hand-written tables', () => {
  it('applies the README rule: non-NORM diagnostic at any likelihood or non-sinus rhythm is abnormal', async () => {
    const dir = await writePtbxlFolder('labels', [
      `1,10.0,50,0,"{'NORM': 100.0, 'SR': 0.0}",1,records100/00000/00001_lr,x`,
      `2,11.0,60,1,"{'NORM': 80.0, 'IMI': 0.0}",2,records100/00000/00002_lr,x`,
      `3,12.0,,,"{'NORM': 100.0, 'AFIB': 0.0}",3,records100/00000/00003_lr,x`,
      `4,13.0,70,0,"{'SR': 0.0, 'LVOLT': 0.0}",9,records100/00000/00004_lr,x`,
      `5,14.0,300,0,"{}",10,records100/00000/00005_lr,x`,
    ]);
    const listing = await openDataset('ptbxl', dir, { cacheDir: join(workDir, 'cache') });
    expect(listing.entries.map((e) => [e.externalId, e.label, e.split, e.sex, e.ageYears])).toEqual([
      ['1', 'normal', 'train', 'male', 50],
      ['2', 'abnormal', 'train', 'female', 60],
      ['3', 'abnormal', 'val', null, null],
      ['4', 'excluded', 'test', 'male', 70],
      // PTB-XL's de-identified age 300 ("older than 89") becomes 90.
      ['5', 'excluded', null, 'male', 90],
    ]);
  });

  it('names the missing column', async () => {
    const dir = await writePtbxlFolder('missing-column', [], STATEMENTS, 'ecg_id,patient_id,age,sex,strat_fold,filename_lr');
    const error = await datasetError(() => openDataset('ptbxl', dir, { cacheDir: join(workDir, 'cache') }));
    expect(error).toMatchObject({ line: 1, field: 'scp_codes' });
    expect(error.file).toBe(join(dir, 'ptbxl_database.csv'));
  });

  it('names file, line and field of unparseable scp_codes', async () => {
    const dir = await writePtbxlFolder('bad-codes', [
      `1,10.0,50,0,"{'NORM': 100.0}",1,records100/00000/00001_lr,x`,
      `2,11.0,60,1,"{'NORM': high}",2,records100/00000/00002_lr,x`,
    ]);
    const error = await datasetError(() => openDataset('ptbxl', dir, { cacheDir: join(workDir, 'cache') }));
    expect(error).toMatchObject({ line: 3, field: 'scp_codes' });
  });

  it('fails clearly when a table is absent', async () => {
    const dir = join(workDir, 'empty');
    await mkdir(dir, { recursive: true });
    expect((await datasetError(() => openDataset('ptbxl', dir, { cacheDir: join(workDir, 'cache') }))).field).toBe('scp_statements.csv');
  });
});

describe('parseScpCodes', () => {
  it('parses Python dict literals', () => {
    expect(parseScpCodes("{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}", 'f', 2)).toEqual({ NORM: 100, LVOLT: 0, SR: 0 });
    expect(parseScpCodes('{"IMI": 35.0,}', 'f', 2)).toEqual({ IMI: 35 });
    expect(parseScpCodes(' {} ', 'f', 2)).toEqual({});
  });

  it.each(['', '{', "{'NORM'}", "{'NORM': }", "{'NORM': 1 'SR': 0}", "{'NORM': 1} x", "{NORM: 1}", "['NORM']"])('rejects %j', (text) => {
    expect(() => parseScpCodes(text, 'f.csv', 7)).toThrow(DatasetError);
  });
});

async function writeSyntheticRecord(dir: string, name: string): Promise<void> {
  const record = encodeFormat16Record({ recordName: name, leadsAdu: consistentTwelveLeadAdu(50) });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.hea`), record.header);
  await writeFile(join(dir, record.datName), record.dat);
}

describe('manifest adapter', () => {
  it('reads path,label[,patient_id,split], resolving paths beside the CSV', async () => {
    const dir = join(workDir, 'manifest-ok');
    await writeSyntheticRecord(join(dir, 'a'), 'r1');
    await writeSyntheticRecord(join(dir, 'a'), 'r2');
    await writeFile(join(dir, 'manifest.csv'), 'path,label,patient_id,split\na/r1,Normal,p1,train\na/r2.hea,abnormal,,validation\na/r3,excluded,p3,\n');
    const listing = await openDataset('manifest', dir, { cacheDir: join(workDir, 'cache') });
    expect(listing.entries.map((e) => [e.externalId, e.label, e.patientId, e.split])).toEqual([
      ['a/r1', 'normal', 'p1', 'train'],
      ['a/r2', 'abnormal', null, 'val'],
      ['a/r3', 'excluded', 'p3', null],
    ]);
    const loaded = await Promise.all(listing.entries.map((e) => loadDatasetRecord(listing.source, e)));
    expect(loaded.map((l) => l.status)).toEqual(['loaded', 'loaded', 'missing']);
  });

  it('rejects a missing column, an unknown label and an unknown split with line and field', async () => {
    const dir = join(workDir, 'manifest-bad');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'no-label.csv'), 'path,split\na,train\n');
    expect(await datasetError(() => openDataset('manifest', join(dir, 'no-label.csv'), { cacheDir: workDir }))).toMatchObject({ line: 1, field: 'label' });
    await writeFile(join(dir, 'bad-label.csv'), 'path,label\na,normal\nb,maybe\n');
    expect(await datasetError(() => openDataset('manifest', join(dir, 'bad-label.csv'), { cacheDir: workDir }))).toMatchObject({ line: 3, field: 'label' });
    await writeFile(join(dir, 'bad-split.csv'), 'path,label,split\na,normal,holdout\n');
    expect(await datasetError(() => openDataset('manifest', join(dir, 'bad-split.csv'), { cacheDir: workDir }))).toMatchObject({ line: 2, field: 'split' });
  });
});

describe('archives', () => {
  it('reads a PhysioNet-style zip in place, rooted at the folder holding the tables', async () => {
    const a = encodeFormat16Record({ recordName: '00001_lr', leadsAdu: consistentTwelveLeadAdu(40) });
    const top = 'ptb-xl-1.0.3/';
    const zip = buildZip({
      [`${top}scp_statements.csv`]: STATEMENTS,
      [`${top}ptbxl_database.csv`]: `${DATABASE_HEADER}\n1,10.0,50,0,"{'NORM': 100.0}",1,records100/00000/00001_lr,x\n2,11.0,50,0,"{'IMI': 100.0}",1,records100/00000/00002_lr,x\n`,
      [`${top}records100/00000/00001_lr.hea`]: a.header,
      [`${top}records100/00000/00001_lr.dat`]: a.dat,
    });
    const zipPath = join(workDir, 'ptbxl.zip');
    await writeFile(zipPath, zip);
    const listing = await openDataset('ptbxl', zipPath, { cacheDir: join(workDir, 'cache') });
    const loaded = await Promise.all(listing.entries.map((e) => loadDatasetRecord(listing.source, e)));
    expect(loaded.map((l) => l.status)).toEqual(['loaded', 'missing']);
    if (loaded[0].status !== 'loaded') throw new Error('unreachable');
    expect(loaded[0].location).toBe(`${zipPath}!/${top}records100/00000/00001_lr.hea`);
    const again = await readWfdbRecord(loaded[0].location);
    expect([...again.signalsAdu[0]]).toEqual([...consistentTwelveLeadAdu(40)[0]]);
    await listing.source.close();
  });

  it.each([
    ['gzip', 'cinc.tar.gz', '-czf'],
    ['xz', 'cinc.tar.xz', '-cJf'],
  ])('extracts a %s tar archive once, atomically, and reuses the extraction', async (_format, name, create) => {
    const src = join(workDir, `tar-src-${name}`);
    await writeSyntheticRecord(join(src, 'cinc', 'g1'), 'A0001');
    const archive = join(workDir, name);
    execFileSync('tar', [create, archive, '-C', src, 'cinc']);
    const cacheDir = join(workDir, `tar-cache-${name}`);
    const first = await extractTarArchiveCached(archive, cacheDir);
    const second = await extractTarArchiveCached(archive, cacheDir);
    expect(second).toBe(first);
    expect((await readdir(join(cacheDir, 'archives'))).filter((n) => n.startsWith('.tmp'))).toEqual([]);
    const listing = await openDataset('cinc', archive, { cacheDir });
    expect(listing.entries.map((e) => [e.externalId, e.label])).toEqual([['A0001', 'excluded']]);
    expect(await readFile(join(first, 'cinc', 'g1', 'A0001.hea'))).toEqual(await readFile(join(src, 'cinc', 'g1', 'A0001.hea')));
  });

  it('refuses a truncated xz archive in one line naming it, and leaves no extraction behind', async () => {
    const src = join(workDir, 'tar-src-truncated');
    await writeSyntheticRecord(join(src, 'cinc', 'g1'), 'A0001');
    const whole = join(workDir, 'whole.tar.xz');
    execFileSync('tar', ['-cJf', whole, '-C', src, 'cinc']);
    const bytes = await readFile(whole);
    const archive = join(workDir, 'truncated.tar.xz');
    await writeFile(archive, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const cacheDir = join(workDir, 'tar-cache-truncated');
    const error = await extractTarArchiveCached(archive, cacheDir).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/truncated\.tar\.xz/);
    expect(error?.message).toMatch(/(tar|xz) exited with/);
    expect(error?.message.split('\n')).toHaveLength(1);
    expect(await readdir(join(cacheDir, 'archives')).catch(() => [])).toEqual([]);
  });
});
