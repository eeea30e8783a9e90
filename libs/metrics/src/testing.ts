/**
 * Fixtures for tests of libs/metrics and of code that uses it. The reference datasets follow the
 * formulas of tools/reference/metrics_datasets.py exactly (scores are integers over an integer, so
 * every language parses the same doubles); reference values computed from them with scikit-learn
 * and pROC are in reference-agreement.spec.ts.
 */
import { normalQuantile } from './normal-distribution.ts';
import { createRandom } from '@leadwise/ecg';

export interface ReferenceDataset {
  labels: Uint8Array;
  scores: Record<string, Float64Array>;
}

function build(n: number, columns: string[], row: (i: number) => [number, ...number[]]): ReferenceDataset {
  const labels = new Uint8Array(n);
  const scores: Record<string, Float64Array> = Object.fromEntries(columns.map((c) => [c, new Float64Array(n)]));
  for (let i = 0; i < n; i++) {
    const [label, ...values] = row(i);
    labels[i] = label;
    columns.forEach((c, j) => (scores[c][i] = values[j]));
  }
  return { labels, scores };
}

/** n = 1000, 300 positives, two tie-heavy models (a, b: 24 distinct values) and a near-continuous one (c). */
export function ties1000(): ReferenceDataset {
  return build(1000, ['a', 'b', 'c'], (i) => {
    const label = (i * 7919) % 1000 < 300 ? 1 : 0;
    return [label, (((i * 37) % 13) + 5 * label + ((i * 11) % 7)) / 25, (((i * 53) % 17) + 3 * label + (i % 5)) / 25, (((i * 7907) % 997) + 400 * label) / 1400];
  });
}

/** n = 1000, 400 positives, a strong and a weak model: DeLong z near 20, p near 1e-87. */
export function separated1000(): ReferenceDataset {
  return build(1000, ['strong', 'weak'], (i) => {
    const label = (i * 7919) % 1000 < 400 ? 1 : 0;
    return [label, (((i * 7907) % 997) + 900 * label) / 2000, (((i * 7907) % 997) + ((i * 31) % 7) * 60 * label) / 2000];
  });
}

/** n = 1000, 250 positives, hard 0/1 predictions with sensitivity 0.7 and specificity 0.8. */
export function hard1000(): ReferenceDataset {
  return build(1000, ['pred'], (i) => {
    const label = (i * 7919) % 1000 < 250 ? 1 : 0;
    return [label, (i * 13) % 10 < (label ? 7 : 2) ? 1 : 0];
  });
}

/** The anchor example: y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8]; t is a second, perfect model. */
export function small4(): ReferenceDataset {
  return { labels: Uint8Array.of(0, 0, 1, 1), scores: { s: Float64Array.of(0.1, 0.4, 0.35, 0.8), t: Float64Array.of(0.2, 0.1, 0.9, 0.3) } };
}

/** 30 samples, 10 positives, every score 0.5. */
export function allTied(): ReferenceDataset {
  return build(30, ['s'], (i) => [i % 3 === 0 ? 1 : 0, 0.5]);
}

/**
 * pROC's aSAH data (Turck et al. 2010, 113 patients with aneurysmal subarachnoid haemorrhage;
 * label 1 = poor outcome): the example of pROC's manual, whose published output for
 * roc.test(roc(outcome, s100b), roc(outcome, wfns)) is Z = -2.209, p-value = 0.02718.
 * Exported from R with tools/reference/pROC_delong_reference.R.
 */
export function asah(): ReferenceDataset {
  const label = '00001101001011001011101000000000100110110000000001100010001010011101101111000110100000010000000000001111110001000';
  const s100b =
    '0.13,0.14,0.1,0.04,0.13,0.1,0.47,0.16,0.18,0.1,0.12,0.1,0.44,0.71,0.04,0.08,0.49,0.04,0.07,0.33,0.09,0.09,0.07,0.11,0.07,0.17,0.07,0.11,0.13,0.19,0.05,0.16,0.41,0.14,0.34,0.35,0.48,0.09,0.96,0.25,0.5,0.46,0.16,0.07,0.43,0.45,0.11,0.08,0.09,0.86,0.52,0.08,0.06,0.13,2.07,0.1,0.14,0.15,0.07,0.06,0.77,0.05,0.09,0.3,0.03,0.09,0.04,0.23,0.7,0.09,0.27,0.71,0.08,0.26,0.08,0.16,0.09,0.13,0.1,0.08,0.11,0.33,0.11,0.28,0.07,0.1,0.32,0.22,0.07,0.05,0.24,0.38,0.1,0.15,0.08,0.14,0.1,0.07,0.04,0.19,0.56,0.14,0.58,0.32,0.82,0.74,0.15,0.47,0.17,0.44,0.15,0.5,0.48';
  const wfns = '11113254125255125225211112121134214541425511241125521251222151125214524414121421232421451154221113125225552445111';
  const ndka =
    '3.01,8.54,8.09,10.42,17.4,12.75,6,13.2,15.54,6.01,15.96,17.86,5.18,8.9,13.41,20.75,11.6,16.11,32.37,54.82,32.41,49.94,40.34,9.47,6.29,12.53,6.54,6.3,80.3,12.8,9.8,9.81,9.85,18.21,5.03,14.04,21.93,8.02,7.42,8.38,6.59,9.63,13.12,7.96,14.34,41.43,7.63,7.06,12.59,13.56,3.87,9.44,7.66,12.98,419.19,27.19,22.27,9.95,21.22,11.73,10.4,58.83,6.39,11.09,12.22,13.67,17.21,22.63,12.9,9.7,21.57,8.23,72.57,15.54,10.51,10.6,14.57,5.19,9.63,4.61,21.48,17.3,12.71,9.44,11.07,19.46,10.83,5.37,11.97,7.75,9.83,10.55,28.49,8.53,12.57,12.9,46.83,11.68,12.67,9.01,9.57,34.06,11.72,14.26,47.61,11.67,24.58,10.33,13.87,15.89,22.43,6.79,13.45';
  return {
    labels: Uint8Array.from(label, Number),
    scores: { s100b: Float64Array.from(s100b.split(','), Number), wfns: Float64Array.from(wfns, Number), ndka: Float64Array.from(ndka.split(','), Number) },
  };
}

/**
 * Binormal scores with a known ROC-AUC: negatives ~ N(0, 1), positives ~ N(d, 1), so
 * AUC = Phi(d / sqrt(2)). Deterministic for a seed.
 */
export function binormalSample(positives: number, negatives: number, auc: number, seed: number): { labels: Uint8Array; scores: Float64Array } {
  const d = Math.SQRT2 * normalQuantile(auc);
  const random = createRandom(seed);
  const n = positives + negatives;
  const labels = new Uint8Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i < positives ? 1 : 0;
    // Box-Muller; 1 - next() keeps the logarithm finite.
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    scores[i] = z + (labels[i] ? d : 0);
  }
  return { labels, scores };
}
