import { and, asc, desc, eq, inArray, isNull, max, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { LeadwiseDatabase } from '../client.ts';
import type { RunKind, RunStatus, Split } from '../schema/enums.ts';
import { datasets } from '../schema/datasets.ts';
import { predictions } from '../schema/predictions.ts';
import {
  runArtifacts,
  runLatestMetrics,
  runMetrics,
  runParams,
  runTags,
  runs,
  type NewRun,
  type NewRunArtifact,
  type Run,
  type RunArtifact,
  type RunLatestMetric,
  type RunMetric,
  type RunParam,
} from '../schema/experiments.ts';
import { InvalidTransitionError, ParamConflictError } from '../errors.ts';
import type { IncludeDeleted } from './dataset-store.ts';
import { bulkUpsert } from './bulk-upsert.ts';
import { queryRows } from '../raw-query.ts';

export type ParamValue = string | number | boolean;

export interface MetricPoint {
  key: string;
  value: number;
  /** Training step or epoch; 0 for single-valued metrics. */
  step?: number;
  timestamp?: Date;
}

/** Statuses a run may move to from each status. Terminal: finished, cancelled. */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['running', 'failed', 'cancelled'],
  // -> queued: a worker died or shut down mid-run and the job is retried from its checkpoint.
  running: ['finished', 'failed', 'cancelled', 'queued'],
  // -> queued: an explicit retry.
  failed: ['queued'],
  finished: [],
  cancelled: [],
};

/** One latest metric of a finished evaluation run, with what identifies the run in a study's table. */
export interface EvaluationMetricRow {
  runId: number;
  model: string;
  seed: number | null;
  dataset: string;
  key: string;
  value: number;
}

export class RunStore {
  constructor(private readonly db: LeadwiseDatabase) {}

  async create(input: NewRun): Promise<Run> {
    const [row] = await this.db.insert(runs).values(input).returning();
    return row;
  }

  async getById(id: number, options: IncludeDeleted = {}): Promise<Run | undefined> {
    const [row] = await this.db
      .select()
      .from(runs)
      .where(and(eq(runs.id, id), options.includeDeleted ? undefined : isNull(runs.deletedAt)));
    return row;
  }

  /** For DataLoaders: runs with these ids, in no particular order. */
  async getByIds(ids: readonly number[], options: IncludeDeleted = {}): Promise<Run[]> {
    if (ids.length === 0) return [];
    return this.db
      .select()
      .from(runs)
      .where(and(inArray(runs.id, [...ids]), options.includeDeleted ? undefined : isNull(runs.deletedAt)));
  }

  /** The newest `limit` (not deleted) runs matching every given filter, newest first. */
  async listNewest(filter: { experimentId?: number; status?: RunStatus; kind?: RunKind; model?: string }, limit: number): Promise<Run[]> {
    return this.db
      .select()
      .from(runs)
      .where(
        and(
          isNull(runs.deletedAt),
          filter.experimentId !== undefined ? eq(runs.experimentId, filter.experimentId) : undefined,
          filter.status !== undefined ? eq(runs.status, filter.status) : undefined,
          filter.kind !== undefined ? eq(runs.kind, filter.kind) : undefined,
          filter.model !== undefined ? eq(runs.model, filter.model) : undefined,
        ),
      )
      .orderBy(desc(runs.id))
      .limit(limit);
  }

  /** For DataLoaders: the (not deleted) runs of these experiments, in id order. */
  async listByExperiments(experimentIds: readonly number[]): Promise<Run[]> {
    if (experimentIds.length === 0) return [];
    return this.db
      .select()
      .from(runs)
      .where(and(inArray(runs.experimentId, [...experimentIds]), isNull(runs.deletedAt)))
      .orderBy(asc(runs.id));
  }

  async listByExperiment(
    experimentId: number,
    filter: IncludeDeleted & { status?: RunStatus; kind?: RunKind; model?: string } = {},
  ): Promise<Run[]> {
    return this.db
      .select()
      .from(runs)
      .where(
        and(
          eq(runs.experimentId, experimentId),
          filter.includeDeleted ? undefined : isNull(runs.deletedAt),
          filter.status ? eq(runs.status, filter.status) : undefined,
          filter.kind ? eq(runs.kind, filter.kind) : undefined,
          filter.model ? eq(runs.model, filter.model) : undefined,
        ),
      )
      .orderBy(asc(runs.id));
  }

