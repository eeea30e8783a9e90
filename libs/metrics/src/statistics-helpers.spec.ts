import { describe, expect, it } from 'vitest';
import { holmAdjust, normalCdf, normalQuantile, summarizeAcrossSeeds, summarizeMetricsAcrossSeeds, twoSidedPValue } from './index.ts';

// Reference values printed by R 4.2 with sprintf("%.17g", ...).
describe('normal distribution', () => {
  it("matches R's pnorm, including far tails", () => {
    const cases: [number, number][] = [
      [-1.959963984540054, 0.025000000000000012],
      [-8, 6.2209605742717849e-16],
      [-20, 2.7536241186062337e-89],
      [0.3, 0.61791142218895267],
      [-37, 5.7255712225245771e-300],
    ];
    for (const [x, p] of cases) expect(Math.abs(normalCdf(x) - p) / p).toBeLessThan(1e-14);
  });

  it("two-sided p is a probability, not a log: 2 * pnorm(-2.209) = 0.02717464090476223", () => {
    expect(twoSidedPValue(2.209)).toBeCloseTo(0.02717464090476223, 15);
    expect(twoSidedPValue(-2.209)).toBe(twoSidedPValue(2.209));
    expect(twoSidedPValue(0)).toBe(1);
    expect(twoSidedPValue(Infinity)).toBe(0);
  });

  it("matches R's qnorm", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.9599639845400536, 14);
    expect(Math.abs(normalQuantile(1e-10) / -6.3613409024040557 - 1)).toBeLessThan(1e-14);
    expect(normalQuantile(0.6)).toBeCloseTo(0.25334710313579978, 14);
  });
});

describe('Holm correction', () => {
  it('matches R p.adjust(c(0.01, 0.04, 0.03, 0.2, 0.005), "holm")', () => {
    // R: 0.04 0.09 0.09 0.20 0.025
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.2, 0.005]);
    [0.04, 0.09, 0.09, 0.2, 0.025].forEach((v, i) => expect(adjusted[i]).toBeCloseTo(v, 15));
  });

  it('caps at 1 and keeps an empty family empty', () => {
    expect(holmAdjust([0.6, 0.7])).toEqual([1, 1]);
    expect(holmAdjust([])).toEqual([]);
  });
});

describe('across seeds', () => {
  it('mean, sample SD and range match R (mean 0.715, sd 0.026457513110645932)', () => {
    const summary = summarizeAcrossSeeds([
      { seed: 1, value: 0.7 },
      { seed: 2, value: 0.72 },
      { seed: 3, value: 0.69 },
      { seed: 4, value: 0.75 },
    ]);
    expect(summary.mean).toBeCloseTo(0.715, 15);
    expect(summary.sd).toBeCloseTo(0.026457513110645932, 15);
    expect(summary.range).toBeCloseTo(0.06, 15);
    expect(summary.perSeed.map((v) => v.seed)).toEqual([1, 2, 3, 4]);
  });

  it('summarises every metric and names a seed that lacks one', () => {
    const out = summarizeMetricsAcrossSeeds([
      { seed: 1, metrics: { auc: 0.8, ap: 0.6 } },
      { seed: 2, metrics: { auc: 0.9, ap: 0.7 } },
    ]);
    expect(out.auc.mean).toBeCloseTo(0.85, 15);
    expect(out.ap.sd).toBeCloseTo(Math.SQRT1_2 * 0.1, 14);
    expect(summarizeAcrossSeeds([{ seed: 'only', value: 1 }]).sd).toBeNull();
    expect(() => summarizeMetricsAcrossSeeds([{ seed: 1, metrics: { auc: 0.8 } }, { seed: 2, metrics: {} }])).toThrow('seed 2 has no value for metric "auc"');
  });
});
