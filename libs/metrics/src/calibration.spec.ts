import { describe, expect, it } from 'vitest';
import { brierScore, calibration, expectedCalibrationError, InvalidScoreError, reliabilityBins } from './index.ts';

// By hand, two bins [0, 0.5) and [0.5, 1]: bin 0 holds p = 0.1, 0.45 (both negatives): mean 0.275,
// observed 0; bin 1 holds 0.9, 0.6 (both positives): mean 0.75, observed 1.
// ECE = 0.5 x 0.275 + 0.5 x 0.25 = 0.2625. Brier = (0.01 + 0.01 + 0.16 + 0.2025) / 4 = 0.095625.
const y = [0, 1, 1, 0];
const p = [0.1, 0.9, 0.6, 0.45];

describe('calibration', () => {
  it('Brier score, ECE and reliability bins by hand', () => {
    expect(brierScore(y, p)).toBeCloseTo(0.095625, 15);
    expect(expectedCalibrationError(y, p, 2)).toBeCloseTo(0.2625, 15);
    const bins = reliabilityBins(y, p, 2);
    expect(bins).toEqual([
      { lower: 0, upper: 0.5, count: 2, meanPredicted: 0.275, observedRate: 0 },
      { lower: 0.5, upper: 1, count: 2, meanPredicted: 0.75, observedRate: 1 },
    ]);
  });

  it('Brier matches scikit-learn brier_score_loss on the anchor example (0.158125)', () => {
    // tools/reference/sklearn_metrics_reference.py, dataset small4, column s.
    expect(brierScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.158125, 15);
  });

  it('p = 1 falls in the last bin, empty bins report null', () => {
    const bins = reliabilityBins([1, 0], [1, 0], 10);
    expect(bins[9].count).toBe(1);
    expect(bins[0].count).toBe(1);
    expect(bins[5].meanPredicted).toBeNull();
    const summary = calibration([1, 0], [1, 0], 10);
    expect(summary.ece).toBe(0);
    expect(summary.brier).toBe(0);
  });

  it('probabilities outside [0, 1] are rejected with their index', () => {
    expect(() => brierScore([0, 1], [0.2, 1.3])).toThrow(InvalidScoreError);
    expect(() => brierScore([0, 1], [0.2, 1.3])).toThrow('probabilities[1]: probability must lie in [0, 1], got 1.3');
  });
});
