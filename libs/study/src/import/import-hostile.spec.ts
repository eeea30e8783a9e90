import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetStore, experiments, predictions, records, runs } from '@leadwise/db';
import { eq, openTestDatabase, type TestDatabase } from '@leadwise/db/testing';
import { DEFAULT_IMPORT_LIMITS } from '@leadwise/ecg';
import { consistentTwelveLeadAdu, encodeFormat16Record } from '@leadwise/ecg/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError, importDataset } from './import-dataset.ts';

// The hostile inputs of issue 15: each import is refused with one line naming the file, before
// the file is read or the archive extracted, and nothing is written.

let workDir: string;
let cacheDir: string;
let test: TestDatabase;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'leadwise-hostile-'));
  cacheDir = join(workDir, 'cache');
  test = await openTestDatabase('pglite');
});
afterAll(async () => {
  await test?.close();
  await rm(workDir, { recursive: true, force: true });
});

function record(name: string, samples = 60, gain?: number) {
  return encodeFormat16Record({ recordName: name, leadsAdu: consistentTwelveLeadAdu(samples), ...(gain !== undefined ? { gain } : {}) });
}

/** A manifest folder with one good record `A0` plus whatever `extra` adds; returns its path. */
async function manifestDir(name: string, extra: (dir: string) => Promise<string[]> = async () => []): Promise<string> {
  const dir = join(workDir, name);
  await mkdir(dir, { recursive: true });
  const good = record('A0');
  await writeFile(join(dir, 'A0.hea'), good.header);
  await writeFile(join(dir, good.datName), good.dat);
  const listed = ['A0', ...(await extra(dir))];
  await writeFile(join(dir, 'manifest.csv'), `path,label\n${listed.map((p) => `${p},normal`).join('\n')}\n`);
  return dir;
}

