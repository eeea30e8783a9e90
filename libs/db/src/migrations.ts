import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePgliteDb } from 'drizzle-orm/pglite/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { MIGRATIONS_FOLDER } from './paths.ts';
import { queryRows } from './raw-query.ts';

/** Where drizzle's migrator records applied migrations (its defaults, spelled out for `db status`). */
const MIGRATIONS_SCHEMA = 'drizzle';
const MIGRATIONS_TABLE = '__drizzle_migrations';

/**
 * Arbitrary constant for `pg_advisory_lock`: API and worker processes starting together against one
 * PostgreSQL must not run the same migration twice, so they take turns.
 */
const MIGRATION_LOCK_KEY = 7_345_210_611;

export async function migratePostgres(pool: pg.Pool, migrationsFolder = MIGRATIONS_FOLDER): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrateNodePg(drizzleNodePg(client), { migrationsFolder, migrationsSchema: MIGRATIONS_SCHEMA, migrationsTable: MIGRATIONS_TABLE });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

export async function migratePglite<TSchema extends Record<string, unknown>>(
  db: PgliteDatabase<TSchema>,
  migrationsFolder = MIGRATIONS_FOLDER,
): Promise<void> {
  await migratePgliteDb(db, { migrationsFolder, migrationsSchema: MIGRATIONS_SCHEMA, migrationsTable: MIGRATIONS_TABLE });
}

export interface MigrationStatus {
  /** File name without `.sql`, e.g. `0000_init_schema`. */
  tag: string;
  applied: boolean;
  /** When it was applied, as recorded by the migrator (its folder timestamp), if applied. */
  appliedAt: Date | null;
}

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

/** Migrations in the folder, in order, each marked applied or pending in this database. */
export async function migrationStatus(
  db: PgDatabase<PgQueryResultHKT, Record<string, unknown>>,
  migrationsFolder = MIGRATIONS_FOLDER,
): Promise<MigrationStatus[]> {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] };
  const files = readMigrationFiles({ migrationsFolder });
  const [table] = await queryRows<{ present: boolean }>(
    db,
    sql`select to_regclass(${`${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`}) is not null as present`,
  );
  const applied = new Map<string, number>();
  if (table?.present) {
    const rows = await queryRows<{ hash: string; created_at: string | number }>(
      db,
      sql`select hash, created_at from ${sql.identifier(MIGRATIONS_SCHEMA)}.${sql.identifier(MIGRATIONS_TABLE)}`,
    );
    for (const row of rows) applied.set(row.hash, Number(row.created_at));
  }
  return journal.entries.map((entry, i) => {
    const appliedAtMs = applied.get(files[i]?.hash ?? '');
    return { tag: entry.tag, applied: appliedAtMs !== undefined, appliedAt: appliedAtMs === undefined ? null : new Date(appliedAtMs) };
  });
}
