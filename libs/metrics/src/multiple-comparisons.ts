import { MetricsInputError } from './errors.ts';

/**
 * Holm's step-down adjustment (Holm 1979), R's p.adjust(method = "holm"): controls the family-wise
 * error rate for any dependence between tests and is never less powerful than Bonferroni.
 * Adjusted p-values come back in the input order.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) throw new MetricsInputError(`p-value must lie in [0, 1], got ${p}`, 'pValues', i);
  });
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a] - pValues[b]);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[index]));
    adjusted[index] = running;
  });
  return adjusted;
}
