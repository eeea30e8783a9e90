import * as tf from '@tensorflow/tfjs';

/**
 * The gradient of batch normalisation with per-channel statistics (what tf.layers.batchNormalization
 * uses), written so that each full-size tensor is touched a few times: with r = 1/sqrt(var + eps),
 * s = scale (1 without), c = x - mean and sums over all axes but the channel axis,
 *   dx = dy * s*r,  dmean = -s*r * sum(dy),  dvariance = -s*r^3/2 * sum(dy * c),
 *   dscale = r * sum(dy * c),  doffset = sum(dy).
 * These are tfjs-core's formulas; its version also tiles r to the whole feature map and multiplies
 * full-size tensors about twice as often. Registered globally (gradients are not per backend), so
 * the cpu backend uses it too, with the same results; other statistic shapes use tfjs's gradient.
 */
export function fastBatchNormGradient(original: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const grad = dy as tf.Tensor;
      if (mean.rank !== 1 || variance.rank !== 1 || (scale !== undefined && scale.rank !== 1)) {
        return original.gradFunc(dy, saved, attrs);
      }
      const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      const r = tf.rsqrt(tf.add(variance, varianceEpsilon));
      const sr = scale ? tf.mul(scale, r) : r;
      // Shared by several of the lazily evaluated gradients, so computed once here.
      const sumDy = tf.sum(grad, axes);
      const sumDyCentered = tf.sum(tf.mul(grad, tf.sub(x, mean)), axes);
      return {
        x: () => tf.mul(grad, sr),
        mean: () => tf.mul(tf.neg(sr), sumDy),
        variance: () => tf.mul(tf.mul(sr, tf.mul(tf.square(r), -0.5)), sumDyCentered),
        scale: () => tf.mul(r, sumDyCentered),
        offset: () => tf.clone(sumDy),
      };
    },
  };
}
