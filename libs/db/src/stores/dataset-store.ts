import { and, asc, count, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { LeadwiseDatabase } from '../client.ts';
import { datasets, records, type Dataset, type NewDataset } from '../schema/datasets.ts';
import type { RecordLabel, Split } from '../schema/enums.ts';

export interface DatasetLabelCount {
  datasetId: number;
  split: Split | null;
  label: RecordLabel;
  count: number;
}

export interface IncludeDeleted {
  includeDeleted?: boolean;
}

export class DatasetStore {
  constructor(private readonly db: LeadwiseDatabase) {}

  /** Creates the dataset or updates the one with the same name (re-import); a soft-deleted one comes back. */
  async upsert(input: NewDataset): Promise<Dataset> {
    const [row] = await this.db
      .insert(datasets)
      .values(input)
      .onConflictDoUpdate({
        target: datasets.name,
        set: {
          kind: input.kind,
          sourcePath: input.sourcePath,
          sourceFileHashes: input.sourceFileHashes ?? {},
          labelRule: input.labelRule,
          updatedAt: sql`now()`,
          deletedAt: null,
        },
      })
      .returning();
    return row;
  }

  async getById(id: number, options: IncludeDeleted = {}): Promise<Dataset | undefined> {
    const [row] = await this.db
      .select()
      .from(datasets)
      .where(and(eq(datasets.id, id), options.includeDeleted ? undefined : isNull(datasets.deletedAt)));
    return row;
  }

  async getByName(name: string, options: IncludeDeleted = {}): Promise<Dataset | undefined> {
    const [row] = await this.db
      .select()
      .from(datasets)
      .where(and(eq(datasets.name, name), options.includeDeleted ? undefined : isNull(datasets.deletedAt)));
    return row;
  }

  /** For DataLoaders: the datasets with these ids, in no particular order. */
  async getByIds(ids: readonly number[], options: IncludeDeleted = {}): Promise<Dataset[]> {
    if (ids.length === 0) return [];
    return this.db
      .select()
      .from(datasets)
      .where(and(inArray(datasets.id, [...ids]), options.includeDeleted ? undefined : isNull(datasets.deletedAt)));
  }

  /** Datasets in id order, or in name order with `orderBy: 'name'`; at most `limit` of them when given. */
  async list(options: IncludeDeleted & { orderBy?: 'id' | 'name'; limit?: number } = {}): Promise<Dataset[]> {
    const query = this.db
      .select()
      .from(datasets)
      .where(options.includeDeleted ? undefined : isNull(datasets.deletedAt))
      .orderBy(options.orderBy === 'name' ? asc(datasets.name) : asc(datasets.id));
    return options.limit === undefined ? query : query.limit(options.limit);
  }

  /** Record counts per dataset, split and label (what `leadwise datasets` and the API show). */
  async labelCounts(datasetIds?: readonly number[]): Promise<DatasetLabelCount[]> {
    if (datasetIds && datasetIds.length === 0) return [];
    return this.db
      .select({ datasetId: records.datasetId, split: records.split, label: records.label, count: count() })
      .from(records)
      .where(datasetIds ? inArray(records.datasetId, [...datasetIds]) : undefined)
      .groupBy(records.datasetId, records.split, records.label)
      .orderBy(records.datasetId, records.split, records.label);
  }

  /** Hides the dataset from lists and lookups; its records stay for provenance. Returns false if absent. */
  async softDelete(id: number): Promise<boolean> {
    const rows = await this.db
      .update(datasets)
      .set({ deletedAt: sql`now()` })
      .where(and(eq(datasets.id, id), isNull(datasets.deletedAt)))
      .returning({ id: datasets.id });
    return rows.length > 0;
  }

  async restore(id: number): Promise<boolean> {
    const rows = await this.db.update(datasets).set({ deletedAt: null }).where(eq(datasets.id, id)).returning({ id: datasets.id });
    return rows.length > 0;
  }
}