  /** When the experiment's last run ended; undefined before any has. */
  async lastEndTime(experimentId: number): Promise<Date | undefined> {
    const [row] = await this.db
      .select({ lastEnd: max(runs.endTime) })
      .from(runs)
      .where(and(eq(runs.experimentId, experimentId), isNull(runs.deletedAt)));
    return row?.lastEnd ? new Date(row.lastEnd) : undefined;
  }

  /** The latest unfinished (queued, running or failed) train run of this model, seed and dataset, to resume. */
  async findResumableTrainRun(key: { experimentId: number; model: string; seed: number; datasetId: number }): Promise<Run | undefined> {
    const [row] = await this.db
      .select()
      .from(runs)
      .where(
        and(
          eq(runs.experimentId, key.experimentId),
          eq(runs.kind, 'train'),
          eq(runs.model, key.model),
          eq(runs.seed, key.seed),
          eq(runs.datasetId, key.datasetId),
          inArray(runs.status, ['queued', 'running', 'failed']),
          isNull(runs.deletedAt),
        ),
      )
      .orderBy(desc(runs.id))
      .limit(1);
    return row;
  }

  /**
   * The latest values of `keys` on an experiment's finished evaluation runs, a row per run and key in
   * run id order, in one round trip for any number of runs. Runs whose param `exceptParam.key` is
   * `exceptParam.value` are left out (the study leaves out its validation-split evaluations).
   */
  async finishedEvaluationMetrics(experimentId: number, keys: readonly string[], exceptParam: { key: string; value: string }): Promise<EvaluationMetricRow[]> {
    if (keys.length === 0) return [];
    const rows = await queryRows<{ run_id: string | number; model: string; seed: number | null; dataset: string; key: string; value: number }>(
      this.db,
      sql`SELECT r.id AS run_id, r.model, r.seed, d.name AS dataset, m.key, m.value
          FROM runs r
          JOIN datasets d ON d.id = r.dataset_id
          JOIN run_latest_metrics m ON m.run_id = r.id AND m.key IN (${sql.join(
            keys.map((key) => sql`${key}`),
            sql`, `,
          )})
          LEFT JOIN run_params p ON p.run_id = r.id AND p.key = ${exceptParam.key}
          WHERE r.experiment_id = ${experimentId} AND r.kind = 'evaluate' AND r.status = 'finished' AND r.deleted_at IS NULL
            AND (p.value IS NULL OR p.value <> ${exceptParam.value})
          ORDER BY r.id`,
    );
    return rows.map((row) => ({
      runId: Number(row.run_id),
      model: row.model,
      seed: row.seed === null ? null : Number(row.seed),
      dataset: row.dataset,
      key: row.key,
      value: Number(row.value),
    }));
  }

  /** A run's child runs of `kind` (a train run's evaluations), deleted ones left out, in id order. */
  async listChildren(parentRunId: number, kind: RunKind): Promise<Run[]> {
    return this.db
      .select()
      .from(runs)
      .where(and(eq(runs.parentRunId, parentRunId), eq(runs.kind, kind), isNull(runs.deletedAt)))
      .orderBy(asc(runs.id));
  }

  /** A param of a run's finished children of `kind`, for those that have it, in run id order. */
  async finishedChildParams(parentRunId: number, kind: RunKind, key: string): Promise<{ id: number; value: string }[]> {
    return this.db
      .select({ id: runs.id, value: runParams.value })
      .from(runs)
      .innerJoin(runParams, and(eq(runParams.runId, runs.id), eq(runParams.key, key)))
      .where(and(eq(runs.parentRunId, parentRunId), eq(runs.kind, kind), eq(runs.status, 'finished'), isNull(runs.deletedAt)))
      .orderBy(asc(runs.id));
  }

