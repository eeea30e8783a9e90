import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { DbError } from './errors.ts';

/**
 * Runs raw SQL and returns its rows. The driver-neutral handle types `execute` results as unknown;
 * node-postgres and PGlite both return `{ rows }`, which is checked here instead of cast blindly.
 * Numeric columns may arrive as strings (int8, numeric on node-postgres): convert with `Number`.
 */
export async function queryRows<Row extends Record<string, unknown>>(
  db: PgDatabase<PgQueryResultHKT, Record<string, unknown>>,
  query: SQL,
): Promise<Row[]> {
  const result: unknown = await db.execute(query);
  if (typeof result === 'object' && result !== null && 'rows' in result && Array.isArray(result.rows)) {
    return result.rows as Row[];
  }
  throw new DbError('raw query returned no rows array (unsupported driver)');
}
