import { and, asc, gt, sql } from 'drizzle-orm';
import type { LeadwiseDatabase } from '../client.ts';
import type { Split } from '../schema/enums.ts';
import { predictions } from '../schema/predictions.ts';
import { DbError } from '../errors.ts';
import { filterConditions, type PredictionFilter } from './prediction-store.ts';
import { clampLimit, type Page } from './store-kit.ts';

/** One record and each chosen run's score for it, in the order the runs were asked for. */
export interface RecordAcrossRuns {
  recordId: number;
  datasetId: number;
  split: Split | null;
  trueLabel: number;
  /** `scores[i]` is run i's score; null where that run did not predict the record. */
  scores: (number | null)[];
}

/** The most runs one side-by-side page compares: each is one more index probe per record. */
export const MAX_RUNS_ACROSS = 20;

/** The same records across several runs, side by side. */
export class RecordsAcrossRunsStore {
  constructor(private readonly db: LeadwiseDatabase) {}

  /**
   * One page of the records the first run predicted that match `filter` (applied to the first
   * run's predictions, as its own prediction list applies it), in record id order after
   * `afterRecordId`, each with every run's score. One query: the first run's rows walk
   * `predictions_run_record_key` in record order and each other run is one probe of it per record.
   */
  async page(runIds: readonly number[], filter: Omit<PredictionFilter, 'runId'>, options: { afterRecordId?: number | null; limit?: number } = {}): Promise<Page<RecordAcrossRuns, number>> {
    const [firstRunId] = runIds;
    if (firstRunId === undefined || runIds.length > MAX_RUNS_ACROSS) throw new DbError(`runIds: 1 to ${MAX_RUNS_ACROSS} runs, got ${runIds.length}`);
    const limit = clampLimit(options.limit);
    const conditions = filterConditions({ ...filter, runId: firstRunId });
    if (options.afterRecordId != null) conditions.push(gt(predictions.recordId, options.afterRecordId));
    const runIdArray = sql`ARRAY[${sql.join(
      runIds.map((id) => sql`${id}`),
      sql`, `,
    )}]::int[]`;
    const rows = await this.db
      .select({
        recordId: predictions.recordId,
        datasetId: predictions.datasetId,
        split: predictions.split,
        trueLabel: predictions.trueLabel,
        // Qualified by hand: drizzle leaves columns of a one-table select unqualified, and inside the
        // subquery a bare "record_id" would be the joined row's own.
        scores: sql<(number | null)[]>`ARRAY(
          SELECT other.score FROM unnest(${runIdArray}) WITH ORDINALITY AS chosen(run_id, position)
          LEFT JOIN ${predictions} AS other ON other.run_id = chosen.run_id AND other.record_id = "predictions"."record_id"
          ORDER BY chosen.position)`,
      })
      .from(predictions)
      .where(and(...conditions))
      .orderBy(asc(predictions.recordId))
      .limit(limit + 1);
    const items = rows.slice(0, limit).map((row) => ({ ...row, scores: row.scores.map((score) => (score === null ? null : Number(score))) }));
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? last.recordId : null };
  }
}