  /** Whether a finished evaluation of this train run scored records of `split` (where its operating threshold comes from). */
  async hasFinishedEvaluationOn(trainRunId: number, split: Split): Promise<boolean> {
    const scored = await this.db
      .select({ id: runs.id })
      .from(runs)
      .innerJoin(predictions, eq(predictions.runId, runs.id))
      .where(and(eq(runs.parentRunId, trainRunId), eq(runs.kind, 'evaluate'), eq(runs.status, 'finished'), eq(predictions.split, split)))
      .limit(1);
    return scored.length > 0;
  }

  /** An experiment's finished evaluation runs with their dataset's name, in id order. */
  async listFinishedEvaluations(experimentId: number): Promise<{ id: number; model: string; seed: number | null; dataset: string | null }[]> {
    return this.db
      .select({ id: runs.id, model: runs.model, seed: runs.seed, dataset: datasets.name })
      .from(runs)
      .leftJoin(datasets, eq(datasets.id, runs.datasetId))
      .where(and(eq(runs.experimentId, experimentId), eq(runs.kind, 'evaluate'), eq(runs.status, 'finished'), isNull(runs.deletedAt)))
      .orderBy(asc(runs.id));
  }

  /** Of these runs, the ones of `kind` still queued or running (for a retry to fail what an earlier attempt left behind). */
  async listUnfinished(ids: readonly number[], kind: RunKind): Promise<Run[]> {
    if (ids.length === 0) return [];
    return this.db
      .select()
      .from(runs)
      .where(and(inArray(runs.id, [...ids]), eq(runs.kind, kind), inArray(runs.status, ['queued', 'running'])))
      .orderBy(asc(runs.id));
  }

  /** Records the compute backend a run trained on. */
  async setBackend(id: number, backend: string): Promise<void> {
    await this.db.update(runs).set({ backend }).where(eq(runs.id, id));
  }

  // ---- status transitions -------------------------------------------------------------------

  /** queued -> running; records the start time. */
  start(id: number): Promise<Run> {
    return this.transition(id, 'running', { startTime: sql`now()`, endTime: null, error: null });
  }

  /** running -> finished; records end and wall time. */
  finish(id: number): Promise<Run> {
    return this.transition(id, 'finished', {
      endTime: sql`now()`,
      wallTimeMs: sql`(extract(epoch from (now() - ${runs.startTime})) * 1000)::bigint`,
    });
  }

  /** queued|running -> failed with the error text. */
  fail(id: number, error: string): Promise<Run> {
    return this.transition(id, 'failed', {
      error,
      endTime: sql`now()`,
      wallTimeMs: sql`(extract(epoch from (now() - ${runs.startTime})) * 1000)::bigint`,
    });
  }

  /** queued|running -> cancelled. */
  cancel(id: number): Promise<Run> {
    return this.transition(id, 'cancelled', { endTime: sql`now()` });
  }

  /** running|failed -> queued, for a retry (the run keeps its params, metrics and checkpoint). */
  requeue(id: number): Promise<Run> {
    return this.transition(id, 'queued');
  }

  /**
   * Moves a run to `to` if `RUN_TRANSITIONS` allows it from its current status, atomically (a
   * concurrent transition cannot slip in between check and write). Throws InvalidTransitionError.
   */
  async transition(id: number, to: RunStatus, patch: PgUpdateSetSource<typeof runs> = {}): Promise<Run> {
    const allowedFrom = (Object.keys(RUN_TRANSITIONS) as RunStatus[]).filter((from) => RUN_TRANSITIONS[from].includes(to));
    const [row] = await this.db
      .update(runs)
      .set({ ...patch, status: to, updatedAt: sql`now()` })
      .where(and(eq(runs.id, id), inArray(runs.status, allowedFrom)))
      .returning();
    if (row) return row;
    const [current] = await this.db.select({ status: runs.status }).from(runs).where(eq(runs.id, id));
    throw new InvalidTransitionError('run', id, current?.status ?? null, to);
  }

  async setCheckpointUri(id: number, checkpointUri: string): Promise<void> {
    await this.db.update(runs).set({ checkpointUri, updatedAt: sql`now()` }).where(eq(runs.id, id));
  }

  async softDelete(id: number): Promise<boolean> {
    const rows = await this.db
      .update(runs)
      .set({ deletedAt: sql`now()` })
      .where(and(eq(runs.id, id), isNull(runs.deletedAt)))
      .returning({ id: runs.id });
    return rows.length > 0;
  }

