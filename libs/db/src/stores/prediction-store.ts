import { and, asc, count, desc, eq, gt, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { LeadwiseDatabase } from '../client.ts';
import type { Split } from '../schema/enums.ts';
import { datasets, records } from '../schema/datasets.ts';
import { predictions, type NewPrediction, type Prediction } from '../schema/predictions.ts';
import { DbError } from '../errors.ts';
import { bulkUpsert } from './bulk-upsert.ts';
import { clampLimit, type Page } from './store-kit.ts';

export type BinaryLabel = 0 | 1;

export interface PredictionFilter {
  runId: number;
  /** true: only errors; false: only correct predictions; omit for both. */
  misclassified?: boolean;
  trueLabel?: BinaryLabel;
  predictedLabel?: BinaryLabel;
  /** Inclusive bounds on the score (probability of abnormal). */
  scoreMin?: number;
  scoreMax?: number;
  datasetId?: number;
  split?: Split;
}

export type PredictionSort = 'id' | 'scoreAsc' | 'scoreDesc';

/** Where the previous page ended: the last row's id, and its score when sorting by score. */
export interface PredictionCursor {
  id: number;
  score?: number;
}

export interface PredictionPageOptions {
  sort?: PredictionSort;
  cursor?: PredictionCursor | null;
  limit?: number;
}

/** What AUC, DeLong and calibration need from a run, and nothing more. */
export interface ScoredLabel {
  recordId: number;
  trueLabel: number;
  score: number;
}

/** A prediction with what identifies its record (`leadwise predictions`, the report's CSVs). */
export interface PredictionWithRecord {
  recordId: number;
  externalId: string;
  dataset: string;
  /** The split the run scored the record as (null when it scored a whole dataset). */
  predictionSplit: Split | null;
  /** The record's own split. */
  recordSplit: Split | null;
  trueLabel: number;
  score: number;
}

export class PredictionStore {
  constructor(private readonly db: LeadwiseDatabase) {}

  /**
   * Inserts or overwrites predictions by (run, record): a retried job or re-run writes the same rows
   * again, never duplicates. Atomic across chunks. Returns the number of rows written.
   */
  async upsertMany(rows: readonly NewPrediction[], options: { chunkSize?: number } = {}): Promise<number> {
    const written = await bulkUpsert(this.db, predictions, rows, {
      conflictTarget: ['runId', 'recordId'],
      update: ['datasetId', 'split', 'trueLabel', 'score', 'predictedLabel'],
      chunkSize: options.chunkSize,
    });
    return written.length;
  }

  /**
   * One page of a run's predictions, filtered and sorted, with a keyset cursor (stable under
   * concurrent inserts, constant cost at any depth). Uses the indexes declared on `predictions`:
   * the partial misclassified index for `misclassified: true`, (run, score, id) for score order.
   */
  async page(filter: PredictionFilter, options: PredictionPageOptions = {}): Promise<Page<Prediction, PredictionCursor>> {
    const limit = clampLimit(options.limit);
    const sort = options.sort ?? 'id';
    const conditions = filterConditions(filter);
    const cursor = options.cursor;
    if (cursor) {
      if (sort === 'id') conditions.push(gt(predictions.id, cursor.id));
      else {
        if (cursor.score === undefined) throw new DbError(`a cursor for sort ${sort} needs the score of the last row`);
        conditions.push(
          sort === 'scoreAsc'
            ? sql`(${predictions.score}, ${predictions.id}) > (${cursor.score}, ${cursor.id})`
            : sql`(${predictions.score}, ${predictions.id}) < (${cursor.score}, ${cursor.id})`,
        );
      }
    }
    const orderBy =
      sort === 'id'
        ? [asc(predictions.id)]
        : sort === 'scoreAsc'
          ? [asc(predictions.score), asc(predictions.id)]
          : [desc(predictions.score), desc(predictions.id)];
    const rows = await this.db
      .select()
      .from(predictions)
      .where(and(...conditions))
      .orderBy(...orderBy)
      .limit(limit + 1);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: rows.length > limit ? (sort === 'id' ? { id: last.id } : { id: last.id, score: last.score }) : null,
    };
  }

  async count(filter: PredictionFilter): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(predictions).where(and(...filterConditions(filter)));
    return row.n;
  }

  /** Labels and scores of a run (optionally one dataset / split), in record order, for metrics. */
  async scoredLabels(runId: number, options: { datasetId?: number; split?: Split } = {}): Promise<ScoredLabel[]> {
    return this.db
      .select({ recordId: predictions.recordId, trueLabel: predictions.trueLabel, score: predictions.score })
      .from(predictions)
      .where(
        and(
          eq(predictions.runId, runId),
          options.datasetId !== undefined ? eq(predictions.datasetId, options.datasetId) : undefined,
          options.split !== undefined ? eq(predictions.split, options.split) : undefined,
        ),
      )
      .orderBy(asc(predictions.recordId));
  }

  /** Every run's prediction for one record (the first `limit` runs, by run id, when given). */
  /** A run's predictions in record id order, with each record's identity, own split and dataset name. */
  async listWithRecords(runId: number): Promise<PredictionWithRecord[]> {
    return this.db
      .select({
        recordId: predictions.recordId,
        externalId: records.externalId,
        dataset: datasets.name,
        predictionSplit: predictions.split,
        recordSplit: records.split,
        trueLabel: predictions.trueLabel,
        score: predictions.score,
      })
      .from(predictions)
      .innerJoin(records, eq(records.id, predictions.recordId))
      .innerJoin(datasets, eq(datasets.id, predictions.datasetId))
      .where(eq(predictions.runId, runId))
      .orderBy(asc(predictions.recordId));
  }

  async byRecord(recordId: number, limit?: number): Promise<Prediction[]> {
    const query = this.db.select().from(predictions).where(eq(predictions.recordId, recordId)).orderBy(asc(predictions.runId));
    return limit === undefined ? query : query.limit(clampLimit(limit));
  }

  /** For DataLoaders: the predictions of these runs for these records. */
  async forRunRecords(runId: number, recordIds: readonly number[]): Promise<Prediction[]> {
    if (recordIds.length === 0) return [];
    return this.db
      .select()
      .from(predictions)
      .where(and(eq(predictions.runId, runId), inArray(predictions.recordId, [...recordIds])));
  }
}

export function filterConditions(filter: PredictionFilter): SQL[] {
  const conditions: SQL[] = [eq(predictions.runId, filter.runId)];
  // Spelled exactly as the partial index predicate so PostgreSQL can use predictions_run_misclassified_idx.
  if (filter.misclassified === true) conditions.push(sql.raw('"true_label" <> "predicted_label"'));
  if (filter.misclassified === false) conditions.push(sql.raw('"true_label" = "predicted_label"'));
  if (filter.trueLabel !== undefined) conditions.push(eq(predictions.trueLabel, filter.trueLabel));
  if (filter.predictedLabel !== undefined) conditions.push(eq(predictions.predictedLabel, filter.predictedLabel));
  if (filter.scoreMin !== undefined) conditions.push(gte(predictions.score, filter.scoreMin));
  if (filter.scoreMax !== undefined) conditions.push(lte(predictions.score, filter.scoreMax));
  if (filter.datasetId !== undefined) conditions.push(eq(predictions.datasetId, filter.datasetId));
  if (filter.split !== undefined) conditions.push(eq(predictions.split, filter.split));
  return conditions;
}

