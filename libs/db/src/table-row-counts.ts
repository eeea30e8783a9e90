import { count, getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import type { LeadwiseDatabase } from './client.ts';
import * as schema from './schema/index.ts';

/** Row counts of every table of the schema, by table name in name order (`leadwise db status`). Needs the migrations applied. */
export async function tableRowCounts(db: LeadwiseDatabase): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const schemaValues: unknown[] = Object.values(schema);
  for (const table of schemaValues.filter((v): v is PgTable => is(v, PgTable))) {
    const [row] = await db.select({ n: count() }).from(table);
    counts[getTableName(table)] = row.n;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
