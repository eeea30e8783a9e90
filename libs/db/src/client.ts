import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { watchPgliteDataChanges, watchPostgresDataChanges, type DataChangeListener, type DataChangeWatch } from './data-changes.ts';
import { DatabaseOpenError } from './errors.ts';
import { migratePglite, migratePostgres } from './migrations.ts';
import { redactDatabaseUrl, resolveLeadwiseHome } from './paths.ts';
import * as schema from './schema/index.ts';

export type LeadwiseSchema = typeof schema;

/**
 * The handle every store and query takes. Both the node-postgres and the PGlite database (and a
 * transaction of either) are a `PgDatabase` over this schema, so code written against it runs on both.
 */
export type LeadwiseDatabase = PgDatabase<PgQueryResultHKT, LeadwiseSchema>;

export type DatabaseDriver = 'postgres' | 'pglite';

export interface OpenDatabaseOptions {
  /** Force a driver; by default PostgreSQL when a URL is known, else PGlite. */
  driver?: DatabaseDriver;
  /** PostgreSQL connection string; defaults to `DATABASE_URL`. When absent, embedded PGlite is used. */
  databaseUrl?: string;
  /** PGlite data directory, or `memory://` for an in-memory database; defaults to `$LEADWISE_HOME/pglite`. */
  pgliteDataDir?: string;
  /** Apply pending migrations before returning (default true). `db status` opens without migrating. */
  migrate?: boolean;
  /** Maximum pooled PostgreSQL connections (default 10). */
  poolMax?: number;
}

export interface DatabaseHandle {
  db: LeadwiseDatabase;
  driver: DatabaseDriver;
  /** Where the data lives, safe to print: the URL with its password masked, or the PGlite directory. */
  location: string;
  /** Calls `listener` after every committed change to the data (see data-changes.ts) until stopped. */
  watchDataChanges(listener: DataChangeListener): Promise<DataChangeWatch>;
  close(): Promise<void>;
}

/**
 * Opens Leadwise's database: PostgreSQL through a `pg` pool when a URL is given (or `DATABASE_URL`
 * is set), otherwise embedded PGlite persisted under `LEADWISE_HOME`. Migrations apply on open.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  const databaseUrl = options.databaseUrl?.trim() || process.env.DATABASE_URL?.trim() || undefined;
  const shouldMigrate = options.migrate ?? true;
  const driver = options.driver ?? (databaseUrl ? 'postgres' : 'pglite');
  if (driver === 'postgres') {
    if (!databaseUrl) throw new DatabaseOpenError('driver postgres needs a connection string: set DATABASE_URL or pass databaseUrl');
    return openPostgres(databaseUrl, shouldMigrate, options.poolMax ?? 10);
  }
  return openPglite(options.pgliteDataDir ?? join(resolveLeadwiseHome(), 'pglite'), shouldMigrate);
}

async function openPostgres(databaseUrl: string, shouldMigrate: boolean, poolMax: number): Promise<DatabaseHandle> {
  const location = redactDatabaseUrl(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', ignoreError);
  try {
    if (shouldMigrate) await migratePostgres(pool);
    else await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(ignoreError);
    throw new DatabaseOpenError(`cannot open PostgreSQL at ${location}: ${safeMessage(error, databaseUrl)}`, { cause: error });
  }
  const db: LeadwiseDatabase = drizzleNodePg(pool, { schema });
  let closed = false;
  return {
    db,
    driver: 'postgres',
    location,
    watchDataChanges: (listener) => watchPostgresDataChanges(databaseUrl, listener),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string, shouldMigrate: boolean): Promise<DatabaseHandle> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  let client: PGlite;
  try {
    client = new PGlite(dataDir);
    await client.waitReady;
  } catch (error) {
    throw new DatabaseOpenError(
      `cannot open PGlite at ${dataDir} (is another Leadwise process using it? PGlite allows one process per directory): ` +
        (error instanceof Error ? error.message : String(error)),
      { cause: error },
    );
  }
  return wrapPgliteClient(client, dataDir, shouldMigrate);
}

/**
 * A handle over an already started PGlite (e.g. one loaded from a data-dir dump, as the test
 * helper does); migrates it unless told not to. `close()` closes the client.
 */
export async function wrapPgliteClient(client: PGlite, location: string, shouldMigrate = true): Promise<DatabaseHandle> {
  const pgliteDb = drizzlePglite(client, { schema });
  try {
    if (shouldMigrate) await migratePglite(pgliteDb);
  } catch (error) {
    await client.close().catch(ignoreError);
    throw new DatabaseOpenError(`cannot migrate PGlite at ${location}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const db: LeadwiseDatabase = pgliteDb;
  return {
    db,
    driver: 'pglite',
    location,
    watchDataChanges: (listener) => watchPgliteDataChanges(client, listener),
    async close() {
      if (!client.closed) await client.close();
    },
  };
}

/** Used where a failure is already being reported or cannot matter (cleanup after a failed open). */
function ignoreError(): void {
  // deliberately nothing
}

/** An error message with the connection string (and so its password) removed, should a driver echo it. */
function safeMessage(error: unknown, databaseUrl: string): string {
  const message = error instanceof Error ? error.message : String(error);
  let password = '';
  try {
    password = decodeURIComponent(new URL(databaseUrl).password);
  } catch {
    // unparseable URL: nothing more to mask than the URL itself
  }
  let safe = message.split(databaseUrl).join('<database url>');
  if (password) safe = safe.split(password).join('***');
  return safe;
}
