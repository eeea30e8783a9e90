import { InvalidScoreError, LengthMismatchError, NonBinaryLabelError, SingleClassError } from './errors.ts';

/** Anything indexable by number: typed arrays, plain arrays. */
export type NumericArray = ArrayLike<number>;

/** Checked binary-classification input: labels 0/1 with both classes present, scores free of NaN. */
export interface BinarySample {
  labels: Uint8Array;
  scores: Float64Array;
  positives: number;
  negatives: number;
}

/** Names used in error messages, e.g. CSV column names. */
export interface FieldNames {
  labels?: string;
  scores?: string;
}

export interface CheckedLabels {
  labels: Uint8Array;
  positives: number;
  negatives: number;
}

/** Labels must be exactly 0 or 1; one class only is an error unless `allowSingleClass`. */
export function checkLabels(labels: NumericArray, field = 'labels', allowSingleClass = false): CheckedLabels {
  const n = labels.length;
  const out = labels instanceof Uint8Array ? labels : new Uint8Array(n);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const v = labels[i];
    if (v === 1) positives++;
    else if (v !== 0) throw new NonBinaryLabelError(field, i, v);
    out[i] = v;
  }
  const negatives = n - positives;
  if (!allowSingleClass && (positives === 0 || negatives === 0)) throw new SingleClassError(field, positives, negatives);
  return { labels: out, positives, negatives };
}

/** Scores may be any number but NaN (infinite logits still rank). */
export function checkScores(scores: NumericArray, expectedLength: number, field = 'scores', lengthOf = 'labels'): Float64Array {
  if (scores.length !== expectedLength) throw new LengthMismatchError(field, expectedLength, scores.length, lengthOf);
  const out = scores instanceof Float64Array ? scores : Float64Array.from(scores);
  for (let i = 0; i < out.length; i++) {
    if (Number.isNaN(out[i])) throw new InvalidScoreError('score is NaN', field, i, out[i]);
  }
  return out;
}

/** Probabilities for calibration metrics must lie in [0, 1]. */
export function checkProbabilities(probabilities: NumericArray, expectedLength: number, field = 'probabilities', lengthOf = 'labels'): Float64Array {
  const out = checkScores(probabilities, expectedLength, field, lengthOf);
  for (let i = 0; i < out.length; i++) {
    if (!(out[i] >= 0 && out[i] <= 1)) throw new InvalidScoreError(`probability must lie in [0, 1], got ${out[i]}`, field, i, out[i]);
  }
  return out;
}

export function checkBinarySample(labels: NumericArray, scores: NumericArray, names: FieldNames = {}): BinarySample {
  const labelsField = names.labels ?? 'labels';
  // Length first: a mismatch is the likelier mistake and the more useful message.
  if (scores.length !== labels.length) throw new LengthMismatchError(names.scores ?? 'scores', labels.length, scores.length, labelsField);
  const checked = checkLabels(labels, labelsField);
  return { ...checked, scores: checkScores(scores, labels.length, names.scores ?? 'scores', labelsField) };
}

/** True when every score is 0 or 1: a "ROC-AUC" from hard labels is balanced accuracy, not a ranking AUC. */
export function isHardLabel(scores: Float64Array): boolean {
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] !== 0 && scores[i] !== 1) return false;
  }
  return true;
}

export const HARD_LABEL_NOTE =
  'scores take only the values 0 and 1 (hard labels): this "AUC" equals balanced accuracy at threshold 0.5 and is not a ranking AUC';
