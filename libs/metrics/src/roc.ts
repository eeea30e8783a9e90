import { checkBinarySample, HARD_LABEL_NOTE, isHardLabel, type FieldNames, type NumericArray } from './binary-sample.ts';
import { thresholdCounts, twiceMannWhitneyU } from './ranks.ts';

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
 * which equals the trapezoid area under the ROC curve with ties handled exactly (midranks). It is
 * computed in integer counts, exact in double precision, and divided once.
 */
export function rocAuc(labels: NumericArray, scores: NumericArray, names?: FieldNames): AucResult {
  const sample = checkBinarySample(labels, scores, names);
  const { tp, fp } = thresholdCounts(sample.labels, sample.scores);
  const auc = twiceMannWhitneyU(tp, fp) / (2 * sample.positives * sample.negatives);
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

export function rocCurve(labels: NumericArray, scores: NumericArray, names?: FieldNames): RocCurve {
  const sample = checkBinarySample(labels, scores, names);
  const { thresholds, tp, fp } = thresholdCounts(sample.labels, sample.scores);
  const k = thresholds.length;
  const fpr = new Array<number>(k + 1);
  const tpr = new Array<number>(k + 1);
  const th = new Array<number>(k + 1);
  fpr[0] = 0;
  tpr[0] = 0;
  th[0] = Infinity;
  for (let i = 0; i < k; i++) {
    fpr[i + 1] = fp[i] / sample.negatives;
    tpr[i + 1] = tp[i] / sample.positives;
    th[i + 1] = thresholds[i];
  }
  const hardLabel = isHardLabel(sample.scores);
  return {
    fpr,
    tpr,
    thresholds: th,
    auc: twiceMannWhitneyU(tp, fp) / (2 * sample.positives * sample.negatives),
    hardLabel,
    ...(hardLabel ? { note: HARD_LABEL_NOTE } : {}),
  };
}
