import { checkBinarySample, checkScores, type FieldNames, type NumericArray } from './binary-sample.ts';
import { MetricsOptionError } from './errors.ts';
import { twoSidedPValue } from './normal-distribution.ts';
import { createRandom, randomInt } from '@leadwise/ecg';

/**
 * A metric of labelled scores. Bootstrap resamples keep positives first and negatives after, so a
 * metric must depend on the pairs (label, score), never on the order of samples.
 */
export type BinaryMetric = (labels: Uint8Array, scores: Float64Array) => number;

export interface BootstrapOptions {
  /** Number of resamples (pROC's default, 2,000). */
  resamples?: number;
  seed?: number;
  /** Confidence level of the percentile interval. */
  level?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface BootstrapInterval {
  method: 'stratified percentile bootstrap';
  estimate: number;
  lower: number;
  upper: number;
  level: number;
  /** Standard deviation of the bootstrap replicates. */
  standardError: number;
  resamples: number;
  /** Replicates where the metric was not a finite number; they are left out of the interval. */
  skipped: number;
  seed: number;
}

export interface PairedBootstrapResult {
  method: 'paired stratified bootstrap';
  estimateA: number;
  estimateB: number;
  /** estimateA - estimateB */
  difference: number;
  lower: number;
  upper: number;
  level: number;
  standardError: number;
  /** difference / standardError, as in pROC's bootstrap test. */
  z: number;
  pValue: number;
  resamples: number;
  skipped: number;
  seed: number;
}

interface ResolvedOptions {
  resamples: number;
  seed: number;
  level: number;
  onProgress?: (done: number, total: number) => void;
}

function resolve(options: BootstrapOptions): ResolvedOptions {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(resamples) || resamples < 2) throw new MetricsOptionError(`must be an integer >= 2, got ${resamples}`, 'resamples');
  if (!(level > 0 && level < 1)) throw new MetricsOptionError(`must lie in (0, 1), got ${level}`, 'level');
  if (!Number.isFinite(seed)) throw new MetricsOptionError(`must be a finite number, got ${seed}`, 'seed');
  return { resamples, level, seed, onProgress: options.onProgress };
}

/** R's default quantile (type 7): linear interpolation between order statistics. */
export function quantileType7(sortedValues: Float64Array, q: number): number {
  const h = (sortedValues.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sortedValues.length - 1);
  return sortedValues[lo] + (h - lo) * (sortedValues[hi] - sortedValues[lo]);
}

function sampleSd(values: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i] - mean) ** 2;
  return Math.sqrt(ss / (values.length - 1));
}

/**
 * Index lists of positives and negatives plus a resampler that draws each class with replacement
 * at its own size (stratified, as pROC does), so every replicate has both classes.
 */
function stratifiedResampler(labels: Uint8Array, positives: number, seed: number) {
  const positiveIndex = new Uint32Array(positives);
  const negativeIndex = new Uint32Array(labels.length - positives);
  let p = 0;
  let q = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) positiveIndex[p++] = i;
    else negativeIndex[q++] = i;
  }
  const resampledLabels = new Uint8Array(labels.length);
  resampledLabels.fill(1, 0, positives);
  const random = createRandom(seed);
  const draw = (out: Uint32Array): void => {
    for (let i = 0; i < positives; i++) out[i] = positiveIndex[randomInt(random, positives)];
    for (let i = positives; i < out.length; i++) out[i] = negativeIndex[randomInt(random, negativeIndex.length)];
  };
  return { resampledLabels, draw };
}

function percentileInterval(replicates: Float64Array, count: number, level: number) {
  const kept = replicates.subarray(0, count).sort();
  const alpha = (1 - level) / 2;
  return { lower: quantileType7(kept, alpha), upper: quantileType7(kept, 1 - alpha), standardError: sampleSd(kept) };
}

