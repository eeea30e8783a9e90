/**
 * Agreement between repeated answers to the same images. Items are rows, repeats are raters;
 * `null` (unparsed or failed) is left out: Fleiss' kappa uses the items every rater labelled.
 */

export interface KappaResult {
  kappa: number | null;
  /** Items that entered the computation. */
  n: number;
  observedAgreement: number | null;
  expectedAgreement: number | null;
}

/** Cohen's kappa for two raters over the items both labelled. */
export function cohenKappa<T>(a: readonly (T | null)[], b: readonly (T | null)[]): KappaResult {
  if (a.length !== b.length) throw new RangeError(`cohenKappa: rater lengths differ (${a.length} vs ${b.length})`);
  const pairs: [T, T][] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== null && b[i] !== null) pairs.push([a[i] as T, b[i] as T]);
  if (pairs.length === 0) return { kappa: null, n: 0, observedAgreement: null, expectedAgreement: null };
  const categories = [...new Set(pairs.flat())];
  const observed = pairs.filter(([x, y]) => x === y).length / pairs.length;
  let expected = 0;
  for (const category of categories) {
    expected += (pairs.filter(([x]) => x === category).length / pairs.length) * (pairs.filter(([, y]) => y === category).length / pairs.length);
  }
  // Both raters constant and equal: agreement is perfect but kappa is 0/0.
  const kappa = expected === 1 ? null : (observed - expected) / (1 - expected);
  return { kappa, n: pairs.length, observedAgreement: observed, expectedAgreement: expected };
}

/** Fleiss' kappa for m >= 2 raters (Fleiss 1971), over the items every rater labelled. */
export function fleissKappa<T>(ratings: readonly (readonly (T | null)[])[]): KappaResult {
  const complete = ratings.filter((row) => row.length >= 2 && row.every((r) => r !== null)) as T[][];
  if (complete.length === 0) return { kappa: null, n: 0, observedAgreement: null, expectedAgreement: null };
  const m = complete[0].length;
  if (complete.some((row) => row.length !== m)) throw new RangeError('fleissKappa: every item needs the same number of raters');
  const categories = [...new Set(complete.flat())];
  const n = complete.length;
  let pBarSum = 0;
  const totals = new Map<T, number>(categories.map((c) => [c, 0]));
  for (const row of complete) {
    let agreeing = 0;
    for (const category of categories) {
      const count = row.filter((r) => r === category).length;
      agreeing += count * (count - 1);
      totals.set(category, (totals.get(category) ?? 0) + count);
    }
    pBarSum += agreeing / (m * (m - 1));
  }
  const observed = pBarSum / n;
  let expected = 0;
  for (const total of totals.values()) expected += (total / (n * m)) ** 2;
  const kappa = expected === 1 ? null : (observed - expected) / (1 - expected);
  return { kappa, n, observedAgreement: observed, expectedAgreement: expected };
}
