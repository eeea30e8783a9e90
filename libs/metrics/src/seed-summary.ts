import { MetricsInputError } from './errors.ts';

export interface SeedValue {
  seed: number | string;
  value: number;
}

export interface AcrossSeeds {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); null with a single seed. */
  sd: number | null;
  min: number;
  max: number;
  /** max - min */
  range: number;
  perSeed: SeedValue[];
}

/** Spread of one metric over training seeds: report it, not just the best seed. */
export function summarizeAcrossSeeds(values: readonly SeedValue[], field = 'values'): AcrossSeeds {
  if (values.length === 0) throw new MetricsInputError('needs at least one seed', field);
  values.forEach((v, i) => {
    if (!Number.isFinite(v.value)) throw new MetricsInputError(`value for seed ${v.seed} is not a finite number (${v.value})`, field, i);
  });
  const n = values.length;
  const mean = values.reduce((s, v) => s + v.value, 0) / n;
  const ss = values.reduce((s, v) => s + (v.value - mean) ** 2, 0);
  const min = Math.min(...values.map((v) => v.value));
  const max = Math.max(...values.map((v) => v.value));
  return { n, mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : null, min, max, range: max - min, perSeed: values.map((v) => ({ ...v })) };
}

/** Summaries for every metric recorded by every seed's run, e.g. { auc, ap, brier } per seed. */
export function summarizeMetricsAcrossSeeds(runs: readonly { seed: number | string; metrics: Record<string, number> }[]): Record<string, AcrossSeeds> {
  const names = new Set(runs.flatMap((r) => Object.keys(r.metrics)));
  const out: Record<string, AcrossSeeds> = {};
  for (const name of [...names].sort()) {
    const missing = runs.find((r) => !(name in r.metrics));
    if (missing) throw new MetricsInputError(`seed ${missing.seed} has no value for metric "${name}"`, `runs.metrics.${name}`);
    out[name] = summarizeAcrossSeeds(
      runs.map((r) => ({ seed: r.seed, value: r.metrics[name] })),
      `runs.metrics.${name}`,
    );
  }
  return out;
}
