import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { delongAucCi, delongCovariance, delongPairedTest, delongSeedAveragedTest, delongUnpairedTest, MetricsInputError, rocAuc } from './index.ts';
import { asah, hard1000, ties1000 } from './testing.ts';

/**
 * DeLong's covariance the 1988 way: the O(m n) kernel psi over every (positive, negative) pair.
 * Independent of the midrank/placement code under test.
 */
function pairwiseDelong(labels: number[], a: number[], b: number[]): { aucA: number; aucB: number; varDiff: number } {
  const pos = labels.flatMap((y, i) => (y === 1 ? [i] : []));
  const neg = labels.flatMap((y, i) => (y === 0 ? [i] : []));
  const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
  const v10 = (s: number[]) => pos.map((i) => neg.reduce((acc, j) => acc + psi(s[i], s[j]), 0) / neg.length);
  const v01 = (s: number[]) => neg.map((j) => pos.reduce((acc, i) => acc + psi(s[i], s[j]), 0) / pos.length);
  const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
  const cov = (u: number[], v: number[]) => {
    const mu = mean(u);
    const mv = mean(v);
    return u.reduce((acc, x, k) => acc + (x - mu) * (v[k] - mv), 0) / (u.length - 1);
  };
  const [xa, xb, ya, yb] = [v10(a), v10(b), v01(a), v01(b)];
  const s = (p: number[], q: number[], r: number[], t: number[]) => cov(p, q) / pos.length + cov(r, t) / neg.length;
  return { aucA: mean(xa), aucB: mean(xb), varDiff: s(xa, xa, ya, ya) + s(xb, xb, yb, yb) - 2 * s(xa, xb, ya, yb) };
}

describe('DeLong test, published example', () => {
  it("reproduces pROC's manual: aSAH s100b vs wfns, Z = -2.209, p-value = 0.02718", () => {
    // pROC reference manual, roc.test examples (Robin et al. 2011, BMC Bioinformatics 12:77):
    // AUCs 0.7314 and 0.8237, "Z = -2.209, p-value = 0.02718".
    const d = asah();
    const test = delongPairedTest(d.labels, d.scores.s100b, d.scores.wfns);
    expect(test.aucA).toBeCloseTo(0.7314, 4);
    expect(test.aucB).toBeCloseTo(0.8237, 4);
    expect(test.z).toBeCloseTo(-2.209, 3);
    expect(test.pValue).toBeCloseTo(0.02718, 5);
    expect(test.correlation).toBeGreaterThan(0);
  });
});

