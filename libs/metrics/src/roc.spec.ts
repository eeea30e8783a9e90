import { describe, expect, it } from 'vitest';
import { averagePrecision, HARD_LABEL_NOTE, midranks, prCurve, rocAuc, rocCurve, thresholdMetrics } from './index.ts';
import { allTied, hard1000 } from './testing.ts';

describe('ROC-AUC and average precision on the anchor example', () => {
  // y = [0,0,1,1], s = [0.1,0.4,0.35,0.8]: the example of scikit-learn's roc_auc_score and
  // average_precision_score docs (AUC 0.75, AP 0.8333...); by hand: of the 4 (positive, negative)
  // pairs only (0.35, 0.4) is misordered -> 3/4. AP = 0.5 x 1 + 0.5 x 2/3 = 5/6. Trapezoid over
  // (0,1), (.5,1), (.5,.5), (1,2/3) = 0.5 + 0 + 0.5 x (0.5 + 2/3) / 2 = 19/24 = 0.7917.
  const y = [0, 0, 1, 1];
  const s = [0.1, 0.4, 0.35, 0.8];

  it('gives AUC 0.75, AP 5/6 and trapezoid 19/24', () => {
    expect(rocAuc(y, s).auc).toBe(0.75);
    expect(averagePrecision(y, s)).toBeCloseTo(5 / 6, 15);
    expect(prCurve(y, s).trapezoidAuc).toBeCloseTo(19 / 24, 15);
  });

  it('the ROC curve has one point per distinct score and its area is the AUC', () => {
    const curve = rocCurve(y, s);
    expect(curve.thresholds).toEqual([Infinity, 0.8, 0.4, 0.35, 0.1]);
    expect(curve.fpr).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(curve.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(curve.auc).toBe(0.75);
  });

  it('the PR curve starts at recall 0, precision 1 and steps through each threshold', () => {
    const curve = prCurve(y, s);
    expect(curve.recall).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(curve.precision).toEqual([1, 1, 0.5, 2 / 3, 0.5]);
  });

  it('does not depend on the order of samples or on a monotone transform of scores', () => {
    const order = [3, 1, 0, 2];
    expect(rocAuc(order.map((i) => y[i]), order.map((i) => s[i])).auc).toBe(0.75);
    expect(rocAuc(y, s.map((v) => Math.log(v) * 7 - 3)).auc).toBe(0.75);
  });
});

describe('ties', () => {
  it('all-tied scores give AUC 0.5 and AP equal to the prevalence', () => {
    // Every pair is a tie, counted 1/2; one threshold calls all positive: precision = 10/30.
    const { labels, scores } = allTied();
    expect(rocAuc(labels, scores.s).auc).toBe(0.5);
    expect(averagePrecision(labels, scores.s)).toBeCloseTo(1 / 3, 15);
    expect(rocCurve(labels, scores.s).fpr).toEqual([0, 1]);
  });

  it('a tie-heavy case matches the pair count by hand', () => {
    // Positives {1, 2, 2}, negatives {0, 1, 2}: pairs won = (1>0) + (2>0, 2>1) x 2 = 5, tied =
    // (1=1) + (2=2) x 2 = 3 -> (5 + 3/2) / 9 = 13/18.
    const labels = [1, 1, 1, 0, 0, 0];
    const scores = [1, 2, 2, 0, 1, 2];
    expect(rocAuc(labels, scores).auc).toBeCloseTo(13 / 18, 15);
    expect(rocCurve(labels, scores).auc).toBeCloseTo(13 / 18, 15);
    // AP: threshold 2 -> tp 2, fp 1 (P = 2/3, R = 2/3); threshold 1 -> tp 3, fp 2 (P = 3/5, R = 1).
    expect(averagePrecision(labels, scores)).toBeCloseTo((2 / 3) * (2 / 3) + (1 / 3) * (3 / 5), 15);
  });

  it("Hanley & McNeil's (1982) CT rating data gives their published area 0.893", () => {
    // Radiology 143:29-36, Table 1: five-point ratings of 58 normal and 51 abnormal CT images;
    // the paper reports area 0.893 (Wilcoxon, ties counted 1/2).
    const normal = [33, 6, 6, 11, 2];
    const abnormal = [3, 2, 2, 11, 33];
    const labels: number[] = [];
    const scores: number[] = [];
    for (const [label, counts] of [
      [0, normal],
      [1, abnormal],
    ] as const) {
      counts.forEach((count, r) => {
        for (let k = 0; k < count; k++) {
          labels.push(label);
          scores.push(r + 1);
        }
      });
    }
    expect(rocAuc(labels, scores).auc).toBeCloseTo(0.893, 3);
  });

  it('midranks share the mean rank among ties', () => {
    // Sorted: 1 (rank 1), 2, 2 (ranks 2, 3 -> 2.5), 5 (rank 4).
    expect(Array.from(midranks([2, 5, 1, 2]))).toEqual([2.5, 4, 1, 2.5]);
  });
});

describe('hard-label "AUC"', () => {
  it('is flagged, and equals balanced accuracy at 0.5', () => {
    const { labels, scores } = hard1000();
    const result = rocAuc(labels, scores.pred);
    expect(result.hardLabel).toBe(true);
    expect(result.note).toBe(HARD_LABEL_NOTE);
    expect(result.auc).toBeCloseTo(thresholdMetrics(labels, scores.pred, 0.5).balancedAccuracy!, 15);
    expect(rocCurve(labels, scores.pred).hardLabel).toBe(true);
  });

  it('is not flagged for probability scores', () => {
    const result = rocAuc([0, 1, 0, 1], [0.2, 0.9, 0, 1]);
    expect(result.hardLabel).toBe(false);
    expect(result.note).toBeUndefined();
  });
});
