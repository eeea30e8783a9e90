import { and, asc, count, eq, exists, gt, inArray, isNull, ne, not, sql, type SQL } from 'drizzle-orm';
import type { LeadwiseDatabase } from '../client.ts';
import { records, type NewRecordRow, type RecordRow } from '../schema/datasets.ts';
import { llmResponses } from '../schema/llm-responses.ts';
import { predictions } from '../schema/predictions.ts';
import type { RecordLabel, Split } from '../schema/enums.ts';
import { DbError } from '../errors.ts';
import { bulkUpsert } from './bulk-upsert.ts';
import { queryRows } from '../raw-query.ts';
import { chunk, clampLimit, type Page } from './store-kit.ts';

export interface RecordFilter {
  datasetId: number;
  /** A split, or null for records without one; omit for all. */
  split?: Split | null;
  label?: RecordLabel;
}

export interface RecordPageOptions {
  /** Return records with id greater than this (the previous page's `nextCursor`). */
  afterId?: number | null;
  limit?: number;
}

/**
 * Columns an upsert overwrites: everything the source defines (the key and creation time stay). The
 * split is set apart: a source without folds leaves the split `leadwise split` stored in place.
 */
const UPSERT_COLUMNS = [
  'patientId',
  'fold',
  'label',
  'sourceCodes',
  'samplingRateHz',
  'lengthSamples',
  'ageYears',
  'sex',
  'signalPath',
  'signalSha256',
  'quality',
] as const;

export class RecordStore {
  constructor(private readonly db: LeadwiseDatabase) {}

  /**
   * Inserts or updates records by (dataset, external id), in chunks. Atomic: it runs in a
   * transaction (a savepoint when the store was built on the caller's transaction, which is how an
   * import makes the whole dataset one transaction). Returns the id of every row, in input order.
   */
  /**
   * After a re-import: removes the dataset's records whose external id is not in `keep` (gone from
   * the source), unless a run predicted or an LLM answered them, which keeps them so that results
   * stay whole. Returns how many were removed and how many such records were kept.
   */
  async removeAbsent(datasetId: number, keep: readonly string[]): Promise<{ removed: number; keptReferenced: number }> {
    // One array parameter, whatever the dataset's size (a list would need one parameter per record).
    const absent = and(eq(records.datasetId, datasetId), sql`${records.externalId} <> all(${sql.param([...keep])}::text[])`);
    const referenced = sql`(${exists(this.db.select({ one: sql`1` }).from(predictions).where(eq(predictions.recordId, records.id)))} or ${exists(
      this.db.select({ one: sql`1` }).from(llmResponses).where(eq(llmResponses.recordId, records.id)),
    )})`;
    const removed = await this.db.delete(records).where(and(absent, not(referenced))).returning({ id: records.id });
    const [{ kept }] = (await this.db.select({ kept: count() }).from(records).where(absent)) as [{ kept: number }];
    return { removed: removed.length, keptReferenced: Number(kept) };
  }

  async upsertMany(rows: readonly NewRecordRow[], options: { chunkSize?: number } = {}): Promise<{ id: number; externalId: string }[]> {
    const written = await bulkUpsert(this.db, records, rows, {
      conflictTarget: ['datasetId', 'externalId'],
      update: UPSERT_COLUMNS,
      extraSet: sql`"split" = coalesce(excluded."split", ${records}."split"), "updated_at" = now()`,
      returning: ['id', 'datasetId', 'externalId'],
      chunkSize: options.chunkSize,
    });
    const idByKey = new Map(written.map((r) => [`${r.datasetId}\u0000${r.externalId}`, r.id]));
    return rows.map((row) => {
      const id = idByKey.get(`${row.datasetId}\u0000${row.externalId}`);
      if (id === undefined) throw new DbError(`record ${row.externalId} of dataset ${row.datasetId} was not written`);
      return { id, externalId: row.externalId };
    });
  }

  /**
   * Sets the split of records of one dataset (ids of other datasets are left alone), with one array
   * parameter per column whatever the count. Returns the number of records updated.
   */
  async setSplits(datasetId: number, splits: ReadonlyMap<number, Split | null>): Promise<number> {
    let updated = 0;
    const entries = [...splits.entries()];
    for (const part of chunk(entries, 10_000)) {
      const rows = await queryRows<{ id: unknown }>(
        this.db,
        sql`update ${records} set "split" = v.split, "updated_at" = now()
            from unnest(${sql.param(part.map(([id]) => id))}::bigint[], ${sql.param(part.map(([, split]) => split))}::text[]) as v(id, split)
            where ${records}."id" = v.id and ${records}."dataset_id" = ${datasetId}
            returning ${records}."id"`,
      );
      updated += rows.length;
    }
    return updated;
  }

  async getById(id: number): Promise<RecordRow | undefined> {
    const [row] = await this.db.select().from(records).where(eq(records.id, id));
    return row;
  }

  /** For DataLoaders: records with these ids, in no particular order. */
  async getByIds(ids: readonly number[]): Promise<RecordRow[]> {
    if (ids.length === 0) return [];
    return this.db.select().from(records).where(inArray(records.id, [...ids]));
  }

  async getByExternalId(datasetId: number, externalId: string): Promise<RecordRow | undefined> {
    const [row] = await this.db
      .select()
      .from(records)
      .where(and(eq(records.datasetId, datasetId), eq(records.externalId, externalId)));
    return row;
  }

  /** Records of a dataset filtered by split and label, in id order, one page at a time. */
  async list(filter: RecordFilter, options: RecordPageOptions = {}): Promise<Page<RecordRow>> {
    const limit = clampLimit(options.limit);
    const conditions = [...filterConditions(filter)];
    if (options.afterId != null) conditions.push(gt(records.id, options.afterId));
    const rows = await this.db
      .select()
      .from(records)
      .where(and(...conditions))
      .orderBy(asc(records.id))
      .limit(limit + 1);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  /** What training and evaluation read of a dataset's labelled (normal/abnormal) records, in id order. */
  async listLabelled(datasetId: number): Promise<Pick<RecordRow, 'id' | 'signalPath' | 'label' | 'split' | 'sourceCodes'>[]> {
    return this.db
      .select({ id: records.id, signalPath: records.signalPath, label: records.label, split: records.split, sourceCodes: records.sourceCodes })
      .from(records)
      .where(and(eq(records.datasetId, datasetId), ne(records.label, 'excluded')))
      .orderBy(asc(records.id));
  }

  /** What a split assignment reads of every record of a dataset, in id order. */
  async listSplitKeys(datasetId: number): Promise<Pick<RecordRow, 'id' | 'patientId' | 'label' | 'split'>[]> {
    return this.db
      .select({ id: records.id, patientId: records.patientId, label: records.label, split: records.split })
      .from(records)
      .where(eq(records.datasetId, datasetId))
      .orderBy(asc(records.id));
  }

  async count(filter: RecordFilter): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(records).where(and(...filterConditions(filter)));
    return row.n;
  }
}

function filterConditions(filter: RecordFilter): SQL[] {
  const conditions = [eq(records.datasetId, filter.datasetId)];
  if (filter.split === null) conditions.push(isNull(records.split));
  else if (filter.split !== undefined) conditions.push(eq(records.split, filter.split));
  if (filter.label !== undefined) conditions.push(eq(records.label, filter.label));
  return conditions;
}
