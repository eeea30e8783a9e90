import { checkBinarySample, type FieldNames, type NumericArray } from './binary-sample.ts';
import { thresholdCounts } from './ranks.ts';

export interface PrCurve {
  /**
   * Points in descending threshold order, starting at (recall 0, precision 1) for threshold
   * +Infinity (the convention of scikit-learn's precision_recall_curve), one per distinct score.
   */
  precision: number[];
  recall: number[];
  thresholds: number[];
  /** Step-wise area: sum over thresholds of (recall gain) x precision. The PR-AUC to report. */
  averagePrecision: number;
  /**
   * Trapezoid area under the same points, shown only for comparison: linear interpolation in PR
   * space is optimistic (Davis & Goadrich 2006), so do not report it as PR-AUC.
   */
  trapezoidAuc: number;
}

/** Average precision (step-wise PR-AUC), scikit-learn's average_precision_score. */
export function averagePrecision(labels: NumericArray, scores: NumericArray, names?: FieldNames): number {
  return prCurve(labels, scores, names).averagePrecision;
}

export function prCurve(labels: NumericArray, scores: NumericArray, names?: FieldNames): PrCurve {
  const sample = checkBinarySample(labels, scores, names);
  const { thresholds, tp, fp } = thresholdCounts(sample.labels, sample.scores);
  const k = thresholds.length;
  const precision = new Array<number>(k + 1);
  const recall = new Array<number>(k + 1);
  const th = new Array<number>(k + 1);
  precision[0] = 1;
  recall[0] = 0;
  th[0] = Infinity;
  let ap = 0;
  let trapezoid = 0;
  for (let i = 0; i < k; i++) {
    precision[i + 1] = tp[i] / (tp[i] + fp[i]);
    recall[i + 1] = tp[i] / sample.positives;
    th[i + 1] = thresholds[i];
    const recallGain = recall[i + 1] - recall[i];
    ap += recallGain * precision[i + 1];
    trapezoid += (recallGain * (precision[i + 1] + precision[i])) / 2;
  }
  return { precision, recall, thresholds: th, averagePrecision: ap, trapezoidAuc: trapezoid };
}
