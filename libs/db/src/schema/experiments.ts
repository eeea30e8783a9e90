import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, refColumn, softDelete, timestampColumn, timestamps } from './columns.ts';
import { datasets } from './datasets.ts';
import { EXPERIMENT_STATUSES, RUN_KINDS, RUN_STATUSES, inList } from './enums.ts';

/**
 * Experiment tracking in MLflow's shape (mlflow/store/tracking/dbmodels/models.py): experiments own
 * runs; a run's params are written once, metrics are a (key, value, step, timestamp) series plus a
 * latest-value table, artifacts are referenced by URI, and deletes are soft.
 */
export const experiments = pgTable(
  'experiments',
  {
    id: idColumn(),
    name: text('name').notNull(),
    config: jsonb('config').$type<Record<string, unknown>>().notNull(),
    /** sha256 of the canonical config: the same config resumes its experiment, a changed one starts a new one. */
    configHash: text('config_hash').notNull(),
    status: text('status', { enum: EXPERIMENT_STATUSES }).notNull().default('active'),
    ...timestamps(),
    ...softDelete(),
  },
  (t) => [
    uniqueIndex('experiments_config_hash_key').on(t.configHash),
    check('experiments_status_check', sql.raw(inList('status', EXPERIMENT_STATUSES))),
  ],
);

export const runs = pgTable(
  'runs',
  {
    id: idColumn(),
    experimentId: refColumn('experiment_id')
      .notNull()
      .references(() => experiments.id, { onDelete: 'cascade' }),
    /** An evaluate run points at the train run whose checkpoint it evaluates. */
    parentRunId: refColumn('parent_run_id').references((): AnyPgColumn => runs.id, { onDelete: 'set null' }),
    name: text('name'),
    kind: text('kind', { enum: RUN_KINDS }).notNull(),
    /** Model name: an architecture (`leadgroup-ecg`, `resnet18`) or an LLM id (`gpt-4.1`). */
    model: text('model').notNull(),
    seed: integer('seed'),
    status: text('status', { enum: RUN_STATUSES }).notNull().default('queued'),
    /** Compute backend (`tfjs-wasm`, `tfjs-node`, `onnxruntime`) or LLM provider endpoint. */
    backend: text('backend'),
    /** The dataset a run trains or evaluates on; null for runs spanning several. */
    datasetId: refColumn('dataset_id').references(() => datasets.id, { onDelete: 'set null' }),
    startTime: timestampColumn('start_time'),
    endTime: timestampColumn('end_time'),
    wallTimeMs: bigint('wall_time_ms', { mode: 'number' }),
    error: text('error'),
    checkpointUri: text('checkpoint_uri'),
    ...timestamps(),
    ...softDelete(),
  },
  (t) => [
    // Runs of an experiment (API list, study resume), newest by id.
    index('runs_experiment_id_idx').on(t.experimentId, t.id),
    // Dashboards and the worker: runs in a given status.
    index('runs_status_idx').on(t.status),
    index('runs_parent_run_idx').on(t.parentRunId),
    check('runs_kind_check', sql.raw(inList('kind', RUN_KINDS))),
    check('runs_status_check', sql.raw(inList('status', RUN_STATUSES))),
  ],
);

/** Written once per (run, key): a run's inputs never change after they were recorded. */
export const runParams = pgTable(
  'run_params',
  {
    runId: refColumn('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ name: 'run_params_pkey', columns: [t.runId, t.key] })],
);

/** Mutable labels on a run (MLflow tags), unlike params. */
export const runTags = pgTable(
  'run_tags',
  {
    runId: refColumn('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ name: 'run_tags_pkey', columns: [t.runId, t.key] })],
);

export const runMetrics = pgTable(
  'run_metrics',
  {
    id: idColumn(),
    runId: refColumn('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    /** NaN and infinities are stored as such (double precision allows them). */
    value: doublePrecision('value').notNull(),
    step: bigint('step', { mode: 'number' }).notNull().default(0),
    timestamp: timestampColumn('timestamp').notNull().defaultNow(),
  },
  (t) => [
    // Metric history of one key of a run, in step order (loss curves). Unique: one value per step,
    // so a replayed epoch (a retried job) overwrites its metrics instead of duplicating them.
    uniqueIndex('run_metrics_run_key_step_key').on(t.runId, t.key, t.step),
  ],
);

/** Latest value per (run, key): max step, then latest timestamp (MLflow's rule), kept on every log. */
export const runLatestMetrics = pgTable(
  'run_latest_metrics',
  {
    runId: refColumn('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: doublePrecision('value').notNull(),
    step: bigint('step', { mode: 'number' }).notNull(),
    timestamp: timestampColumn('timestamp').notNull(),
  },
  (t) => [primaryKey({ name: 'run_latest_metrics_pkey', columns: [t.runId, t.key] })],
);

/** Large outputs (checkpoints, reports, plots) live elsewhere; the database keeps where and a checksum. */
export const runArtifacts = pgTable(
  'run_artifacts',
  {
    id: idColumn(),
    runId: refColumn('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    /** Logical path within the run, e.g. `checkpoint/model.json`; unique per run. */
    path: text('path').notNull(),
    kind: text('kind').notNull(),
    uri: text('uri').notNull(),
    sha256: text('sha256'),
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    createdAt: createdAtColumn(),
  },
  (t) => [uniqueIndex('run_artifacts_run_path_key').on(t.runId, t.path)],
);

export type Experiment = typeof experiments.$inferSelect;
export type NewExperiment = typeof experiments.$inferInsert;
export type Run = typeof runs.$inferSelect;
export type NewRun = typeof runs.$inferInsert;
export type RunParam = typeof runParams.$inferSelect;
export type RunTag = typeof runTags.$inferSelect;
export type RunMetric = typeof runMetrics.$inferSelect;
export type NewRunMetric = typeof runMetrics.$inferInsert;
export type RunLatestMetric = typeof runLatestMetrics.$inferSelect;
export type RunArtifact = typeof runArtifacts.$inferSelect;
export type NewRunArtifact = typeof runArtifacts.$inferInsert;
