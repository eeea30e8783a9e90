import type { BinaryMetric } from './bootstrap.ts';
import { brierScore } from './calibration.ts';
import { averagePrecision } from './precision-recall.ts';
import { rocAuc } from './roc.ts';
import { thresholdMetrics, type ThresholdMetrics } from './threshold-metrics.ts';

/** Ready-made metric functions for bootstrapCi / pairedBootstrap. */
export const aucMetric: BinaryMetric = (labels, scores) => rocAuc(labels, scores).auc;
export const averagePrecisionMetric: BinaryMetric = (labels, scores) => averagePrecision(labels, scores);
export const brierMetric: BinaryMetric = (labels, scores) => brierScore(labels, scores);

type RatioName = 'sensitivity' | 'specificity' | 'ppv' | 'npv' | 'f1' | 'balancedAccuracy' | 'accuracy';

/** A threshold metric as a BinaryMetric; an undefined ratio (0/0) becomes NaN, which the bootstrap skips. */
export function thresholdMetric(name: RatioName, threshold: number): BinaryMetric {
  return (labels, scores) => {
    const value = thresholdMetrics(labels, scores, threshold)[name as keyof ThresholdMetrics];
    return typeof value === 'number' ? value : NaN;
  };
}
