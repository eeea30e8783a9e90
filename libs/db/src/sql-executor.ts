import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { sql, type SQL } from 'drizzle-orm';
import type { LeadwiseDatabase } from './client.ts';
import { queryRows } from './raw-query.ts';

/**
 * Runs SQL text with `$n` parameters on Leadwise's own connection, for a library that brings its own
 * statements (pg-boss's `db` option) instead of a second connection string.
 */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * The executor over the connection behind a handle from openDatabase(); undefined for any other handle.
 * - PostgreSQL: the drizzle handle's `pg.Pool` (multi-statement texts go through the simple query
 *   protocol, one pooled connection each, exactly as with a library's own pool).
 * - Embedded PGlite: the in-process PGlite instance. PGlite is single-connection and in-process, so
 *   no socket is needed; statements without parameters run through `exec` (which accepts several
 *   statements, as pg-boss's `BEGIN; ...; COMMIT` plans need) and the rest through `query`. Each
 *   call is atomic with respect to the app's own queries because PGlite serialises them.
 */
export function sqlExecutorFor(db: LeadwiseDatabase): SqlExecutor | undefined {
  const client: unknown = (db as unknown as { $client?: unknown }).$client;
  if (client instanceof PGlite) {
    return {
      async executeSql(text, values) {
        if (!values || values.length === 0) {
          const results = await client.exec(text);
          return { rows: results[results.length - 1]?.rows ?? [] };
        }
        const result = await client.query(text, values);
        return { rows: result.rows };
      },
    };
  }
  if (client instanceof pg.Pool) {
    return {
      async executeSql(text, values) {
        const result = await client.query(text, values as unknown[] | undefined);
        // A multi-statement text returns one result per statement; the caller reads the last.
        const last = Array.isArray(result) ? result[result.length - 1] : result;
        return { rows: (last as pg.QueryResult | undefined)?.rows ?? [] };
      },
    };
  }
  return undefined;
}

/**
 * Statements run inside a drizzle transaction, so that they commit or roll back with Leadwise's own
 * rows. `$n` placeholders become drizzle parameters; single statements only.
 */
export function sqlExecutorInTransaction(tx: LeadwiseDatabase): SqlExecutor {
  return {
    async executeSql(text, values = []) {
      const parts = text.split(/\$(\d+)/);
      const chunks: SQL[] = parts.map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql`${values[Number(part) - 1] ?? null}`));
      return { rows: await queryRows(tx, sql.join(chunks)) };
    },
  };
}
