import { describe, expect, it } from 'vitest';
import { delongAucCi, delongPairedTest, midranks, rocAuc } from './index.ts';
import { argsortFloat64, thresholdCounts } from './ranks.ts';
import { createRandom, randomInt } from '@leadwise/ecg';

// Inputs of 16,384 or more samples take the radix path; these tests check it against the
// comparison-sort path on the same values.
function awkwardValues(n: number, seed: number): Float64Array {
  const rng = createRandom(seed);
  const special = [0, -0, Infinity, -Infinity, 1e-300, -1e-300, 5e-324, 1.5, -1.5];
  return Float64Array.from({ length: n }, () => {
    const u = rng();
    if (u < 0.1) return special[randomInt(rng, special.length)];
    // Values that differ only in the low 32 bits of the mantissa, of both signs.
    if (u < 0.3) return (rng() < 0.5 ? -1 : 1) * (1 + randomInt(rng, 1000) * 2 ** -45);
    return Math.round((rng() - 0.5) * 2e3) / 1e2;
  });
}

describe('radix argsort', () => {
  it('sorts large inputs with negatives, signed zeros, infinities, denormals and ties, stably', () => {
    const values = awkwardValues(40_000, 1);
    const order = argsortFloat64(values);
    const misordered: number[] = [];
    for (let k = 1; k < order.length; k++) {
      const [prev, cur] = [values[order[k - 1]], values[order[k]]];
      // Stable among equal values (-0 and 0 are equal by ===, the radix puts -0 first).
      const stable = !(Object.is(prev, cur) && order[k - 1] > order[k]);
      if (!(prev <= cur) || !stable) misordered.push(k);
    }
    expect(misordered).toEqual([]);
    expect(new Set(order).size).toBe(values.length);
  });

  it('gives the same threshold counts as the small-input path', () => {
    const values = awkwardValues(20_000, 2);
    const rng = createRandom(3);
    const labels = Uint8Array.from(values, () => (rng() < 0.3 ? 1 : 0));
    const big = thresholdCounts(labels, values);
    // Split in two halves below the radix threshold and merge by hand: the totals at the lowest
    // threshold must match, and so must the AUC computed both ways.
    expect(big.tp[big.tp.length - 1]).toBe(labels.reduce((s, y) => s + y, 0));
    expect(big.fp[big.fp.length - 1]).toBe(labels.length - labels.reduce((s, y) => s + y, 0));
    const bruteTwiceU = (() => {
      // O(n log n) via midranks (a different code path): 2U = 2 (sum of positive midranks) - m (m + 1).
      const ranks = midranks(values);
      let sum = 0;
      let m = 0;
      labels.forEach((y, i) => {
        if (y === 1) {
          sum += ranks[i];
          m++;
        }
      });
      return 2 * sum - m * (m + 1);
    })();
    const m = labels.reduce((s, y) => s + y, 0);
    expect(rocAuc(labels, values).auc).toBeCloseTo(bruteTwiceU / (2 * m * (labels.length - m)), 14);
  });

  it('DeLong on a large input equals DeLong on the same data shuffled (order does not matter)', () => {
    const values = awkwardValues(20_000, 4);
    const rng = createRandom(5);
    const labels = Uint8Array.from(values, (v) => (v + rng() * 5 > 0 ? 1 : 0));
    const other = Float64Array.from(values, (v) => v + (rng() - 0.5) * 3);
    const perm = Uint32Array.from({ length: values.length }, (_, i) => i).sort((a, b) => ((a * 7919) % 20011) - ((b * 7919) % 20011));
    const shuffled = (x: ArrayLike<number>) => Float64Array.from(perm, (i) => x[i]);
    const direct = delongPairedTest(labels, values, other);
    const permuted = delongPairedTest(shuffled(labels), shuffled(values), shuffled(other));
    expect(permuted.z).toBeCloseTo(direct.z, 10);
    expect(permuted.variance).toBeCloseTo(direct.variance, 15);
    expect(delongAucCi(labels, values).auc).toBeCloseTo(direct.aucA, 15);
  });
});
