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
        const cpuMarks: Record<string, number> = {};
        const cpuNowS = () => {
          const u = process.cpuUsage();
          return (u.user + u.system) / 1e6;
        };
        const cpuStartS = cpuNowS();
        const start = performance.now();
        const summary = await importDataset(database.db, { kind: source.kind, path: source.path, name: source.kind, cacheDir }, (p) => {
          if (marks[p.phase] === undefined) {
            marks[p.phase] = performance.now();
            cpuMarks[p.phase] = cpuNowS();
          }
        });
        const end = performance.now();
        const cpuEndS = cpuNowS();
        const cpuS = cpuEndS - cpuStartS;
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
            // CPU seconds of this process (PostgreSQL's own work is in its server process). On a
            // shared machine wall time mostly measures the queue for a core; CPU time does not.
            cpuS: round(cpuS),
            recordsPerCpuS: Math.round(summary.imported / cpuS),
            cpuListS: round(cpuMarks.reading - cpuStartS),
            cpuReadS: round(cpuMarks.writing - cpuMarks.reading),
            cpuWriteS: round(cpuEndS - cpuMarks.writing),
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
