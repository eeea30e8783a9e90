import { sqlExecutorFor, sqlExecutorInTransaction, type LeadwiseDatabase, type SqlExecutor } from '@leadwise/db';

/** The one thing pg-boss needs from a connection (its `db` constructor option). */
export type BossDb = SqlExecutor;

export class QueueConnectionError extends Error {
  override name = 'QueueConnectionError';
}

/** Gives pg-boss the connection Leadwise already has (libs/db sqlExecutorFor), instead of a second connection string. */
export function bossDbFor(db: LeadwiseDatabase): BossDb {
  const executor = sqlExecutorFor(db);
  if (!executor) throw new QueueConnectionError('the job queue needs a database opened by openDatabase() (a pg.Pool or a PGlite client)');
  return executor;
}

/**
 * pg-boss statements run inside a drizzle transaction (pg-boss's per-call `db` option), so that a
 * queue write commits or rolls back with Leadwise's own rows; pg-boss sends single statements
 * through it (e.g. `send`).
 */
export function bossDbInTransaction(tx: LeadwiseDatabase): BossDb {
  return sqlExecutorInTransaction(tx);
}
