import { checkBinarySample, checkScores, HARD_LABEL_NOTE, isHardLabel, type FieldNames, type NumericArray } from './binary-sample.ts';
import { zStatistic } from './bootstrap.ts';
import { MetricsInputError, MetricsOptionError } from './errors.ts';
import { normalQuantile, twoSidedPValue } from './normal-distribution.ts';
import { argsortFloat64 } from './ranks.ts';
import { studentTQuantile, studentTTwoSidedPValue } from './student-t.ts';

/**
 * DeLong, DeLong & Clarke-Pearson (1988) variance of ROC-AUCs, computed with the fast algorithm of
 * Sun & Xu (2014, IEEE Signal Processing Letters 21(11):1389-1393): per model, the placement values
 * V10 (each positive's midrank among the pooled scores minus its midrank among the positives, over
 * n) and V01 (the same for negatives, over m, complemented); their covariances S10 and S01 across
 * models; and Cov(AUC) = S10 / m + S01 / n. O(k n log n) instead of the O(m n) pairwise kernel.
 */
export interface DelongCovariance {
  aucs: number[];
  /** k x k covariance matrix of the AUC estimates. */
  covariance: number[][];
  positives: number;
  negatives: number;
}

/** AUCs and their DeLong covariance for k models scored on the same labelled samples. */
export function delongCovariance(labels: Uint8Array, positives: number, scoresByModel: Float64Array[], labelsField = 'labels'): DelongCovariance {
  const m = positives;
  const n = labels.length - positives;
  if (m < 2 || n < 2) {
    throw new MetricsInputError(`DeLong's variance needs at least 2 positives and 2 negatives, got ${m} and ${n}`, labelsField);
  }
  // Position of each sample within its class, shared by all models.
  const classIndex = new Uint32Array(labels.length);
  for (let i = 0, p = 0, q = 0; i < labels.length; i++) classIndex[i] = labels[i] === 1 ? p++ : q++;
  const v10: Float64Array[] = [];
  const v01: Float64Array[] = [];
  const aucs: number[] = [];
  for (const scores of scoresByModel) {
    const placement = placementValues(labels, scores, classIndex, m, n);
    v10.push(placement.v10);
    v01.push(placement.v01);
    aucs.push(placement.twiceU / (2 * m * n));
  }
  const k = scoresByModel.length;
  const covariance = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      const value = sampleCovariance(v10[a], v10[b], aucs[a], aucs[b]) / m + sampleCovariance(v01[a], v01[b], aucs[a], aucs[b]) / n;
      covariance[a][b] = value;
      covariance[b][a] = value;
    }
  }
  return { aucs, covariance, positives: m, negatives: n };
}

/**
 * One model's placement values from a single pass over its pooled scores in sorted order. Within a
 * group of tied scores holding p positives and q negatives, after P positives and Q negatives with
 * lower scores: a positive's pooled midrank is Tz = P + Q + (p + q + 1) / 2 and its midrank among
 * positives Tx = P + (p + 1) / 2, so V10 = (Tz - Tx) / n = (Q + q / 2) / n; likewise for a negative
 * V01 = 1 - (Tz - Ty) / m = (m - P - p / 2) / m.
 */
function placementValues(labels: Uint8Array, scores: Float64Array, classIndex: Uint32Array, m: number, n: number) {
  const order = argsortFloat64(scores);
  const v10 = new Float64Array(m);
  const v01 = new Float64Array(n);
  let below = 0;
  let negativesBelow = 0;
  let positivesBelow = 0;
  let twiceU = 0;
  const total = labels.length;
  while (below < total) {
    const value = scores[order[below]];
    let end = below;
    let tiedPositives = 0;
    while (end < total && scores[order[end]] === value) {
      tiedPositives += labels[order[end]];
      end++;
    }
    const tiedNegatives = end - below - tiedPositives;
    const positivePlacement = (2 * negativesBelow + tiedNegatives) / (2 * n);
    const negativePlacement = (2 * (m - positivesBelow) - tiedPositives) / (2 * m);
    for (let r = below; r < end; r++) {
      const i = order[r];
      if (labels[i] === 1) v10[classIndex[i]] = positivePlacement;
      else v01[classIndex[i]] = negativePlacement;
    }
    twiceU += tiedPositives * (2 * negativesBelow + tiedNegatives);
    positivesBelow += tiedPositives;
    negativesBelow += tiedNegatives;
    below = end;
  }
  return { v10, v01, twiceU };
}

