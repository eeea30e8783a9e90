import { checkBinarySample, HARD_LABEL_NOTE, isHardLabel, splitByClass, type FieldNames, type NumericArray } from './binary-sample.ts';
import { placements, sortedAscending, thresholdCounts } from './ranks.ts';

export interface AucResult {
  auc: number;
  n: number;
  positives: number;
  negatives: number;
  /** True when every score is 0 or 1: the value is balanced accuracy, not a ranking AUC. */
  hardLabel: boolean;
  note?: string;
}

export interface RocCurve {
  /** Points from (0, 0) at threshold +Infinity to (1, 1), one per distinct score, descending. */
  fpr: number[];
  tpr: number[];
  thresholds: number[];
  auc: number;
  hardLabel: boolean;
  note?: string;
}

/**
 * ROC-AUC as the Mann-Whitney probability P(score of a positive > score of a negative) + 1/2 P(tie),
 * which equals the trapezoid area under the ROC curve with ties handled exactly (midranks). The sum
 * of placements is a sum of half-integers, exact in double precision up to 2^52 pairs' worth.
 */
export function rocAuc(labels: NumericArray, scores: NumericArray, names?: FieldNames): AucResult {
  const sample = checkBinarySample(labels, scores, names);
  const { positive, negative } = splitByClass(sample.labels, sample.scores, sample.positives);
  const auc = aucFromClasses(positive, negative);
  const hardLabel = isHardLabel(sample.scores);
  return {
    auc,
    n: sample.labels.length,
    positives: sample.positives,
    negatives: sample.negatives,
    hardLabel,
    ...(hardLabel ? { note: HARD_LABEL_NOTE } : {}),
  };
}

/** AUC from the scores of positives and of negatives (both non-empty, no NaN). */
export function aucFromClasses(positive: Float64Array, negative: Float64Array): number {
  return placements(positive, sortedAscending(negative)).twiceCountSum / (2 * positive.length * negative.length);
}

export function rocCurve(labels: NumericArray, scores: NumericArray, names?: FieldNames): RocCurve {
  const sample = checkBinarySample(labels, scores, names);
  const { positive, negative } = splitByClass(sample.labels, sample.scores, sample.positives);
  const { thresholds, tp, fp } = thresholdCounts(positive.sort(), negative.sort());
  const k = thresholds.length;
  const fpr = new Array<number>(k + 1);
  const tpr = new Array<number>(k + 1);
  const th = new Array<number>(k + 1);
  fpr[0] = 0;
  tpr[0] = 0;
  th[0] = Infinity;
  let twiceArea = 0;
  for (let i = 0; i < k; i++) {
    fpr[i + 1] = fp[i] / sample.negatives;
    tpr[i + 1] = tp[i] / sample.positives;
    th[i + 1] = thresholds[i];
    // Trapezoid in counts (integers and halves), divided once at the end to keep it exact.
    const prevTp = i === 0 ? 0 : tp[i - 1];
    const prevFp = i === 0 ? 0 : fp[i - 1];
    twiceArea += (fp[i] - prevFp) * (tp[i] + prevTp);
  }
  const hardLabel = isHardLabel(sample.scores);
  return {
    fpr,
    tpr,
    thresholds: th,
    auc: twiceArea / (2 * sample.positives * sample.negatives),
    hardLabel,
    ...(hardLabel ? { note: HARD_LABEL_NOTE } : {}),
  };
}