  async restore(id: number): Promise<boolean> {
    const rows = await this.db.update(runs).set({ deletedAt: null }).where(eq(runs.id, id)).returning({ id: runs.id });
    return rows.length > 0;
  }

  // ---- params (write once) ------------------------------------------------------------------

  /**
   * Records params; each key is written once per run. Logging the same value again is a no-op (so a
   * resumed run can re-log its params); a different value throws ParamConflictError and writes nothing.
   */
  async logParams(runId: number, params: Readonly<Record<string, ParamValue>>): Promise<void> {
    const entries = Object.entries(params).map(([key, value]) => ({ runId, key, value: String(value) }));
    if (entries.length === 0) return;
    await this.db.transaction(async (tx) => {
      await tx.insert(runParams).values(entries).onConflictDoNothing();
      const stored = await tx
        .select()
        .from(runParams)
        .where(and(eq(runParams.runId, runId), inArray(runParams.key, entries.map((e) => e.key))));
      const storedByKey = new Map(stored.map((p) => [p.key, p.value]));
      for (const entry of entries) {
        const existing = storedByKey.get(entry.key);
        if (existing !== undefined && existing !== entry.value) throw new ParamConflictError(runId, entry.key, existing, entry.value);
      }
    });
  }

  async getParams(runId: number): Promise<Record<string, string>> {
    const rows = await this.db.select().from(runParams).where(eq(runParams.runId, runId)).orderBy(asc(runParams.key));
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** For DataLoaders: params of several runs. */
  async paramsForRuns(runIds: readonly number[]): Promise<Map<number, Record<string, string>>> {
    const byRun = new Map<number, Record<string, string>>(runIds.map((id) => [id, {}]));
    if (runIds.length === 0) return byRun;
    const rows = await this.db.select().from(runParams).where(inArray(runParams.runId, [...runIds]));
    for (const row of rows) {
      const params = byRun.get(row.runId) ?? {};
      params[row.key] = row.value;
      byRun.set(row.runId, params);
    }
    return byRun;
  }

  /** For DataLoaders: the param rows of several runs, in key order. */
  async paramRowsForRuns(runIds: readonly number[]): Promise<RunParam[]> {
    if (runIds.length === 0) return [];
    return this.db.select().from(runParams).where(inArray(runParams.runId, [...runIds])).orderBy(asc(runParams.key));
  }

  // ---- tags (mutable) -----------------------------------------------------------------------

  async setTags(runId: number, tags: Readonly<Record<string, string>>): Promise<void> {
    const entries = Object.entries(tags).map(([key, value]) => ({ runId, key, value }));
    if (entries.length === 0) return;
    await this.db
      .insert(runTags)
      .values(entries)
      .onConflictDoUpdate({ target: [runTags.runId, runTags.key], set: { value: sql.raw('excluded."value"') } });
  }

  async getTags(runId: number): Promise<Record<string, string>> {
    const rows = await this.db.select().from(runTags).where(eq(runTags.runId, runId));
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  // ---- metrics ------------------------------------------------------------------------------

  /**
   * Appends metric points to the run's series and keeps the latest-value table current: per key the
   * point with the highest step wins, ties go to the later timestamp (MLflow's rule), whatever the
   * order in which points arrive.
   */
  async logMetrics(runId: number, points: readonly MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    const now = new Date();
    // One value per (key, step): a step logged again (a replayed epoch) replaces the earlier value,
    // within this call (the last point wins) and across calls (the upsert below).
    const byStep = new Map<string, { runId: number; key: string; value: number; step: number; timestamp: Date }>();
    for (const p of points) byStep.set(`${p.key}\u0000${p.step ?? 0}`, { runId, key: p.key, value: p.value, step: p.step ?? 0, timestamp: p.timestamp ?? now });
    const rows = [...byStep.values()];
    const latestByKey = new Map<string, (typeof rows)[number]>();
    for (const row of rows) {
      const current = latestByKey.get(row.key);
      if (!current || row.step > current.step || (row.step === current.step && row.timestamp >= current.timestamp)) latestByKey.set(row.key, row);
    }
    await this.db.transaction(async (tx) => {
      await bulkUpsert(tx, runMetrics, rows, { conflictTarget: ['runId', 'key', 'step'], update: ['value', 'timestamp'] });
      await tx
        .insert(runLatestMetrics)
        .values([...latestByKey.values()])
        .onConflictDoUpdate({
          target: [runLatestMetrics.runId, runLatestMetrics.key],
          set: { value: sql.raw('excluded."value"'), step: sql.raw('excluded."step"'), timestamp: sql.raw('excluded."timestamp"') },
          setWhere: sql`(excluded."step", excluded."timestamp") >= (${runLatestMetrics.step}, ${runLatestMetrics.timestamp})`,
        });
    });
  }

  logMetric(runId: number, key: string, value: number, step = 0, timestamp?: Date): Promise<void> {
    return this.logMetrics(runId, [{ key, value, step, timestamp }]);
  }

  /** The series of one key (or all keys), in step then time order. */
  async getMetricSeries(runId: number, key?: string): Promise<RunMetric[]> {
    return this.db
      .select()
      .from(runMetrics)
      .where(and(eq(runMetrics.runId, runId), key !== undefined ? eq(runMetrics.key, key) : undefined))
      .orderBy(asc(runMetrics.key), asc(runMetrics.step), asc(runMetrics.timestamp), asc(runMetrics.id));
  }

  /** For DataLoaders: the series of these keys of these runs (every pair of them), in step then time order. */
  async metricSeriesForRuns(runIds: readonly number[], keys: readonly string[]): Promise<RunMetric[]> {
    if (runIds.length === 0 || keys.length === 0) return [];
    return this.db
      .select()
      .from(runMetrics)
      .where(and(inArray(runMetrics.runId, [...runIds]), inArray(runMetrics.key, [...keys])))
      .orderBy(asc(runMetrics.step), asc(runMetrics.timestamp), asc(runMetrics.id));
  }

  async getLatestMetrics(runId: number): Promise<RunLatestMetric[]> {
    return this.db.select().from(runLatestMetrics).where(eq(runLatestMetrics.runId, runId)).orderBy(asc(runLatestMetrics.key));
  }

  /** For DataLoaders and the study summary: latest metrics of several runs (optionally some keys). */
  async latestMetricsForRuns(runIds: readonly number[], keys?: readonly string[]): Promise<RunLatestMetric[]> {
    if (runIds.length === 0) return [];
    return this.db
      .select()
      .from(runLatestMetrics)
      .where(and(inArray(runLatestMetrics.runId, [...runIds]), keys ? inArray(runLatestMetrics.key, [...keys]) : undefined))
      .orderBy(asc(runLatestMetrics.runId), asc(runLatestMetrics.key));
  }

  // ---- artifacts ----------------------------------------------------------------------------

  /** Records (or re-points) the artifact at this path of the run. */
  async addArtifact(input: NewRunArtifact): Promise<RunArtifact> {
    const [row] = await this.db
      .insert(runArtifacts)
      .values(input)
      .onConflictDoUpdate({
        target: [runArtifacts.runId, runArtifacts.path],
        set: {
          kind: sql.raw('excluded."kind"'),
          uri: sql.raw('excluded."uri"'),
          sha256: sql.raw('excluded."sha256"'),
          sizeBytes: sql.raw('excluded."size_bytes"'),
        },
      })
      .returning();
    return row;
  }

  async listArtifacts(runId: number): Promise<RunArtifact[]> {
    return this.db.select().from(runArtifacts).where(eq(runArtifacts.runId, runId)).orderBy(asc(runArtifacts.path));
  }

  /** For DataLoaders: the artifacts of several runs, in path order. */
  async artifactsForRuns(runIds: readonly number[]): Promise<RunArtifact[]> {
    if (runIds.length === 0) return [];
    return this.db.select().from(runArtifacts).where(inArray(runArtifacts.runId, [...runIds])).orderBy(asc(runArtifacts.path));
  }

  /** Most recent runs first, for dashboards. */
  async listRecent(limit = 50): Promise<Run[]> {
    return this.db.select().from(runs).where(isNull(runs.deletedAt)).orderBy(desc(runs.id)).limit(limit);
  }
}
