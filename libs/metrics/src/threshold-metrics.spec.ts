import { describe, expect, it } from 'vitest';
import { confusionAt, operatingPoints, thresholdForSensitivity, thresholdMetrics, youdenThreshold } from './index.ts';

// Worked by hand. At 0.5 the calls are 0.6 (a negative), 0.7 and 0.9 (positives): tp 2, fp 1,
// tn 2, fn 1, so every ratio is 2/3 and accuracy 4/6.
const y = [0, 0, 1, 1, 1, 0];
const s = [0.2, 0.6, 0.7, 0.4, 0.9, 0.1];

describe('threshold metrics', () => {
  it('counts and ratios at 0.5 (score >= threshold is positive)', () => {
    const m = thresholdMetrics(y, s, 0.5);
    expect({ tp: m.tp, fp: m.fp, tn: m.tn, fn: m.fn }).toEqual({ tp: 2, fp: 1, tn: 2, fn: 1 });
    for (const v of [m.sensitivity, m.specificity, m.ppv, m.npv, m.f1, m.balancedAccuracy]) expect(v).toBeCloseTo(2 / 3, 15);
    expect(m.accuracy).toBeCloseTo(4 / 6, 15);
    expect(confusionAt(y, s, 0.7)).toEqual({ tp: 2, fp: 0, tn: 3, fn: 1 });
  });

  it('undefined ratios are null, not NaN, and one class is allowed', () => {
    const m = thresholdMetrics([0, 0, 0], [0.1, 0.2, 0.3], 0.5);
    expect(m.sensitivity).toBeNull();
    expect(m.ppv).toBeNull();
    expect(m.specificity).toBe(1);
    expect(m.balancedAccuracy).toBeNull();
  });

  it("Youden's J: ROC points give J = 1/3, 2/3, 1/3, 2/3, 1/3, 0 by descending threshold; the tie goes to the higher threshold", () => {
    const chosen = youdenThreshold(y, s);
    expect(chosen.threshold).toBe(0.7);
    expect(chosen.sensitivity).toBeCloseTo(2 / 3, 15);
    expect(chosen.specificity).toBe(1);
    expect(chosen.youdenJ).toBeCloseTo(2 / 3, 15);
  });

  it('fixed sensitivity: the highest threshold reaching it', () => {
    const chosen = thresholdForSensitivity(y, s, 0.9);
    expect(chosen.threshold).toBe(0.4);
    expect(chosen.sensitivity).toBe(1);
    expect(chosen.specificity).toBeCloseTo(2 / 3, 15);
    expect(thresholdForSensitivity(y, s, 0.6).threshold).toBe(0.7);
  });

  it('operating points are chosen on validation and measured on test', () => {
    const points = operatingPoints({ labels: y, scores: s }, { labels: [1, 0, 1, 0], scores: [0.75, 0.65, 0.45, 0.3] }, { targetSensitivity: 0.9 });
    expect(points.youden.chosenOn).toBe('validation');
    expect(points.youden.validation.threshold).toBe(0.7);
    // On test, 0.7 calls only 0.75: sensitivity 1/2, specificity 1.
    expect(points.youden.test.sensitivity).toBe(0.5);
    expect(points.youden.test.specificity).toBe(1);
    // 0.4 calls 0.75, 0.65, 0.45: sensitivity 1, specificity 1/2.
    expect(points.fixedSensitivity.test.threshold).toBe(0.4);
    expect(points.fixedSensitivity.test.sensitivity).toBe(1);
    expect(points.fixedSensitivity.test.specificity).toBe(0.5);
    expect(points.fixed.threshold).toBe(0.5);
    expect(points.fixed.tp).toBe(1);
  });
});
