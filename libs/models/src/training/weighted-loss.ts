import * as tf from '@tensorflow/tfjs';

/** Per-class loss weights N / (2 N_c) (scikit-learn's "balanced"), so both classes carry half the loss. */
export function balancedClassWeights(labels: ArrayLike<number>): { normal: number; abnormal: number } {
  let positives = 0;
  for (let i = 0; i < labels.length; i += 1) positives += labels[i] === 1 ? 1 : 0;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return { normal: 1, abnormal: 1 };
  return { normal: labels.length / (2 * negatives), abnormal: labels.length / (2 * positives) };
}

const EPSILON = 1e-7;

/**
 * Mean over the batch of w_i * -(y log p + (1 - y) log(1 - p)), with p clipped to [1e-7, 1 - 1e-7]
 * as Keras does. `probability`, `labels` and `weights` are [B, 1].
 */
export function weightedBinaryCrossEntropy(probability: tf.Tensor, labels: tf.Tensor, weights: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const p = probability.clipByValue(EPSILON, 1 - EPSILON);
    const perSample = labels.mul(p.log()).add(tf.scalar(1).sub(labels).mul(tf.scalar(1).sub(p).log())).neg();
    return perSample.mul(weights).mean() as tf.Scalar;
  });
}
