import * as tf from '@tensorflow/tfjs';

/**
 * The gradient of Mean without tfjs-core's full-size tensor of ones: tfjs computes
 * dx = (dy * ones(x.shape)) / n, building the ones in JS and copying them to the backend, then
 * multiplying and dividing at full size. Batch-norm moments take a Mean over N, H, W of every
 * feature map, so that was about a sixth of a ResNet training step on wasm. Here dy / n is computed at
 * the reduced size and tiled: (dy * 1) / n and dy / n are the same float32, so results are
 * bit-identical. Registered globally like the batch-norm gradient.
 */
export function fastMeanGradient(original: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const grad = dy as tf.Tensor;
      if (x.dtype !== 'float32' || grad.dtype !== 'float32') return original.gradFunc(dy, saved, attrs);
      const { axis } = attrs as unknown as tf.MeanAttrs;
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const expandedShape = x.shape.map((size, i) => (axes.includes(i) ? 1 : size));
      const reduceSize = axes.reduce((n, i) => n * x.shape[i], 1);
      return { x: () => tf.broadcastTo(tf.div(tf.reshape(grad, expandedShape), reduceSize), x.shape) };
    },
  };
}
