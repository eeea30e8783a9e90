import { RunStore, type LeadwiseDatabase } from '@leadwise/db';
import { averagePrecision, averagePrecisionMetric, aucMetric, bootstrapCi, rocAuc, type NumericArray } from '@leadwise/metrics';
import { SUMMARY_METRIC_KEYS } from './summary-metrics.ts';

export interface EvaluationMetricOptions {
  /** Bootstrap resamples for the CIs (pROC's default 2,000). */
  resamples?: number;
  /** Bootstrap PRNG seed, so the same predictions always give the same CI. */
  seed?: number;
  level?: number;
  /** Step the metrics are logged at (default 0). */
  step?: number;
}

export interface EvaluationMetrics {
  n: number;
  positives: number;
  rocAuc: number;
  rocAucCiLow: number;
  rocAucCiHigh: number;
  prAuc: number;
  prAucCiLow: number;
  prAucCiHigh: number;
}

/** ROC-AUC and PR-AUC (average precision) with stratified bootstrap CIs, from labels and scores. */
export function computeEvaluationMetrics(labels: NumericArray, scores: NumericArray, options: EvaluationMetricOptions = {}): EvaluationMetrics {
  const bootstrap = { resamples: options.resamples ?? 2000, seed: options.seed ?? 20260626, level: options.level ?? 0.95 };
  const roc = rocAuc(labels, scores);
  const rocCi = bootstrapCi(labels, scores, aucMetric, bootstrap);
  const prCi = bootstrapCi(labels, scores, averagePrecisionMetric, bootstrap);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  return {
    n: labels.length,
    positives,
    rocAuc: roc.auc,
    rocAucCiLow: rocCi.lower,
    rocAucCiHigh: rocCi.upper,
    prAuc: averagePrecision(labels, scores),
    prAucCiLow: prCi.lower,
    prAucCiHigh: prCi.upper,
  };
}

/**
 * Computes the summary metrics of an evaluation run and logs them (series + latest value) under
 * `SUMMARY_METRIC_KEYS`, which is what the study summary reads. Idempotent: a retried job logs the
 * same values again at the same step and the latest values are overwritten, not duplicated.
 */
export async function recordEvaluationMetrics(
  db: LeadwiseDatabase,
  runId: number,
  labels: NumericArray,
  scores: NumericArray,
  options: EvaluationMetricOptions = {},
): Promise<EvaluationMetrics> {
  const metrics = computeEvaluationMetrics(labels, scores, options);
  const step = options.step ?? 0;
  const timestamp = new Date();
  const points = (Object.keys(SUMMARY_METRIC_KEYS) as (keyof EvaluationMetrics)[]).map((name) => ({
    key: SUMMARY_METRIC_KEYS[name],
    value: metrics[name],
    step,
    timestamp,
  }));
  await new RunStore(db).logMetrics(runId, points);
  return metrics;
}