async function refused(name: string, path: string, kind: 'manifest' | 'cinc' = 'manifest', limits = DEFAULT_IMPORT_LIMITS): Promise<string> {
  const error = await importDataset(test.db, { kind, path, name, cacheDir, limits }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect(await new DatasetStore(test.db).getByName(name)).toBeUndefined();
  const message = (error as Error).message;
  expect(message.split('\n')).toHaveLength(1);
  return message;
}

describe('import of hostile sources', () => {
  it('refuses a FIFO posing as a signal file instead of waiting on it forever', async () => {
    const dir = await manifestDir('fifo', async (d) => {
      const r = record('A1');
      await writeFile(join(d, 'A1.hea'), r.header);
      execFileSync('mkfifo', [join(d, r.datName)]);
      return ['A1'];
    });
    expect(await refused('fifo', dir)).toMatch(/A1\.dat: is not a regular file/);
  });

  it('refuses a symlinked header pointing outside the dataset, without printing the target', async () => {
    const dir = await manifestDir('symlink-file', async (d) => {
      await symlink('/etc/passwd', join(d, 'A1.hea'));
      return ['A1'];
    });
    const message = await refused('symlink-file', dir);
    expect(message).toMatch(/A1\.hea: is a symbolic link to a file outside the dataset/);
    expect(message).not.toMatch(/root:/);
  });

  it('refuses a symlink to /dev/zero and a symlinked folder in a manifest path', async () => {
    const zero = await manifestDir('symlink-device', async (d) => {
      const r = record('A1');
      await writeFile(join(d, 'A1.hea'), r.header);
      await symlink('/dev/zero', join(d, r.datName));
      return ['A1'];
    });
    expect(await refused('symlink-device', zero)).toMatch(/A1\.dat: is a symbolic link to a file outside the dataset/);

    const outside = join(workDir, 'outside');
    await mkdir(outside, { recursive: true });
    const r = record('B1');
    await writeFile(join(outside, 'B1.hea'), r.header);
    await writeFile(join(outside, r.datName), r.dat);
    const folder = await manifestDir('symlink-folder', async (d) => {
      await symlink(outside, join(d, 'sub'));
      return ['sub/B1'];
    });
    expect(await refused('symlink-folder', folder)).toMatch(/sub\/B1\.hea: is a symbolic link to a file outside the dataset/);
  });

  it('refuses a file over the size limit and a record over the sample limit before reading them', async () => {
    const big = await manifestDir('big-file', async (d) => {
      const r = record('A1', 5000);
      await writeFile(join(d, 'A1.hea'), r.header);
      await writeFile(join(d, r.datName), r.dat);
      return ['A1'];
    });
    const small = { ...DEFAULT_IMPORT_LIMITS, maxFileBytes: 10_000 };
    expect(await refused('big-file', big, 'manifest', small)).toMatch(/A1\.dat: is 120000 bytes, over the 10000 bytes limit per file/);

    // The header declares 100 million samples per lead; its .dat is never read (it does not even exist).
    const long = await manifestDir('long-record', async (d) => {
      const r = record('A1');
      await writeFile(join(d, 'A1.hea'), r.header.replace(/^(A1 12 \S+) 60/, '$1 100000000'));
      return ['A1'];
    });
    expect(await refused('long-record', long)).toMatch(/A1\.hea: declares 100000000 samples per lead, over the limit of 1800000 per record/);
  });

  it('refuses archives whose content exceeds the limits, before extracting them', async () => {
    const source = join(workDir, 'bomb-src');
    await mkdir(source, { recursive: true });
    await writeFile(join(source, 'RECORDS'), 'A1\n');
    await writeFile(join(source, 'A1.dat'), new Uint8Array(2_000_000));
    const tarPath = join(workDir, 'bomb.tar.gz');
    execFileSync('tar', ['-czf', tarPath, '-C', source, '.']);
    const zipPath = join(workDir, 'bomb.zip');
    execFileSync('zip', ['-qr', zipPath, '.'], { cwd: source });
    const limits = { ...DEFAULT_IMPORT_LIMITS, maxArchiveBytes: 1_000_000 };
    expect(await refused('bomb-tar', tarPath, 'cinc', limits)).toMatch(/bomb\.tar\.gz: holds more than 1000000 bytes once extracted/);
    expect(await readdir(join(cacheDir, 'archives')).catch(() => [])).toEqual([]);
    expect(await refused('bomb-zip', zipPath, 'cinc', limits)).toMatch(/bomb\.zip: holds 1\.9 MiB once inflated, over the/);
    const perFile = { ...DEFAULT_IMPORT_LIMITS, maxFileBytes: 1_000_000 };
    expect(await refused('bomb-tar-file', tarPath, 'cinc', perFile)).toMatch(/entry \.\/A1\.dat is 1\.9 MiB, over the/);
    // An xz archive is listed through xz's own (multi-threaded) decompression: refused the same way.
    const xzPath = join(workDir, 'bomb.tar.xz');
    execFileSync('tar', ['-cJf', xzPath, '-C', source, '.']);
    expect(await refused('bomb-tar-xz', xzPath, 'cinc', limits)).toMatch(/bomb\.tar\.xz: holds more than 1000000 bytes once extracted/);
    expect(await readdir(join(cacheDir, 'archives')).catch(() => [])).toEqual([]);
  });

  it('refuses a source that yields no record, and keeps a dataset kind fixed at its first import', async () => {
    const dir = join(workDir, 'all-missing');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'manifest.csv'), 'path,label\nnope1,normal\nnope2,abnormal\n');
    const message = await refused('all-missing', dir);
    expect(message).toMatch(/no record could be read \(2 listed, 2 with missing files\); nothing imported/);

    const ok = await manifestDir('kind-fixed');
    await importDataset(test.db, { kind: 'manifest', path: ok, name: 'kind-fixed', cacheDir });
    const error = await importDataset(test.db, { kind: 'cinc', path: ok, name: 'kind-fixed', cacheDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toMatch(/dataset "kind-fixed" was imported as kind manifest, not cinc/);
    expect((await new DatasetStore(test.db).getByName('kind-fixed'))!.kind).toBe('manifest');
  });


  it('refuses a zero or negative ADC gain, naming the file, line and signal', async () => {
    for (const gain of [0, -200]) {
      const dir = await manifestDir(`gain${gain}`, async (d) => {
        const r = record('A1', 60, gain);
        await writeFile(join(d, 'A1.hea'), r.header);
        await writeFile(join(d, r.datName), r.dat);
        return ['A1'];
      });
      expect(await refused(`gain${gain}`, dir)).toMatch(new RegExp(`A1\\.hea:2 \\(gain\\): signal I: ADC gain ${gain === 0 ? '0 or absent' : '-200'}`));
    }
  });

  it('names a bad signal file by its path, not its bare name', async () => {
    const dir = await manifestDir('truncated', async (d) => {
      const r = record('A1');
      await writeFile(join(d, 'A1.hea'), r.header);
      await writeFile(join(d, r.datName), r.dat.subarray(0, 100));
      return ['A1'];
    });
    expect(await refused('truncated', dir)).toContain(`${join(dir, 'A1.dat')} (length): truncated`);
  });

  it('removes records gone from the source on re-import, keeping those that runs predicted', async () => {
    const dir = await manifestDir('shrinking', async (d) => {
      for (const name of ['A1', 'A2']) {
        const r = record(name);
        await writeFile(join(d, `${name}.hea`), r.header);
        await writeFile(join(d, r.datName), r.dat);
      }
      return ['A1', 'A2'];
    });
    const first = await importDataset(test.db, { kind: 'manifest', path: dir, name: 'shrinking', cacheDir });
    expect(first).toMatchObject({ imported: 3, removed: 0 });
    const a1 = (await test.db.select().from(records).where(eq(records.externalId, 'A1'))).find((r) => r.datasetId === first.datasetId)!;
    const [experiment] = await test.db.insert(experiments).values({ name: 'shrink', config: {}, configHash: 'shrink' }).returning();
    const [run] = await test.db.insert(runs).values({ experimentId: experiment!.id, kind: 'evaluate', model: 'm' }).returning();
    await test.db.insert(predictions).values({ runId: run!.id, recordId: a1.id, datasetId: first.datasetId, trueLabel: 0, score: 0.2, predictedLabel: 0 });
    await writeFile(join(dir, 'manifest.csv'), 'path,label\nA0,normal\n');
    const second = await importDataset(test.db, { kind: 'manifest', path: dir, name: 'shrinking', cacheDir });
    expect(second).toMatchObject({ imported: 1, removed: 1, keptReferenced: 1 });
    const left = await test.db.select({ externalId: records.externalId }).from(records).where(eq(records.datasetId, first.datasetId));
    expect(left.map((r) => r.externalId).sort()).toEqual(['A0', 'A1']);
  });
});
