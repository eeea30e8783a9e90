import { checkLabels, checkScores, type NumericArray } from './binary-sample.ts';
import { bootstrapCi } from './bootstrap.ts';
import { delongAllPairs, delongAucCi, type NamedPairedComparison } from './delong.ts';
import { aucMetric, averagePrecisionMetric } from './metric-functions.ts';
import { holmAdjust } from './multiple-comparisons.ts';
import { prCurve } from './precision-recall.ts';

export interface Interval {
  lower: number;
  upper: number;
}

export interface ModelSummary {
  name: string;
  auc: number;
  aucDelongCi: Interval & { standardError: number };
  aucBootstrapCi: Interval | null;
  /** Step-wise PR-AUC: the one to report. */
  averagePrecision: number;
  averagePrecisionBootstrapCi: Interval | null;
  /** Trapezoid area under the PR points, shown beside AP for comparison only (it is optimistic). */
  prAucTrapezoid: number;
  hardLabel: boolean;
  note?: string;
}

export interface ModelComparisonReport {
  n: number;
  positives: number;
  negatives: number;
  prevalence: number;
  level: number;
  bootstrap: { resamples: number; seed: number; method: 'stratified percentile bootstrap' } | null;
  models: ModelSummary[];
  /** Paired DeLong tests of every pair; pValueHolm adjusts over all of them. */
  comparisons: (NamedPairedComparison & { pValueHolm: number })[];
}

export interface ModelComparisonOptions {
  /** Bootstrap resamples for the AUC and AP intervals; 0 skips the bootstrap. */
  bootstrapResamples?: number;
  seed?: number;
  level?: number;
  /** Called after each bootstrap resample: done and total over all models and both metrics. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Everything a reviewer asks of a set of models scored on the same test set: sample size and class
 * balance; per model AUC with DeLong and bootstrap CIs, AP with a bootstrap CI (and the trapezoid PR
 * area beside it, labelled); DeLong comparisons of every pair with raw and Holm-adjusted p-values.
 * Model names double as field names in errors (CSV column names, for instance).
 */
export function compareModels(labels: NumericArray, scoresByModel: Record<string, NumericArray>, options: ModelComparisonOptions = {}, labelsField = 'labels'): ModelComparisonReport {
  const level = options.level ?? 0.95;
  const resamples = options.bootstrapResamples ?? 2000;
  const seed = options.seed ?? 1;
  const checked = checkLabels(labels, labelsField);
  const names = Object.keys(scoresByModel);
  const scores = Object.fromEntries(names.map((name) => [name, checkScores(scoresByModel[name], checked.labels.length, name, labelsField)]));
  const total = 2 * resamples * names.length;
  let done = 0;
  const bootstrap = (metric: typeof aucMetric, s: Float64Array): Interval | null => {
    if (resamples === 0) return null;
    const ci = bootstrapCi(checked.labels, s, metric, {
      resamples,
      seed,
      level,
      onProgress: options.onProgress && ((d) => options.onProgress?.(done + d, total)),
    });
    done += resamples;
    return { lower: ci.lower, upper: ci.upper };
  };
  const models = names.map((name): ModelSummary => {
    const delong = delongAucCi(checked.labels, scores[name], { level }, { labels: labelsField, scores: name });
    const pr = prCurve(checked.labels, scores[name], { labels: labelsField, scores: name });
    return {
      name,
      auc: delong.auc,
      aucDelongCi: { lower: delong.lower, upper: delong.upper, standardError: delong.standardError },
      aucBootstrapCi: bootstrap(aucMetric, scores[name]),
      averagePrecision: pr.averagePrecision,
      averagePrecisionBootstrapCi: bootstrap(averagePrecisionMetric, scores[name]),
      prAucTrapezoid: pr.trapezoidAuc,
      hardLabel: delong.hardLabel,
      ...(delong.note ? { note: delong.note } : {}),
    };
  });
  const pairs = delongAllPairs(checked.labels, scores, { level }, labelsField);
  const holm = holmAdjust(pairs.map((p) => p.pValue));
  return {
    n: checked.labels.length,
    positives: checked.positives,
    negatives: checked.negatives,
    prevalence: checked.positives / checked.labels.length,
    level,
    bootstrap: resamples > 0 ? { resamples, seed, method: 'stratified percentile bootstrap' } : null,
    models,
    comparisons: pairs.map((p, i) => ({ ...p, pValueHolm: holm[i] })),
  };
}
