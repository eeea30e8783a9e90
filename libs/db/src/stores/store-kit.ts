import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { LeadwiseDatabase } from '../client.ts';

/** A page of a keyset-paginated list; `nextCursor` is null on the last page. */
export interface Page<Item, Cursor = number> {
  items: Item[];
  nextCursor: Cursor | null;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`page limit must be a positive integer, got ${limit}`);
  return Math.min(limit, MAX_PAGE_SIZE);
}

/**
 * `SET column = excluded.column` for the given columns of an upsert. Keys are the table's TypeScript
 * property names; the SQL uses their database names.
 */
export function excludedColumns<T extends PgTable>(table: T, keys: readonly (keyof T['_']['columns'] & string)[]): Record<string, SQL> {
  const columns = getTableColumns(table);
  const set: Record<string, SQL> = {};
  for (const key of keys) set[key] = sql.raw(`excluded."${columns[key].name}"`);
  return set;
}

/** Splits rows so one statement stays far below PostgreSQL's 65,535 bind parameters. */
export function chunk<T>(rows: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
  return chunks;
}

/**
 * Runs `fn` in a transaction. Inside, use only the `tx` handle: on PGlite the single connection
 * is held by the transaction, so a query on the outer handle would wait forever.
 * Nested calls (a store method given a transaction) become savepoints.
 */
export function transaction<T>(db: LeadwiseDatabase, fn: (tx: LeadwiseDatabase) => Promise<T>): Promise<T> {
  return db.transaction((tx) => fn(tx));
}
