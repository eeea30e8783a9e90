import DataLoader from 'dataloader';
import { and, asc, desc, inArray, isNull, sql } from 'drizzle-orm';
import {
  datasets,
  experiments,
  jobs,
  records,
  runArtifacts,
  runLatestMetrics,
  runMetrics,
  runParams,
  runs,
  type Dataset,
  type RecordRow,
  type Experiment,
  type Job,
  type Run,
  type RunArtifact,
  type RunLatestMetric,
  type RunMetric,
  type RunParam,
} from '@leadwise/db';
import type { Db } from './db.ts';

export interface SplitLabelCount {
  split: string | null;
  label: string;
  count: number;
}

/**
 * One set of DataLoaders per request: field resolvers ask for rows by key and each loader issues one
 * `WHERE key = ANY(...)` query per tick, so a page of 100 predictions with their records costs two
 * queries, not 101. Per request (never shared) so that no request sees another's cached rows.
 */
export function createLoaders(db: Db) {
  const byId = <T extends { id: number }>(rows: T[], ids: readonly number[]) => {
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  };
  const groupBy = <T, K>(rows: T[], keys: readonly K[], keyOf: (row: T) => K) => {
    const map = new Map<K, T[]>();
    for (const row of rows) {
      const key = keyOf(row);
      const list = map.get(key);
      if (list) list.push(row);
      else map.set(key, [row]);
    }
    return keys.map((k) => map.get(k) ?? []);
  };

  return {
    dataset: new DataLoader<number, Dataset | null>(async (ids) =>
      byId(await db.select().from(datasets).where(inArray(datasets.id, [...ids])), ids),
    ),
    record: new DataLoader<number, RecordRow | null>(async (ids) =>
      byId(await db.select().from(records).where(inArray(records.id, [...ids])), ids),
    ),
    experiment: new DataLoader<number, Experiment | null>(async (ids) =>
      byId(await db.select().from(experiments).where(and(inArray(experiments.id, [...ids]), isNull(experiments.deletedAt))), ids),
    ),
    run: new DataLoader<number, Run | null>(async (ids) =>
      byId(await db.select().from(runs).where(and(inArray(runs.id, [...ids]), isNull(runs.deletedAt))), ids),
    ),
    runsOfExperiment: new DataLoader<number, Run[]>(async (ids) =>
      groupBy(
        await db
          .select()
          .from(runs)
          .where(and(inArray(runs.experimentId, [...ids]), isNull(runs.deletedAt)))
          .orderBy(asc(runs.id)),
        ids,
        (r) => r.experimentId,
      ),
    ),
    paramsOfRun: new DataLoader<number, RunParam[]>(async (ids) =>
      groupBy(await db.select().from(runParams).where(inArray(runParams.runId, [...ids])).orderBy(asc(runParams.key)), ids, (r) => r.runId),
    ),
    latestMetricsOfRun: new DataLoader<number, RunLatestMetric[]>(async (ids) =>
      groupBy(
        await db.select().from(runLatestMetrics).where(inArray(runLatestMetrics.runId, [...ids])).orderBy(asc(runLatestMetrics.key)),
        ids,
        (r) => r.runId,
      ),
    ),
    artifactsOfRun: new DataLoader<number, RunArtifact[]>(async (ids) =>
      groupBy(await db.select().from(runArtifacts).where(inArray(runArtifacts.runId, [...ids])).orderBy(asc(runArtifacts.path)), ids, (r) => r.runId),
    ),
    /** The latest job of each run (a run relaunched after a failure has several). */
    latestJobOfRun: new DataLoader<number, Job | null>(async (ids) => {
      const rows = await db.select().from(jobs).where(inArray(jobs.runId, [...ids])).orderBy(desc(jobs.id));
      const map = new Map<number, Job>();
      for (const row of rows) if (row.runId !== null && !map.has(row.runId)) map.set(row.runId, row);
      return ids.map((id) => map.get(id) ?? null);
    }),
    /** Metric history of (run, key), in step order; key is `${runId}/${metricKey}`. */
    metricSeries: new DataLoader<string, RunMetric[]>(async (keys) => {
      const pairs = keys.map((k) => {
        const slash = k.indexOf('/');
        return { runId: Number(k.slice(0, slash)), key: k.slice(slash + 1) };
      });
      const rows = await db
        .select()
        .from(runMetrics)
        .where(and(inArray(runMetrics.runId, [...new Set(pairs.map((p) => p.runId))]), inArray(runMetrics.key, [...new Set(pairs.map((p) => p.key))])))
        .orderBy(asc(runMetrics.step), asc(runMetrics.timestamp), asc(runMetrics.id));
      return groupBy(rows, keys, (r) => `${r.runId}/${r.key}`);
    }),
    splitLabelCountsOfDataset: new DataLoader<number, SplitLabelCount[]>(async (ids) => {
      const rows = await db
        .select({ datasetId: records.datasetId, split: records.split, label: records.label, count: sql<number>`count(*)::int` })
        .from(records)
        .where(inArray(records.datasetId, [...ids]))
        .groupBy(records.datasetId, records.split, records.label);
      return groupBy(rows, ids, (r) => r.datasetId).map((list) =>
        list.map(({ split, label, count }) => ({ split, label, count: Number(count) })),
      );
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** Loads a row or says which one is missing (for parents that must exist, e.g. a run's experiment). */
export async function loadOrNull<T>(loader: DataLoader<number, T | null>, id: number | null): Promise<T | null> {
  return id === null ? null : loader.load(id);
}

