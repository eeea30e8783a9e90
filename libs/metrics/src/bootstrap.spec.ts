import { describe, expect, it } from 'vitest';
import { aucMetric, averagePrecisionMetric, bootstrapCi, delongAucCi, delongPairedTest, MetricsOptionError, pairedBootstrap, quantileType7, thresholdMetric } from './index.ts';
import { binormalSample, ties1000 } from './testing.ts';
import { createRandom, randomInt } from '@leadwise/ecg';

describe('stratified bootstrap CI', () => {
  it('is reproducible for a seed and changes with it', () => {
    const d = ties1000();
    const first = bootstrapCi(d.labels, d.scores.a, aucMetric, { resamples: 200, seed: 7 });
    const again = bootstrapCi(d.labels, d.scores.a, aucMetric, { resamples: 200, seed: 7 });
    const other = bootstrapCi(d.labels, d.scores.a, aucMetric, { resamples: 200, seed: 8 });
    expect(again).toEqual(first);
    expect(other.lower).not.toBe(first.lower);
    expect(first.estimate).toBeCloseTo(0.7850238095238095, 15);
    expect(first.lower).toBeLessThan(first.estimate);
    expect(first.upper).toBeGreaterThan(first.estimate);
  });

  it('defaults to 2,000 resamples at 95% and agrees with the DeLong standard error', () => {
    // For n = 1000 both estimate the same sampling SD; they should match within ~10%.
    const d = ties1000();
    const boot = bootstrapCi(d.labels, d.scores.a, aucMetric);
    expect(boot.resamples).toBe(2000);
    expect(boot.level).toBe(0.95);
    expect(boot.standardError / delongAucCi(d.labels, d.scores.a).standardError).toBeGreaterThan(0.9);
    expect(boot.standardError / delongAucCi(d.labels, d.scores.a).standardError).toBeLessThan(1.1);
  });

  it('works for any metric, skipping resamples where it is undefined', () => {
    const d = ties1000();
    const ap = bootstrapCi(d.labels, d.scores.b, averagePrecisionMetric, { resamples: 100 });
    expect(ap.estimate).toBeCloseTo(0.4820150142867391, 12);
    // One negative scores 0.9, everything else 0.1: at threshold 0.5 PPV is 0 when a resample
    // draws that negative and 0/0 when it does not (probability (19/20)^20 = 0.36).
    const labels = Array.from({ length: 40 }, (_, i) => (i < 20 ? 1 : 0));
    const scores = labels.map((_, i) => (i === 39 ? 0.9 : 0.1));
    const ppv = bootstrapCi(labels, scores, thresholdMetric('ppv', 0.5), { resamples: 400 });
    expect(ppv.skipped / 400).toBeGreaterThan(0.28);
    expect(ppv.skipped / 400).toBeLessThan(0.44);
    expect(ppv.upper).toBe(0);
    // A metric that is never defined is an error, not an interval of nothing.
    expect(() => bootstrapCi(labels, scores, thresholdMetric('ppv', 2), { resamples: 50 })).toThrow(MetricsOptionError);
  });

  it('covers the true AUC about 95% of the time on simulated data with a known AUC (property)', () => {
    // Binormal scores: AUC = Phi(d / sqrt 2) exactly. 200 fixed-seed datasets of 60 + 90 samples,
    // 200 resamples each (kept small for CI time). Binomial SD of the coverage is ~1.5 points, so
    // [0.90, 0.99] allows for the percentile method's slight under-coverage at this size.
    const trueAuc = 0.8;
    let bootstrapHits = 0;
    let delongHits = 0;
    const datasets = 200;
    for (let k = 0; k < datasets; k++) {
      const { labels, scores } = binormalSample(60, 90, trueAuc, 1000 + k);
      const boot = bootstrapCi(labels, scores, aucMetric, { resamples: 200, seed: k });
      if (boot.lower <= trueAuc && trueAuc <= boot.upper) bootstrapHits++;
      const delong = delongAucCi(labels, scores);
      if (delong.lower <= trueAuc && trueAuc <= delong.upper) delongHits++;
    }
    expect(bootstrapHits / datasets).toBeGreaterThan(0.9);
    expect(bootstrapHits / datasets).toBeLessThan(0.99);
    expect(delongHits / datasets).toBeGreaterThan(0.9);
    expect(delongHits / datasets).toBeLessThan(0.99);
  });

  it('rejects nonsense options', () => {
    expect(() => bootstrapCi([0, 1], [0, 1], aucMetric, { resamples: 1 })).toThrow(MetricsOptionError);
    expect(() => bootstrapCi([0, 1], [0, 1], aucMetric, { level: 1.5 })).toThrow(MetricsOptionError);
  });
});

describe('paired bootstrap', () => {
  it('agrees with the DeLong paired test on a large sample', () => {
    const d = ties1000();
    const boot = pairedBootstrap(d.labels, d.scores.a, d.scores.b, aucMetric, { seed: 3 });
    const delong = delongPairedTest(d.labels, d.scores.a, d.scores.b);
    expect(boot.difference).toBeCloseTo(delong.difference, 14);
    expect(boot.standardError / delong.standardError).toBeGreaterThan(0.9);
    expect(boot.standardError / delong.standardError).toBeLessThan(1.1);
    expect(boot.lower).toBeGreaterThan(0);
    expect(boot.pValue).toBeLessThan(1e-5);
  });
});

describe('helpers', () => {
  it("quantileType7 matches R's quantile(c(1, 2, 4, 8), c(0.025, 0.5, 0.975))", () => {
    // R: 1.075, 3.000, 7.700 (type 7 interpolation: h = (n - 1) q).
    const v = Float64Array.of(1, 2, 4, 8);
    expect(quantileType7(v, 0.025)).toBeCloseTo(1.075, 14);
    expect(quantileType7(v, 0.5)).toBe(3);
    expect(quantileType7(v, 0.975)).toBeCloseTo(7.7, 14);
  });

  it('the PRNG is uniform enough: mean of 1e5 draws near 1/2 and all ints in range', () => {
    const rng = createRandom(0);
    let sum = 0;
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      sum += rng();
      counts[randomInt(rng, 10)]++;
    }
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });
});
