/**
 * Import throughput: records per second for PTB-XL (100 Hz, folds 1-3 and 9) and Chapman-Shaoxing
 * (500 Hz), into fresh databases of both drivers (in-memory PGlite, and PostgreSQL at
 * TEST_DATABASE_URL when reachable). Target: >= 1,000 records/s at 100 Hz.
 *
 *   npx tsx tools/bench/import.ts [ptbxl|cinc|all] [pglite|postgres|all]
 *
 * Archives are extracted into the cache before timing (a one-off cost, reported separately).
 * Phases: list (tables / headers), read (read + checksum-verify + decode + sha256 + lead check of
 * every record), write (one transaction of upserts). Prints one JSON line per run.
 */
import { join } from 'node:path';
import type { DatabaseDriver } from '@leadwise/db';
import { openTestDatabase } from '@leadwise/db/testing';
import { extractTarArchiveCached, resolveCacheDir, resolveEcgDataDir, type DatasetKind } from '@leadwise/ecg';
import { importDataset } from '@leadwise/study';

const which = process.argv[2] ?? 'all';
const drivers: DatabaseDriver[] = (process.argv[3] ?? 'all') === 'all' ? ['pglite', 'postgres'] : [process.argv[3] as DatabaseDriver];
const dataDir = resolveEcgDataDir();
const cacheDir = resolveCacheDir();
const sources: { kind: DatasetKind; path: string; archive: string }[] = [
  { kind: 'ptbxl', path: join(dataDir, 'ptbxl'), archive: join(dataDir, 'ptbxl', 'ptbxl-records100-folds-1-2-3-9.tar.xz') },
  { kind: 'cinc', path: join(dataDir, 'chapman-shaoxing-subset-400.tar.xz'), archive: join(dataDir, 'chapman-shaoxing-subset-400.tar.xz') },
].filter((s) => which === 'all' || s.kind === which) as { kind: DatasetKind; path: string; archive: string }[];

for (const source of sources) {
  const extractStart = performance.now();
  await extractTarArchiveCached(source.archive, cacheDir);
  const extractMs = performance.now() - extractStart;

  for (const driver of drivers) {
    let database;
    try {
      database = await openTestDatabase(driver);
    } catch (error) {
      console.log(JSON.stringify({ source: source.kind, driver, skipped: (error as Error).message }));
      continue;
    }
    try {
      for (const attempt of ['first import', 're-import'] as const) {
        const marks: Record<string, number> = {};
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        const summary = await importDataset(database.db, { kind: source.kind, path: source.path, name: source.kind, cacheDir }, (p) => {
          marks[p.phase] ??= performance.now();
        });
        const end = performance.now();
        const cpu = process.cpuUsage(cpuStart);
        const totalS = (end - start) / 1000;
        console.log(
          JSON.stringify({
            source: source.kind,
            driver,
            attempt,
            records: summary.imported,
            missingFiles: summary.missingFiles,
            recordsPerS: Math.round(summary.imported / totalS),
            totalS: round(totalS),
            listS: round((marks.reading - start) / 1000),
            readS: round((marks.writing - marks.reading) / 1000),
            writeS: round((end - marks.writing) / 1000),
            cpuS: round((cpu.user + cpu.system) / 1e6),
            cachedExtractMs: Math.round(extractMs),
          }),
        );
      }
    } finally {
      await database.close();
    }
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
