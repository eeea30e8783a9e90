import { bigint, timestamp } from 'drizzle-orm/pg-core';

/**
 * Shared column builders. Each is a function so that every table gets its own builder instance.
 *
 * Ids are 64-bit identity columns read as JS numbers: they are safe up to 2^53, far beyond any
 * table here, and an increasing id doubles as a stable cursor for keyset pagination.
 */
export const idColumn = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();

/** A bigint foreign key column read as a JS number, matching `idColumn`. */
export const refColumn = (name: string) => bigint(name, { mode: 'number' });

export const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const createdAtColumn = () => timestampColumn('created_at').notNull().defaultNow();

export const timestamps = () => ({
  createdAt: createdAtColumn(),
  updatedAt: timestampColumn('updated_at')
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date()),
});

/** Soft delete (MLflow's lifecycle_stage): rows stay for provenance; readers filter `deleted_at IS NULL`. */
export const softDelete = () => ({
  deletedAt: timestampColumn('deleted_at'),
});
