/**
 * Latest-metric keys an evaluation run records for the study summary. Bootstrap CIs take seconds
 * over a test set, so they are computed once when the run finishes (`recordEvaluationMetrics`) and
 * the summary (report and API alike) only reads them back.
 */
export const SUMMARY_METRIC_KEYS = {
  n: 'eval.n',
  positives: 'eval.positives',
  rocAuc: 'eval.roc_auc',
  rocAucCiLow: 'eval.roc_auc_ci_low',
  rocAucCiHigh: 'eval.roc_auc_ci_high',
  prAuc: 'eval.pr_auc',
  prAucCiLow: 'eval.pr_auc_ci_low',
  prAucCiHigh: 'eval.pr_auc_ci_high',
} as const;

export type SummaryMetricName = keyof typeof SUMMARY_METRIC_KEYS;
