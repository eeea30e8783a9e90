import { ExperimentStore, RunStore, type LeadwiseDatabase } from '@leadwise/db';
import { summarizeAcrossSeeds } from '@leadwise/metrics';
import { EVALUATE_PARAM_KEYS } from '../run-param-keys.ts';
import { SUMMARY_METRIC_KEYS } from './summary-metrics.ts';

/** `internal`: the held-out test split of the training dataset; `external`: a dataset never trained on. */
export const STUDY_ROLES = ['internal', 'external'] as const;
export type StudyRole = (typeof STUDY_ROLES)[number];

/** One metric over seeds: mean ± SD, and the CI pooled as the mean of the per-seed bootstrap bounds. */
export interface SeedEstimate {
  mean: number;
  /** Sample SD over seeds; null with a single seed. */
  sd: number | null;
  min: number;
  max: number;
  ciLow: number;
  ciHigh: number;
  perSeed: { seed: number; runId: number; value: number; ciLow: number; ciHigh: number }[];
}

/** One row of the paper's table: a model on the internal test split or the external set. */
export interface StudySummaryRow {
  model: string;
  role: StudyRole;
  dataset: string;
  /** Records evaluated (the largest over seeds: seeds share the evaluation set). */
  n: number;
  positives: number;
  seeds: number[];
  rocAuc: SeedEstimate;
  prAuc: SeedEstimate;
}

export interface StudySummary {
  experimentId: number;
  internalDataset: string | null;
  rows: StudySummaryRow[];
}

export class StudySummaryError extends Error {
  override name = 'StudySummaryError';
}

const ROLE_ORDER = { internal: 0, external: 1 } as const;

/**
 * The paper's table for an experiment, from the metrics its finished evaluation runs recorded
 * (`recordEvaluationMetrics`). A run is INTERNAL when it evaluated the config's internal dataset
 * and EXTERNAL otherwise. Runs without the summary metrics (still running, failed) are left out.
 */
export async function computeStudySummary(db: LeadwiseDatabase, experimentId: number): Promise<StudySummary> {
  const experiment = await new ExperimentStore(db).getById(experimentId);
  if (!experiment) throw new StudySummaryError(`experiment ${experimentId} does not exist`);
  const internalDataset = readInternalDatasetName(experiment.config);

  // One round trip for any number of runs: finished evaluation runs joined with their summary
  // metrics (a row per run and key). Validation-split evaluations exist only to choose operating
  // thresholds; they are not test results and stay out.
  const metricRows = await new RunStore(db).finishedEvaluationMetrics(experimentId, Object.values(SUMMARY_METRIC_KEYS), { key: EVALUATE_PARAM_KEYS.split, value: 'val' });
  const evaluated: { runId: number; model: string; seed: number | null; dataset: string }[] = [];
  const metricsByRun = new Map<number, Map<string, number>>();
  for (const row of metricRows) {
    const { runId } = row;
    let map = metricsByRun.get(runId);
    if (!map) {
      metricsByRun.set(runId, (map = new Map()));
      evaluated.push({ runId, model: row.model, seed: row.seed, dataset: row.dataset });
    }
    map.set(row.key, row.value);
  }
  if (evaluated.length === 0) return { experimentId, internalDataset, rows: [] };

  type Cell = { model: string; role: StudyRole; dataset: string; runs: { runId: number; seed: number; m: Map<string, number> }[] };
  const cells = new Map<string, Cell>();
  for (const run of evaluated) {
    const m = metricsByRun.get(run.runId);
    if (!m || !m.has(SUMMARY_METRIC_KEYS.rocAuc) || !m.has(SUMMARY_METRIC_KEYS.prAuc)) continue;
    const role = run.dataset === internalDataset ? 'internal' : 'external';
    const key = `${run.model}\u0000${role}\u0000${run.dataset}`;
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { model: run.model, role, dataset: run.dataset, runs: [] }));
    // One value per seed: a re-evaluated seed counts once, with its latest run.
    const seed = run.seed ?? 0;
    const existing = cell.runs.findIndex((r) => r.seed === seed);
    if (existing >= 0) cell.runs[existing] = { runId: run.runId, seed, m };
    else cell.runs.push({ runId: run.runId, seed, m });
  }

  const rows: StudySummaryRow[] = [...cells.values()].map((cell) => {
    cell.runs.sort((a, b) => a.seed - b.seed);
    const get = (m: Map<string, number>, key: string) => m.get(key) ?? Number.NaN;
    return {
      model: cell.model,
      role: cell.role,
      dataset: cell.dataset,
      n: Math.max(...cell.runs.map((r) => get(r.m, SUMMARY_METRIC_KEYS.n))),
      positives: Math.max(...cell.runs.map((r) => get(r.m, SUMMARY_METRIC_KEYS.positives))),
      seeds: cell.runs.map((r) => r.seed),
      rocAuc: estimate(cell.runs, SUMMARY_METRIC_KEYS.rocAuc, SUMMARY_METRIC_KEYS.rocAucCiLow, SUMMARY_METRIC_KEYS.rocAucCiHigh),
      prAuc: estimate(cell.runs, SUMMARY_METRIC_KEYS.prAuc, SUMMARY_METRIC_KEYS.prAucCiLow, SUMMARY_METRIC_KEYS.prAucCiHigh),
    };
  });
  rows.sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.dataset.localeCompare(b.dataset) || a.model.localeCompare(b.model));
  return { experimentId, internalDataset, rows };
}

function estimate(cellRuns: { runId: number; seed: number; m: Map<string, number> }[], valueKey: string, lowKey: string, highKey: string): SeedEstimate {
  const perSeed = cellRuns.map((r) => ({
    seed: r.seed,
    runId: r.runId,
    value: r.m.get(valueKey)!,
    ciLow: r.m.get(lowKey) ?? Number.NaN,
    ciHigh: r.m.get(highKey) ?? Number.NaN,
  }));
  const across = summarizeAcrossSeeds(perSeed.map((p) => ({ seed: p.seed, value: p.value })), valueKey);
  const meanOf = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  return {
    mean: across.mean,
    sd: across.sd,
    min: across.min,
    max: across.max,
    ciLow: meanOf(perSeed.map((p) => p.ciLow)),
    ciHigh: meanOf(perSeed.map((p) => p.ciHigh)),
    perSeed,
  };
}

function readInternalDatasetName(config: Record<string, unknown>): string | null {
  const datasetsConfig = config.datasets;
  if (datasetsConfig && typeof datasetsConfig === 'object') {
    const internal = (datasetsConfig as Record<string, unknown>).internal;
    if (internal && typeof internal === 'object') {
      const name = (internal as Record<string, unknown>).name;
      if (typeof name === 'string') return name;
    }
  }
  return null;
}