/** Stratified percentile-bootstrap confidence interval for any metric. */
export function bootstrapCi(labels: NumericArray, scores: NumericArray, metric: BinaryMetric, options: BootstrapOptions = {}, names?: FieldNames): BootstrapInterval {
  const opts = resolve(options);
  const sample = checkBinarySample(labels, scores, names);
  const { resampledLabels, draw } = stratifiedResampler(sample.labels, sample.positives, opts.seed);
  const index = new Uint32Array(sample.labels.length);
  const resampledScores = new Float64Array(sample.labels.length);
  const replicates = new Float64Array(opts.resamples);
  let kept = 0;
  for (let r = 0; r < opts.resamples; r++) {
    draw(index);
    for (let i = 0; i < index.length; i++) resampledScores[i] = sample.scores[index[i]];
    const value = metric(resampledLabels, resampledScores);
    if (Number.isFinite(value)) replicates[kept++] = value;
    opts.onProgress?.(r + 1, opts.resamples);
  }
  if (kept < 2) throw new MetricsOptionError(`metric was finite in only ${kept} of ${opts.resamples} resamples`, 'metric');
  return {
    method: 'stratified percentile bootstrap',
    estimate: metric(sample.labels, sample.scores),
    ...percentileInterval(replicates, kept, opts.level),
    level: opts.level,
    resamples: opts.resamples,
    skipped: opts.resamples - kept,
    seed: opts.seed,
  };
}

/**
 * Paired bootstrap comparison of two models on the same samples: each replicate resamples the
 * samples once and scores both models on it, so their correlation is kept.
 */
export function pairedBootstrap(
  labels: NumericArray,
  scoresA: NumericArray,
  scoresB: NumericArray,
  metric: BinaryMetric,
  options: BootstrapOptions = {},
  names: { labels?: string; scoresA?: string; scoresB?: string } = {},
): PairedBootstrapResult {
  const opts = resolve(options);
  const sample = checkBinarySample(labels, scoresA, { labels: names.labels, scores: names.scoresA ?? 'scoresA' });
  const b = checkScores(scoresB, sample.labels.length, names.scoresB ?? 'scoresB', names.labels ?? 'labels');
  const { resampledLabels, draw } = stratifiedResampler(sample.labels, sample.positives, opts.seed);
  const index = new Uint32Array(sample.labels.length);
  const resampledA = new Float64Array(index.length);
  const resampledB = new Float64Array(index.length);
  const replicates = new Float64Array(opts.resamples);
  let kept = 0;
  for (let r = 0; r < opts.resamples; r++) {
    draw(index);
    for (let i = 0; i < index.length; i++) {
      resampledA[i] = sample.scores[index[i]];
      resampledB[i] = b[index[i]];
    }
    const value = metric(resampledLabels, resampledA) - metric(resampledLabels, resampledB);
    if (Number.isFinite(value)) replicates[kept++] = value;
    opts.onProgress?.(r + 1, opts.resamples);
  }
  if (kept < 2) throw new MetricsOptionError(`metric was finite in only ${kept} of ${opts.resamples} resamples`, 'metric');
  const estimateA = metric(sample.labels, sample.scores);
  const estimateB = metric(sample.labels, b);
  const difference = estimateA - estimateB;
  const interval = percentileInterval(replicates, kept, opts.level);
  const z = zStatistic(difference, interval.standardError);
  return {
    method: 'paired stratified bootstrap',
    estimateA,
    estimateB,
    difference,
    ...interval,
    z,
    pValue: twoSidedPValue(z),
    level: opts.level,
    resamples: opts.resamples,
    skipped: opts.resamples - kept,
    seed: opts.seed,
  };
}

/** difference / se, with 0/0 read as "no difference" (z = 0, p = 1) rather than NaN. */
export function zStatistic(difference: number, standardError: number): number {
  if (standardError > 0) return difference / standardError;
  if (difference === 0) return 0;
  return difference > 0 ? Infinity : -Infinity;
}