/** Both V10 and V01 average to the AUC, so it is the mean for either. */
function sampleCovariance(x: Float64Array, y: Float64Array, meanX: number, meanY: number): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += (x[i] - meanX) * (y[i] - meanY);
  return sum / (x.length - 1);
}

function criticalValue(level: number): number {
  if (!(level > 0 && level < 1)) throw new MetricsOptionError(`must lie in (0, 1), got ${level}`, 'level');
  return normalQuantile(1 - (1 - level) / 2);
}

export interface DelongAucInterval {
  method: 'DeLong';
  auc: number;
  variance: number;
  standardError: number;
  /** Normal-approximation bounds, clipped to [0, 1] as pROC does. */
  lower: number;
  upper: number;
  level: number;
  n: number;
  positives: number;
  negatives: number;
  hardLabel: boolean;
  note?: string;
}

/** ROC-AUC with DeLong's analytic confidence interval. */
export function delongAucCi(labels: NumericArray, scores: NumericArray, options: { level?: number } = {}, names?: FieldNames): DelongAucInterval {
  const level = options.level ?? 0.95;
  const z = criticalValue(level);
  const sample = checkBinarySample(labels, scores, names);
  const { aucs, covariance } = delongCovariance(sample.labels, sample.positives, [sample.scores], names?.labels);
  const variance = covariance[0][0];
  const se = Math.sqrt(variance);
  const hardLabel = isHardLabel(sample.scores);
  return {
    method: 'DeLong',
    auc: aucs[0],
    variance,
    standardError: se,
    lower: Math.max(0, aucs[0] - z * se),
    upper: Math.min(1, aucs[0] + z * se),
    level,
    n: sample.labels.length,
    positives: sample.positives,
    negatives: sample.negatives,
    hardLabel,
    ...(hardLabel ? { note: HARD_LABEL_NOTE } : {}),
  };
}

export interface AucComparison {
  method: string;
  aucA: number;
  aucB: number;
  /** aucA - aucB */
  difference: number;
  /** Variance of the difference. */
  variance: number;
  standardError: number;
  /** Confidence interval of the difference (not clipped). */
  lower: number;
  upper: number;
  level: number;
  z: number;
  /** Two-sided p-value, a probability (not its logarithm). */
  pValue: number;
  hardLabelA: boolean;
  hardLabelB: boolean;
  note?: string;
}

export interface DelongPairedComparison extends AucComparison {
  method: 'DeLong paired (Sun & Xu 2014)';
  /** Correlation of the two AUC estimates (shared samples make it positive, which narrows the test); NaN when an AUC has zero variance. */
  correlation: number;
  n: number;
  positives: number;
  negatives: number;
}

function hardLabelNote(hardA: boolean, hardB: boolean): string | undefined {
  if (!hardA && !hardB) return undefined;
  return `${hardA && hardB ? 'A and B' : hardA ? 'A' : 'B'}: ${HARD_LABEL_NOTE}`;
}

function comparisonTail(aucA: number, aucB: number, variance: number, level: number, hardA: boolean, hardB: boolean) {
  const difference = aucA - aucB;
  // Clamp rounding noise: identical models give a variance of 0 up to cancellation error.
  const standardError = Math.sqrt(Math.max(0, variance));
  const z = zStatistic(difference, standardError);
  const crit = criticalValue(level);
  const hardNote = hardLabelNote(hardA, hardB);
  return {
    aucA,
    aucB,
    difference,
    variance,
    standardError,
    lower: difference - crit * standardError,
    upper: difference + crit * standardError,
    level,
    z,
    pValue: twoSidedPValue(z),
    hardLabelA: hardA,
    hardLabelB: hardB,
    ...(hardNote ? { note: hardNote } : {}),
  };
}

/** DeLong's test for two correlated ROC curves: two models scored on the same samples. */
export function delongPairedTest(
  labels: NumericArray,
  scoresA: NumericArray,
  scoresB: NumericArray,
  options: { level?: number } = {},
  names: { labels?: string; scoresA?: string; scoresB?: string } = {},
): DelongPairedComparison {
  const level = options.level ?? 0.95;
  const sample = checkBinarySample(labels, scoresA, { labels: names.labels, scores: names.scoresA ?? 'scoresA' });
  const b = checkScores(scoresB, sample.labels.length, names.scoresB ?? 'scoresB', names.labels ?? 'labels');
  const { aucs, covariance } = delongCovariance(sample.labels, sample.positives, [sample.scores, b], names.labels);
  const variance = covariance[0][0] + covariance[1][1] - 2 * covariance[0][1];
  const denominator = Math.sqrt(covariance[0][0] * covariance[1][1]);
  return {
    method: 'DeLong paired (Sun & Xu 2014)',
    ...comparisonTail(aucs[0], aucs[1], variance, level, isHardLabel(sample.scores), isHardLabel(b)),
    correlation: denominator > 0 ? covariance[0][1] / denominator : NaN,
    n: sample.labels.length,
    positives: sample.positives,
    negatives: sample.negatives,
  };
}

