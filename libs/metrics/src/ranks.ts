import type { NumericArray } from './binary-sample.ts';

/** Ascending copy; typed-array sort is numeric and native, far faster than sorting indices. */
export function sortedAscending(values: NumericArray): Float64Array {
  return Float64Array.from(values).sort();
}

/** Number of elements of an ascending array strictly below x. */
export function countBelow(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of elements of an ascending array at or below x. */
export function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * 1-based midranks: tied values share the mean of the ranks they occupy, the convention of the
 * Mann-Whitney statistic and of Sun & Xu's DeLong algorithm. O(n log n).
 */
export function midranks(values: NumericArray): Float64Array {
  const sorted = sortedAscending(values);
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const below = countBelow(sorted, values[i]);
    const atMost = countAtMost(sorted, values[i]);
    ranks[i] = (below + 1 + atMost) / 2;
  }
  return ranks;
}

/**
 * Placement of each value among a reference sample: the fraction of the reference strictly below
 * it plus half the fraction tied with it. For a positive's score against the negatives this is
 * Sun & Xu's V10 = (Tz - Tx) / n (its midrank in the pooled sample minus its midrank among the
 * positives, over n), computed without sorting the pooled sample.
 */
export function placements(values: Float64Array, sortedReference: Float64Array): { placement: Float64Array; twiceCountSum: number } {
  const placement = new Float64Array(values.length);
  const n = sortedReference.length;
  // Sum of 2 x (count below + half the ties): an integer, exact, for an AUC rounded only once.
  let twiceCountSum = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    const below = countBelow(sortedReference, x);
    const atMost = below < n && sortedReference[below] === x ? countAtMost(sortedReference, x) : below;
    twiceCountSum += below + atMost;
    placement[i] = (below + atMost) / (2 * n);
  }
  return { placement, twiceCountSum };
}

/**
 * Distinct thresholds in descending order with cumulative counts of positives (tp) and negatives
 * (fp) scoring at or above each, from class-wise ascending sorted scores. This is the walk behind
 * ROC and PR curves (a sample is called positive when score >= threshold).
 */
export function thresholdCounts(sortedPositive: Float64Array, sortedNegative: Float64Array): { thresholds: Float64Array; tp: Float64Array; fp: Float64Array } {
  const cap = sortedPositive.length + sortedNegative.length;
  const thresholds = new Float64Array(cap);
  const tp = new Float64Array(cap);
  const fp = new Float64Array(cap);
  let i = sortedPositive.length - 1;
  let j = sortedNegative.length - 1;
  let k = 0;
  let tpCount = 0;
  let fpCount = 0;
  while (i >= 0 || j >= 0) {
    const t = i < 0 ? sortedNegative[j] : j < 0 ? sortedPositive[i] : Math.max(sortedPositive[i], sortedNegative[j]);
    while (i >= 0 && sortedPositive[i] === t) {
      tpCount++;
      i--;
    }
    while (j >= 0 && sortedNegative[j] === t) {
      fpCount++;
      j--;
    }
    thresholds[k] = t;
    tp[k] = tpCount;
    fp[k] = fpCount;
    k++;
  }
  return { thresholds: thresholds.subarray(0, k), tp: tp.subarray(0, k), fp: fp.subarray(0, k) };
}
