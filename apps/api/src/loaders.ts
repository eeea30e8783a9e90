import DataLoader from 'dataloader';
import {
  DatasetStore,
  ExperimentStore,
  JobStore,
  RecordStore,
  RunStore,
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

  const datasetStore = new DatasetStore(db);
  const recordStore = new RecordStore(db);
  const experimentStore = new ExperimentStore(db);
  const runStore = new RunStore(db);
  const jobStore = new JobStore(db);

  return {
    // A record's or a run's dataset resolves even after the dataset was soft-deleted.
    dataset: new DataLoader<number, Dataset | null>(async (ids) => byId(await datasetStore.getByIds(ids, { includeDeleted: true }), ids)),
    record: new DataLoader<number, RecordRow | null>(async (ids) => byId(await recordStore.getByIds(ids), ids)),
    experiment: new DataLoader<number, Experiment | null>(async (ids) => byId(await experimentStore.getByIds(ids), ids)),
    run: new DataLoader<number, Run | null>(async (ids) => byId(await runStore.getByIds(ids), ids)),
    runsOfExperiment: new DataLoader<number, Run[]>(async (ids) => groupBy(await runStore.listByExperiments(ids), ids, (r) => r.experimentId)),
    paramsOfRun: new DataLoader<number, RunParam[]>(async (ids) => groupBy(await runStore.paramRowsForRuns(ids), ids, (r) => r.runId)),
    latestMetricsOfRun: new DataLoader<number, RunLatestMetric[]>(async (ids) => groupBy(await runStore.latestMetricsForRuns(ids), ids, (r) => r.runId)),
    artifactsOfRun: new DataLoader<number, RunArtifact[]>(async (ids) => groupBy(await runStore.artifactsForRuns(ids), ids, (r) => r.runId)),
    /** The latest job of each run (a run relaunched after a failure has several). */
    latestJobOfRun: new DataLoader<number, Job | null>(async (ids) => {
      const latest = await jobStore.latestByRuns(ids);
      return ids.map((id) => latest.get(id) ?? null);
    }),
    /** Metric history of (run, key), in step order; key is `${runId}/${metricKey}`. */
    metricSeries: new DataLoader<string, RunMetric[]>(async (keys) => {
      const pairs = keys.map((k) => {
        const slash = k.indexOf('/');
        return { runId: Number(k.slice(0, slash)), key: k.slice(slash + 1) };
      });
      const rows = await runStore.metricSeriesForRuns([...new Set(pairs.map((p) => p.runId))], [...new Set(pairs.map((p) => p.key))]);
      return groupBy(rows, keys, (r) => `${r.runId}/${r.key}`);
    }),
    splitLabelCountsOfDataset: new DataLoader<number, SplitLabelCount[]>(async (ids) =>
      groupBy(await datasetStore.labelCounts(ids), ids, (r) => r.datasetId).map((list) => list.map(({ split, label, count }) => ({ split, label, count }))),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** Loads a row or says which one is missing (for parents that must exist, e.g. a run's experiment). */
export async function loadOrNull<T>(loader: DataLoader<number, T | null>, id: number | null): Promise<T | null> {
  return id === null ? null : loader.load(id);
}

