import { checkBinarySample, checkLabels, checkScores, type FieldNames, type NumericArray } from './binary-sample.ts';
import { MetricsOptionError } from './errors.ts';
import { thresholdCounts } from './ranks.ts';

/** A sample is called positive when its score is at or above the threshold. */
export interface ConfusionCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Ratios whose denominator is zero (e.g. PPV with no positive calls) are null, not NaN. */
export interface ThresholdMetrics extends ConfusionCounts {
  threshold: number;
  sensitivity: number | null;
  specificity: number | null;
  ppv: number | null;
  npv: number | null;
  f1: number | null;
  balancedAccuracy: number | null;
  accuracy: number;
}

export function confusionAt(labels: NumericArray, scores: NumericArray, threshold: number, names: FieldNames = {}): ConfusionCounts {
  const checked = checkLabels(labels, names.labels ?? 'labels', true);
  const s = checkScores(scores, checked.labels.length, names.scores ?? 'scores', names.labels ?? 'labels');
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] >= threshold) {
      if (checked.labels[i] === 1) tp++;
      else fp++;
    }
  }
  return { tp, fp, tn: checked.negatives - fp, fn: checked.positives - tp };
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

export function metricsFromConfusion(counts: ConfusionCounts, threshold: number): ThresholdMetrics {
  const { tp, fp, tn, fn } = counts;
  const sensitivity = ratio(tp, tp + fn);
  const specificity = ratio(tn, tn + fp);
  return {
    threshold,
    ...counts,
    sensitivity,
    specificity,
    ppv: ratio(tp, tp + fp),
    npv: ratio(tn, tn + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    balancedAccuracy: sensitivity === null || specificity === null ? null : (sensitivity + specificity) / 2,
    accuracy: (tp + tn) / (tp + fp + tn + fn),
  };
}

export function thresholdMetrics(labels: NumericArray, scores: NumericArray, threshold: number, names?: FieldNames): ThresholdMetrics {
  return metricsFromConfusion(confusionAt(labels, scores, threshold, names), threshold);
}

export interface ChosenThreshold {
  threshold: number;
  sensitivity: number;
  specificity: number;
  youdenJ: number;
}

interface RocPoint {
  tp: number;
  fp: number;
  positives: number;
  negatives: number;
}

/**
 * Walks the ROC points by descending threshold; returns the first with the highest `score`.
 * Scores are computed from integer counts so that ties are exact ties, not rounding accidents.
 */
function scanOperatingPoints(labels: NumericArray, scores: NumericArray, names: FieldNames | undefined, score: (point: RocPoint) => number): ChosenThreshold {
  const sample = checkBinarySample(labels, scores, names);
  const { thresholds, tp, fp } = thresholdCounts(sample.labels, sample.scores);
  let bestIndex = 0;
  let bestScore = -Infinity;
  for (let i = 0; i < thresholds.length; i++) {
    const value = score({ tp: tp[i], fp: fp[i], positives: sample.positives, negatives: sample.negatives });
    // Strictly greater: among equal scores the highest threshold (fewest positive calls) wins.
    if (value > bestScore) {
      bestScore = value;
      bestIndex = i;
    }
  }
  const sensitivity = tp[bestIndex] / sample.positives;
  const specificity = (sample.negatives - fp[bestIndex]) / sample.negatives;
  const youdenJ = (tp[bestIndex] * sample.negatives - fp[bestIndex] * sample.positives) / (sample.positives * sample.negatives);
  return { threshold: thresholds[bestIndex], sensitivity, specificity, youdenJ };
}

/** The score threshold maximising Youden's J = sensitivity + specificity - 1 (ties: highest threshold). */
export function youdenThreshold(labels: NumericArray, scores: NumericArray, names?: FieldNames): ChosenThreshold {
  // J x positives x negatives, an integer.
  return scanOperatingPoints(labels, scores, names, (p) => p.tp * p.negatives - p.fp * p.positives);
}

/** The highest threshold whose sensitivity reaches the target, i.e. the best specificity at that sensitivity. */
export function thresholdForSensitivity(labels: NumericArray, scores: NumericArray, targetSensitivity: number, names?: FieldNames): ChosenThreshold {
  if (!(targetSensitivity > 0 && targetSensitivity <= 1)) throw new MetricsOptionError(`must lie in (0, 1], got ${targetSensitivity}`, 'targetSensitivity');
  // Sensitivity only grows as the threshold falls, so the first point reaching the target is the one.
  return scanOperatingPoints(labels, scores, names, (p) => (p.tp >= targetSensitivity * p.positives ? -p.fp : -Infinity));
}

export interface LabelledScores {
  labels: NumericArray;
  scores: NumericArray;
  names?: FieldNames;
}

export interface OperatingPoints {
  /** The conventional cut for probabilities. */
  fixed: ThresholdMetrics;
  /** Threshold chosen by Youden's J on the validation set, metrics measured on the test set. */
  youden: { chosenOn: 'validation'; validation: ChosenThreshold; test: ThresholdMetrics };
  /** Threshold reaching the target sensitivity on validation, metrics measured on the test set. */
  fixedSensitivity: { chosenOn: 'validation'; targetSensitivity: number; validation: ChosenThreshold; test: ThresholdMetrics };
}

/**
 * Test-set metrics at 0.5 (or `fixedThreshold`), at Youden's J and at a fixed sensitivity. Data-driven
 * thresholds are chosen on validation data only: choosing them on the test set inflates every metric.
 */
export function operatingPoints(
  validation: LabelledScores,
  test: LabelledScores,
  options: { targetSensitivity?: number; fixedThreshold?: number } = {},
): OperatingPoints {
  const targetSensitivity = options.targetSensitivity ?? 0.9;
  const youden = youdenThreshold(validation.labels, validation.scores, validation.names);
  const atSensitivity = thresholdForSensitivity(validation.labels, validation.scores, targetSensitivity, validation.names);
  return {
    fixed: thresholdMetrics(test.labels, test.scores, options.fixedThreshold ?? 0.5, test.names),
    youden: { chosenOn: 'validation', validation: youden, test: thresholdMetrics(test.labels, test.scores, youden.threshold, test.names) },
    fixedSensitivity: {
      chosenOn: 'validation',
      targetSensitivity,
      validation: atSensitivity,
      test: thresholdMetrics(test.labels, test.scores, atSensitivity.threshold, test.names),
    },
  };
}