describe('fast DeLong (Sun & Xu) equals the O(mn) pairwise computation', () => {
  it('on random tie-heavy data', () => {
    const sample = fc
      .integer({ min: 4, max: 40 })
      .chain((n) =>
        fc.record({
          labels: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
          a: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: n, maxLength: n }),
          b: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: n, maxLength: n }),
        }),
      )
      .filter((r) => r.labels.filter((y) => y === 1).length >= 2 && r.labels.filter((y) => y === 0).length >= 2);
    fc.assert(
      fc.property(sample, ({ labels, a, b }) => {
        const slow = pairwiseDelong(labels, a, b);
        const fast = delongPairedTest(labels, a, b);
        expect(fast.aucA).toBeCloseTo(slow.aucA, 12);
        expect(fast.aucB).toBeCloseTo(slow.aucB, 12);
        expect(fast.variance).toBeCloseTo(slow.varDiff, 12);
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  it('with k models at once, the covariance matrix is symmetric and its diagonal is each AUC variance', () => {
    const d = ties1000();
    const { aucs, covariance } = delongCovariance(d.labels, 300, [d.scores.a, d.scores.b, d.scores.c]);
    expect(aucs[2]).toBeCloseTo(rocAuc(d.labels, d.scores.c).auc, 14);
    expect(covariance[0][2]).toBe(covariance[2][0]);
    expect(covariance[1][1]).toBeCloseTo(delongAucCi(d.labels, d.scores.b).variance, 15);
  });
});

describe('DeLong edge cases', () => {
  it('a model compared with itself: difference 0, z 0, p 1', () => {
    const d = ties1000();
    const test = delongPairedTest(d.labels, d.scores.a, d.scores.a);
    expect(test.difference).toBe(0);
    expect(test.z).toBe(0);
    expect(test.pValue).toBe(1);
  });

  it('swapping the models flips the sign of z and keeps p', () => {
    const d = ties1000();
    const ab = delongPairedTest(d.labels, d.scores.a, d.scores.b);
    const ba = delongPairedTest(d.labels, d.scores.b, d.scores.a);
    expect(ba.z).toBeCloseTo(-ab.z, 12);
    expect(ba.pValue).toBeCloseTo(ab.pValue, 15);
  });

  it('the AUC CI is clipped to [0, 1]', () => {
    const ci = delongAucCi([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
    expect(ci.upper).toBe(1);
    expect(ci.lower).toBeGreaterThan(0);
  });

  it('flags hard-label models in comparisons', () => {
    const d = hard1000();
    const soft = Float64Array.from(d.scores.pred, (v, i) => v * 0.5 + (i % 7) / 20);
    const test = delongPairedTest(d.labels, d.scores.pred, soft);
    expect(test.hardLabelA).toBe(true);
    expect(test.hardLabelB).toBe(false);
    expect(test.note).toMatch(/^A: .*balanced accuracy/);
    expect(delongAucCi(d.labels, d.scores.pred).hardLabel).toBe(true);
  });

  it('needs two samples of each class for a variance', () => {
    expect(() => delongAucCi([0, 1, 0], [0.2, 0.5, 0.3])).toThrow(MetricsInputError);
  });

  it('unpaired comparison of a set with itself split in two halves is not significant when the models are the same', () => {
    const d = ties1000();
    const test = delongUnpairedTest({ labels: d.labels.subarray(0, 500), scores: d.scores.c.subarray(0, 500) }, { labels: d.labels.subarray(500), scores: d.scores.c.subarray(500) });
    expect(test.pValue).toBeGreaterThan(0.05);
    expect(test.lower).toBeLessThan(0);
    expect(test.upper).toBeGreaterThan(0);
  });
});

describe('DeLong test of seed-mean AUCs', () => {
  /** Seed-averaged kernel placements, the O(m n) way: independent of the midrank code. */
  function pairwiseSeedAveraged(labels: number[], seedsA: number[][], seedsB: number[][]): { aucA: number; aucB: number; varDiff: number } {
    const pos = labels.flatMap((y, i) => (y === 1 ? [i] : []));
    const neg = labels.flatMap((y, i) => (y === 0 ? [i] : []));
    const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
    const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
    const v10 = (seeds: number[][]) => pos.map((i) => mean(seeds.map((s) => neg.reduce((acc, j) => acc + psi(s[i], s[j]), 0) / neg.length)));
    const v01 = (seeds: number[][]) => neg.map((j) => mean(seeds.map((s) => pos.reduce((acc, i) => acc + psi(s[i], s[j]), 0) / pos.length)));
    const cov = (u: number[], v: number[]) => u.reduce((acc, x, k) => acc + (x - mean(u)) * (v[k] - mean(v)), 0) / (u.length - 1);
    const [xa, xb, ya, yb] = [v10(seedsA), v10(seedsB), v01(seedsA), v01(seedsB)];
    const s = (p: number[], q: number[], r: number[], t: number[]) => cov(p, q) / pos.length + cov(r, t) / neg.length;
    return { aucA: mean(xa), aucB: mean(xb), varDiff: s(xa, xa, ya, ya) + s(xb, xb, yb, yb) - 2 * s(xa, xb, ya, yb) };
  }

  it('equals the pairwise computation on three seeds with ties, and the mean of the per-seed AUCs', () => {
    const d = asah();
    const noisy = (scores: ArrayLike<number>, k: number) => Array.from(scores, (v, i) => Math.round((v + ((i * 37 + k * 11) % 7) * 0.05) * 10) / 10);
    const seedsA = [0, 1, 2].map((k) => noisy(d.scores.s100b, k));
    const seedsB = [0, 1, 2].map((k) => noisy(d.scores.wfns, k));
    const labels = Array.from(d.labels);
    const test = delongSeedAveragedTest(labels, seedsA, seedsB);
    const reference = pairwiseSeedAveraged(labels, seedsA, seedsB);
    expect(test.aucA).toBeCloseTo(reference.aucA, 12);
    expect(test.aucB).toBeCloseTo(reference.aucB, 12);
    expect(test.variance).toBeCloseTo(reference.varDiff, 12);
    const meanAuc = seedsA.map((s) => rocAuc(labels, s).auc).reduce((x, y) => x + y, 0) / 3;
    expect(test.aucA).toBeCloseTo(meanAuc, 12);
    expect(test.seedsA).toBe(3);
  });

  it('is the ordinary paired DeLong test with one seed each', () => {
    const d = asah();
    const pooled = delongSeedAveragedTest(d.labels, [d.scores.s100b], [d.scores.wfns]);
    const paired = delongPairedTest(d.labels, d.scores.s100b, d.scores.wfns);
    expect(pooled.z).toBeCloseTo(paired.z, 12);
    expect(pooled.pValue).toBeCloseTo(paired.pValue, 12);
  });

  it('names the seed whose scores are malformed', () => {
    const d = asah();
    expect(() => delongSeedAveragedTest(d.labels, [d.scores.s100b], [d.scores.wfns, [0.1, 0.2]])).toThrow(/scoresB\[1\]/);
  });
});
