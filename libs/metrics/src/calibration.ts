import { checkLabels, checkProbabilities, type FieldNames, type NumericArray } from './binary-sample.ts';
import { MetricsOptionError } from './errors.ts';

export interface ReliabilityBin {
  /** Bin edges; a bin holds lower <= p < upper, the last one also p = 1. */
  lower: number;
  upper: number;
  count: number;
  /** Mean predicted probability in the bin (null when empty). */
  meanPredicted: number | null;
  /** Fraction of positives in the bin (null when empty). */
  observedRate: number | null;
}

export interface CalibrationSummary {
  n: number;
  brier: number;
  /** Expected calibration error of the positive-class probability, equal-width bins. */
  ece: number;
  bins: ReliabilityBin[];
}

function check(labels: NumericArray, probabilities: NumericArray, names: FieldNames) {
  const labelsField = names.labels ?? 'labels';
  // Calibration is defined for one class too (a screening set may be all negative).
  const checked = checkLabels(labels, labelsField, true);
  return { labels: checked.labels, p: checkProbabilities(probabilities, checked.labels.length, names.scores ?? 'probabilities', labelsField) };
}

/** Mean squared difference between predicted probability and outcome. */
export function brierScore(labels: NumericArray, probabilities: NumericArray, names: FieldNames = {}): number {
  const { labels: y, p } = check(labels, probabilities, names);
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += (p[i] - y[i]) ** 2;
  return sum / y.length;
}

export function reliabilityBins(labels: NumericArray, probabilities: NumericArray, binCount = 10, names: FieldNames = {}): ReliabilityBin[] {
  if (!Number.isInteger(binCount) || binCount < 1) throw new MetricsOptionError(`must be a positive integer, got ${binCount}`, 'bins');
  const { labels: y, p } = check(labels, probabilities, names);
  const count = new Float64Array(binCount);
  const sumP = new Float64Array(binCount);
  const sumY = new Float64Array(binCount);
  for (let i = 0; i < y.length; i++) {
    const b = Math.min(binCount - 1, Math.floor(p[i] * binCount));
    count[b]++;
    sumP[b] += p[i];
    sumY[b] += y[i];
  }
  return Array.from({ length: binCount }, (_, b) => ({
    lower: b / binCount,
    upper: (b + 1) / binCount,
    count: count[b],
    meanPredicted: count[b] > 0 ? sumP[b] / count[b] : null,
    observedRate: count[b] > 0 ? sumY[b] / count[b] : null,
  }));
}

/** ECE = sum over bins of (bin share of samples) x |observed rate - mean predicted probability|. */
export function expectedCalibrationError(labels: NumericArray, probabilities: NumericArray, binCount = 10, names: FieldNames = {}): number {
  return eceFromBins(reliabilityBins(labels, probabilities, binCount, names));
}

function eceFromBins(bins: ReliabilityBin[]): number {
  const n = bins.reduce((s, b) => s + b.count, 0);
  let ece = 0;
  for (const b of bins) {
    if (b.observedRate !== null && b.meanPredicted !== null) ece += (b.count / n) * Math.abs(b.observedRate - b.meanPredicted);
  }
  return ece;
}

export function calibration(labels: NumericArray, probabilities: NumericArray, binCount = 10, names: FieldNames = {}): CalibrationSummary {
  const bins = reliabilityBins(labels, probabilities, binCount, names);
  return { n: labels.length, brier: brierScore(labels, probabilities, names), ece: eceFromBins(bins), bins };
}
