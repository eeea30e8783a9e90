import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type LeadwiseDatabase } from '@leadwise/db';

/** The one thing pg-boss needs from a connection (its `db` constructor option). */
export interface BossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export class QueueConnectionError extends Error {
  override name = 'QueueConnectionError';
}

/**
 * Gives pg-boss the connection Leadwise already has, instead of a second connection string:
 * - PostgreSQL: the drizzle handle's `pg.Pool` (pg-boss's multi-statement commands go through the
 *   simple query protocol, one pooled connection each, exactly as with pg-boss's own pool).
 * - Embedded PGlite: the in-process PGlite instance. PGlite is single-connection and in-process, so
 *   no socket is needed; statements without parameters run through `exec` (which accepts several
 *   statements, as pg-boss's `BEGIN; ...; COMMIT` plans need) and the rest through `query`. Each
 *   call is atomic with respect to the app's own queries because PGlite serialises them.
 */
export function bossDbFor(db: LeadwiseDatabase): BossDb {
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
        // A multi-statement text returns one result per statement; pg-boss reads the last.
        const last = Array.isArray(result) ? result[result.length - 1] : result;
        return { rows: (last as pg.QueryResult | undefined)?.rows ?? [] };
      },
    };
  }
  throw new QueueConnectionError('the job queue needs a database opened by openDatabase() (a pg.Pool or a PGlite client)');
}

/**
 * pg-boss statements run inside a drizzle transaction (pg-boss's per-call `db` option), so that a
 * queue write commits or rolls back with Leadwise's own rows. `$n` placeholders become drizzle
 * parameters; pg-boss sends single statements through it (e.g. `send`).
 */
export function bossDbInTransaction(tx: LeadwiseDatabase): BossDb {
  return {
    async executeSql(text, values = []) {
      const parts = text.split(/\$(\d+)/);
      const chunks: SQL[] = parts.map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql`${values[Number(part) - 1] ?? null}`));
      return { rows: await queryRows(tx, sql.join(chunks)) };
    },
  };
}