export interface DelongSeedAveragedComparison extends AucComparison {
  method: 'DeLong paired, seed-averaged placements';
  /** Training seeds per model (A and B may differ in count). */
  seedsA: number;
  seedsB: number;
  correlation: number;
  n: number;
  positives: number;
  negatives: number;
}

/**
 * Paired DeLong test of the seed-mean ROC-AUCs of two models scored on the same samples, each model
 * trained with several seeds. A seed's AUC is the mean of its placement values (V10 over positives,
 * V01 over negatives), so the mean AUC over seeds is the mean of the seed-averaged placement values;
 * their covariances across samples give Var(mean AUC A - mean AUC B) exactly as DeLong's do for one
 * run. The samples stay the unit of replication (the test set is what is resampled in principle),
 * and the seeds' correlation through the shared samples is kept rather than treating the seeds'
 * predictions as independent samples. With one seed each it is `delongPairedTest`.
 */
export function delongSeedAveragedTest(
  labels: NumericArray,
  seedScoresA: readonly NumericArray[],
  seedScoresB: readonly NumericArray[],
  options: { level?: number } = {},
): DelongSeedAveragedComparison {
  const level = options.level ?? 0.95;
  if (seedScoresA.length === 0 || seedScoresB.length === 0) throw new MetricsInputError('each model needs the scores of at least one seed', seedScoresA.length === 0 ? 'scoresA' : 'scoresB');
  const sample = checkBinarySample(labels, seedScoresA[0], { scores: 'scoresA[0]' });
  const m = sample.positives;
  const n = sample.labels.length - m;
  if (m < 2 || n < 2) throw new MetricsInputError(`DeLong's variance needs at least 2 positives and 2 negatives, got ${m} and ${n}`, 'labels');
  const classIndex = new Uint32Array(sample.labels.length);
  for (let i = 0, p = 0, q = 0; i < sample.labels.length; i++) classIndex[i] = sample.labels[i] === 1 ? p++ : q++;
  const averaged = (seedScores: readonly NumericArray[], model: 'A' | 'B') => {
    const v10 = new Float64Array(m);
    const v01 = new Float64Array(n);
    let hard = true;
    seedScores.forEach((raw, s) => {
      const scores = checkScores(raw, sample.labels.length, `scores${model}[${s}]`, 'labels');
      hard &&= isHardLabel(scores);
      const placement = placementValues(sample.labels, scores, classIndex, m, n);
      for (let i = 0; i < m; i++) v10[i] += placement.v10[i] / seedScores.length;
      for (let j = 0; j < n; j++) v01[j] += placement.v01[j] / seedScores.length;
    });
    const auc = v10.reduce((sum, v) => sum + v, 0) / m;
    return { v10, v01, auc, hard };
  };
  const a = averaged(seedScoresA, 'A');
  const b = averaged(seedScoresB, 'B');
  const cov = (x: typeof a, y: typeof a) => sampleCovariance(x.v10, y.v10, x.auc, y.auc) / m + sampleCovariance(x.v01, y.v01, x.auc, y.auc) / n;
  const [varA, varB, covAB] = [cov(a, a), cov(b, b), cov(a, b)];
  const denominator = Math.sqrt(varA * varB);
  return {
    method: 'DeLong paired, seed-averaged placements',
    ...comparisonTail(a.auc, b.auc, varA + varB - 2 * covAB, level, a.hard, b.hard),
    seedsA: seedScoresA.length,
    seedsB: seedScoresB.length,
    correlation: denominator > 0 ? covAB / denominator : NaN,
    n: sample.labels.length,
    positives: m,
    negatives: n,
  };
}

export interface LabelledSample {
  labels: NumericArray;
  scores: NumericArray;
  names?: FieldNames;
}

export interface DelongUnpairedComparison extends AucComparison {
  method: 'DeLong unpaired (Welch t)';
  /**
   * Welch-Satterthwaite degrees of freedom; z is read against Student's t with df, and the CI of
   * the difference uses the t quantile (pROC's roc.test(..., paired = FALSE) does the same).
   */
  df: number;
  a: { n: number; positives: number; negatives: number };
  b: { n: number; positives: number; negatives: number };
}

