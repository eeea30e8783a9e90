import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { getTableName, is, sql } from 'drizzle-orm';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { openDatabase, wrapPgliteClient, type DatabaseDriver, type DatabaseHandle } from './client.ts';
import { MIGRATIONS_FOLDER, resolveLeadwiseHome } from './paths.ts';
import * as schema from './schema/index.ts';
import { RecordStore } from './stores/record-store.ts';

/**
 * Query building for specs that set up or inspect rows no store method writes or reads (a job whose
 * worker died an hour ago, a count of rows). Only specs take it from here: code outside libs/db goes
 * through the stores, and the lint rule keeps drizzle-orm out of other projects' imports.
 */
export { eq, sql } from 'drizzle-orm';

/** A failed statement as the data layer reports it (with the query and its parameters), for tests of error reporting. */
export function failedQuery(query: string, params: unknown[], cause: Error): Error {
  return new DrizzleQueryError(query, params, cause);
}

/** Both drivers, for `describe.each(TEST_DRIVERS)`: the same spec must pass on each. */
export const TEST_DRIVERS: readonly DatabaseDriver[] = ['pglite', 'postgres'];

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase extends DatabaseHandle {
  /** Empties every Leadwise table and restarts ids, for isolation between tests of one file. */
  reset(): Promise<void>;
}

/**
 * A fresh, migrated, isolated database. PGlite: in memory. PostgreSQL: a new database
 * `leadwise_test_<random>` on the server at `TEST_DATABASE_URL`, dropped by `close()`, so test
 * files running in parallel processes never see each other's rows. Open once per file (`beforeAll`)
 * and `reset()` between tests when they need empty tables.
 */
export async function openTestDatabase(driver: DatabaseDriver): Promise<TestDatabase> {
  if (driver === 'pglite') {
    const handle = await openPgliteFromTemplate();
    return withReset(handle, handle.close);
  }
  const adminUrl = process.env.TEST_DATABASE_URL?.trim() || DEFAULT_TEST_DATABASE_URL;
  const name = `leadwise_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let handle: DatabaseHandle;
  try {
    handle = await openDatabase({ driver: 'postgres', databaseUrl: url.toString(), poolMax: 4 });
  } catch (error) {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    throw error;
  }
  return withReset(handle, async () => {
    await handle.close();
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/**
 * An in-memory PGlite loaded from a dump of a freshly migrated one. Starting PGlite runs initdb,
 * which with the migrations costs several times more than loading a dump, in every test file. The
 * dump is cached under `$LEADWISE_HOME/cache`, keyed by the migrations and the PGlite version, so a
 * new migration or upgrade makes a new one; files are written atomically (parallel test processes).
 */
async function openPgliteFromTemplate(): Promise<DatabaseHandle> {
  const key = createHash('sha256')
    .update(pgliteVersion())
    .update(readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).map((m) => m.hash).join(','))
    .digest('hex')
    .slice(0, 16);
  const templatePath = join(resolveLeadwiseHome(), 'cache', `pglite-template-${key}.tar`);
  if (existsSync(templatePath)) {
    try {
      const client = new PGlite({ loadDataDir: new Blob([readFileSync(templatePath)]) });
      await client.waitReady;
      // Migrating checks the journal: a no-op for a good template, and a repair for anything else.
      return await wrapPgliteClient(client, 'memory://');
    } catch {
      rmSync(templatePath, { force: true }); // unreadable template: rebuild it below
    }
  }
  const client = new PGlite();
  const handle = await wrapPgliteClient(client, 'memory://');
  const dump = await client.dumpDataDir('none');
  mkdirSync(dirname(templatePath), { recursive: true });
  const partPath = `${templatePath}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
  writeFileSync(partPath, Buffer.from(await dump.arrayBuffer()));
  renameSync(partPath, templatePath);
  // Templates of older migration sets are dead weight (~40 MB each).
  for (const file of readdirSync(dirname(templatePath))) {
    if (/^pglite-template-[0-9a-f]{16}\.tar$/.test(file) && join(dirname(templatePath), file) !== templatePath) {
      rmSync(join(dirname(templatePath), file), { force: true });
    }
  }
  return handle;
}

/** The installed PGlite's version: its package.json, found from the resolved entry point. */
function pgliteVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')));
  while (dirname(dir) !== dir) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite') return pkg.version ?? 'unknown';
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

function withReset(handle: DatabaseHandle, close: () => Promise<void>): TestDatabase {
  const schemaValues: unknown[] = Object.values(schema);
  const tableNames = schemaValues.filter((value): value is PgTable => is(value, PgTable)).map((table) => `"${getTableName(table)}"`);
  return {
    ...handle,
    close,
    async reset() {
      await handle.db.execute(sql.raw(`TRUNCATE ${tableNames.join(', ')} RESTART IDENTITY CASCADE`));
    },
  };
}

/**
 * A new, empty (unmigrated) PostgreSQL database on the TEST_DATABASE_URL server, for tests that hand
 * a URL to other processes; `drop()` removes it.
 */
export async function createScratchDatabase(prefix = 'leadwise_scratch'): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_URL?.trim() || DEFAULT_TEST_DATABASE_URL;
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Takes `LOCK TABLE <table> IN EXCLUSIVE MODE` in an open transaction on its own connection to `url`,
 * holding writers to the table at a known point (reads go on) until `release()` commits.
 */
export async function holdTableLock(url: string, table: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`LOCK TABLE "${table.replaceAll('"', '""')}" IN EXCLUSIVE MODE`);
  } catch (error) {
    await client.end();
    throw error;
  }
  return {
    async release() {
      try {
        await client.query('COMMIT');
      } finally {
        await client.end();
      }
    },
  };
}

async function adminQuery(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export interface FixtureRecords {
  datasetId: number;
  /** Record ids in external-id order (`R000`, `R001`, ...). */
  recordIds: number[];
  experimentId: number;
  runId: number;
}

/**
 * A small dataset of `recordCount` records (alternating normal/abnormal, splits train/val/test in
 * turn), one experiment and one queued train run: the rows most store tests and API tests start from.
 */
export async function insertFixtureRecords(db: DatabaseHandle['db'], recordCount = 6): Promise<FixtureRecords> {
  const [dataset] = await db
    .insert(schema.datasets)
    .values({ name: `fixture-${randomBytes(3).toString('hex')}`, kind: 'manifest', sourcePath: '/fixture', labelRule: 'fixture' })
    .returning();
  const splits = ['train', 'val', 'test'] as const;
  const rows = Array.from({ length: recordCount }, (_, i): schema.NewRecordRow => ({
    datasetId: dataset.id,
    externalId: `R${String(i).padStart(3, '0')}`,
    patientId: `P${Math.floor(i / 2)}`,
    split: splits[i % 3],
    label: i % 2 === 0 ? ('normal' as const) : ('abnormal' as const),
    sourceCodes: { [i % 2 === 0 ? 'NORM' : 'IMI']: i % 2 === 0 ? 100 : 50 },
    samplingRateHz: 100,
    lengthSamples: 1000,
    signalPath: `records/R${i}.hea`,
  }));
  const inserted = await new RecordStore(db).upsertMany(rows);
  const [experiment] = await db
    .insert(schema.experiments)
    .values({ name: 'fixture', config: { seeds: [1] }, configHash: `hash-${randomBytes(6).toString('hex')}` })
    .returning();
  const [run] = await db.insert(schema.runs).values({ experimentId: experiment.id, kind: 'train', model: 'resnet18', seed: 1 }).returning();
  return { datasetId: dataset.id, recordIds: inserted.map((r) => r.id), experimentId: experiment.id, runId: run.id };
}
