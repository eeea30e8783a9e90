import { sql } from 'drizzle-orm';
import { check, doublePrecision, index, pgTable, smallint, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, refColumn } from './columns.ts';
import { datasets, records } from './datasets.ts';
import { runs } from './experiments.ts';
import { SPLITS, inList } from './enums.ts';

/**
 * One row per (run, record): the model's probability of "abnormal" and the label it implies.
 * Labels are 0 = normal, 1 = abnormal; excluded records are never predicted.
 */
export const predictions = pgTable(
  'predictions',
  {
    id: idColumn(),
    runId: refColumn('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    recordId: refColumn('record_id')
      .notNull()
      .references(() => records.id, { onDelete: 'cascade' }),
    /** Denormalised from records so per-dataset metrics of a run need no join. */
    datasetId: refColumn('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    split: text('split', { enum: SPLITS }),
    trueLabel: smallint('true_label').notNull(),
    /** Probability of abnormal, in [0, 1]. */
    score: doublePrecision('score').notNull(),
    predictedLabel: smallint('predicted_label').notNull(),
    createdAt: createdAtColumn(),
  },
  (t) => [
    // Upsert key: a re-run or a retried job overwrites its predictions, never duplicates them.
    uniqueIndex('predictions_run_record_key').on(t.runId, t.recordId),
    // Page through a run's predictions in id order (keyset cursor), optionally filtered by label.
    index('predictions_run_id_idx').on(t.runId, t.id),
    // Sorted by score within a run (and score-range filters), with id as the cursor tie-breaker.
    index('predictions_run_score_id_idx').on(t.runId, t.score, t.id),
    // Misclassified of a run: a small partial index, because errors are a minority of rows. Queries
    // must spell the predicate exactly as `true_label <> predicted_label` for the planner to use it.
    index('predictions_run_misclassified_idx')
      .on(t.runId, t.id)
      .where(sql.raw('"true_label" <> "predicted_label"')),
    // All predictions for one record across runs (record detail page).
    index('predictions_record_idx').on(t.recordId),
    check('predictions_true_label_check', sql.raw('"true_label" IN (0, 1)')),
    check('predictions_predicted_label_check', sql.raw('"predicted_label" IN (0, 1)')),
    check('predictions_score_check', sql.raw('"score" >= 0 AND "score" <= 1')),
    check('predictions_split_check', sql.raw(`"split" IS NULL OR ${inList('split', SPLITS)}`)),
  ],
);

/** Per (run, record, lead group): attention weight from the model and/or the occlusion score drop. */
export const leadGroupAttributions = pgTable(
  'lead_group_attributions',
  {
    id: idColumn(),
    runId: refColumn('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    recordId: refColumn('record_id')
      .notNull()
      .references(() => records.id, { onDelete: 'cascade' }),
    /** Lead group name as in `@leadwise/ecg` (inferior, lateral, septal, anterior, aVR). */
    groupName: text('group_name').notNull(),
    attentionWeight: doublePrecision('attention_weight'),
    /** Score with the group masked minus the unmasked score. */
    occlusionDelta: doublePrecision('occlusion_delta'),
    createdAt: createdAtColumn(),
  },
  (t) => [
    // Upsert key; its (run_id, ...) prefix also serves per-run aggregation by group.
    uniqueIndex('lead_group_attributions_run_record_group_key').on(t.runId, t.recordId, t.groupName),
    // Attributions of one record across runs.
    index('lead_group_attributions_record_idx').on(t.recordId),
  ],
);

export type Prediction = typeof predictions.$inferSelect;
export type NewPrediction = typeof predictions.$inferInsert;
export type LeadGroupAttribution = typeof leadGroupAttributions.$inferSelect;
export type NewLeadGroupAttribution = typeof leadGroupAttributions.$inferInsert;