/**
 * Two AUCs from different test sets: independent estimates, so Var(difference) = Var(A) + Var(B).
 * Like pROC, the statistic is referred to a t distribution with Welch-Satterthwaite df
 * (Var(A) + Var(B))^2 / (Var(A)^2 / (nA - 1) + Var(B)^2 / (nB - 1)), nA, nB the test-set sizes.
 */
export function delongUnpairedTest(a: LabelledSample, b: LabelledSample, options: { level?: number } = {}): DelongUnpairedComparison {
  const level = options.level ?? 0.95;
  criticalValue(level);
  const sampleA = checkBinarySample(a.labels, a.scores, a.names ?? { labels: 'a.labels', scores: 'a.scores' });
  const sampleB = checkBinarySample(b.labels, b.scores, b.names ?? { labels: 'b.labels', scores: 'b.scores' });
  const covA = delongCovariance(sampleA.labels, sampleA.positives, [sampleA.scores], a.names?.labels ?? 'a.labels');
  const covB = delongCovariance(sampleB.labels, sampleB.positives, [sampleB.scores], b.names?.labels ?? 'b.labels');
  const varA = covA.covariance[0][0];
  const varB = covB.covariance[0][0];
  const variance = varA + varB;
  const df = variance ** 2 / (varA ** 2 / (sampleA.labels.length - 1) + varB ** 2 / (sampleB.labels.length - 1));
  const difference = covA.aucs[0] - covB.aucs[0];
  const standardError = Math.sqrt(variance);
  const z = zStatistic(difference, standardError);
  const hardA = isHardLabel(sampleA.scores);
  const hardB = isHardLabel(sampleB.scores);
  const note = hardLabelNote(hardA, hardB);
  // With both variances 0, df is 0/0: fall back to the normal limit (df = Infinity).
  const dfUsed = Number.isFinite(df) ? df : Infinity;
  const crit = Number.isFinite(dfUsed) ? studentTQuantile(1 - (1 - level) / 2, dfUsed) : normalQuantile(1 - (1 - level) / 2);
  return {
    method: 'DeLong unpaired (Welch t)',
    aucA: covA.aucs[0],
    aucB: covB.aucs[0],
    difference,
    variance,
    standardError,
    lower: difference - crit * standardError,
    upper: difference + crit * standardError,
    level,
    z,
    df: dfUsed,
    pValue: Number.isFinite(dfUsed) ? studentTTwoSidedPValue(z, dfUsed) : twoSidedPValue(z),
    hardLabelA: hardA,
    hardLabelB: hardB,
    ...(note ? { note } : {}),
    a: { n: sampleA.labels.length, positives: sampleA.positives, negatives: sampleA.negatives },
    b: { n: sampleB.labels.length, positives: sampleB.positives, negatives: sampleB.negatives },
  };
}

export interface NamedPairedComparison extends DelongPairedComparison {
  a: string;
  b: string;
}

/**
 * Paired DeLong tests for every pair of models on the same samples, from one k x k covariance
 * (each model's scores are sorted once). Pairs come in input order: (0,1), (0,2), ..., (1,2), ...
 * Model names are used as field names in errors (e.g. CSV columns).
 */
export function delongAllPairs(
  labels: NumericArray,
  scoresByModel: Record<string, NumericArray>,
  options: { level?: number } = {},
  labelsField = 'labels',
): NamedPairedComparison[] {
  const level = options.level ?? 0.95;
  const names = Object.keys(scoresByModel);
  if (names.length < 2) return [];
  const first = checkBinarySample(labels, scoresByModel[names[0]], { labels: labelsField, scores: names[0] });
  const scores = [first.scores, ...names.slice(1).map((name) => checkScores(scoresByModel[name], first.labels.length, name, labelsField))];
  const hard = scores.map(isHardLabel);
  const { aucs, covariance } = delongCovariance(first.labels, first.positives, scores, labelsField);
  const out: NamedPairedComparison[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const variance = covariance[i][i] + covariance[j][j] - 2 * covariance[i][j];
      const denominator = Math.sqrt(covariance[i][i] * covariance[j][j]);
      out.push({
        a: names[i],
        b: names[j],
        method: 'DeLong paired (Sun & Xu 2014)',
        ...comparisonTail(aucs[i], aucs[j], variance, level, hard[i], hard[j]),
        correlation: denominator > 0 ? covariance[i][j] / denominator : NaN,
        n: first.labels.length,
        positives: first.positives,
        negatives: first.negatives,
      });
    }
  }
  return out;
}
