import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastMeanGradient } from './mean-gradient.ts';

/**
 * The tiled Mean gradient must give tfjs-core's gradient bit for bit (cpu backend, the reference),
 * for the batch-norm moments' axes and others, with and without keepDims.
 */
describe('fast Mean gradient', () => {
  const original = tf.getGradient(tf.Mean);
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => tf.registerGradient(original));

  function gradient(axis: number[], keepDims: boolean): Float32Array {
    return tf.tidy(() => {
      const x = tf.randomUniform([3, 5, 7, 4], -1, 1, 'float32', 1);
      const weights = tf.randomUniform(keepDims ? [3, 5, 7, 4].map((s, i) => (axis.includes(i) ? 1 : s)) : [3, 5, 7, 4].filter((_, i) => !axis.includes(i)), -1, 1, 'float32', 2);
      return tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.mean(input, axis, keepDims), weights)))(x).dataSync() as Float32Array;
    });
  }

  it.each([
    { axis: [0, 1, 2], keepDims: false },
    { axis: [0, 1, 2], keepDims: true },
    { axis: [1, 2], keepDims: false },
    { axis: [3], keepDims: true },
  ])('equals tfjs-core over $axis (keepDims $keepDims)', ({ axis, keepDims }) => {
    tf.registerGradient(original);
    const expected = gradient(axis, keepDims);
    tf.registerGradient(fastMeanGradient(original));
    const actual = gradient(axis, keepDims);
    expect(Array.from(actual)).toEqual(Array.from(expected));
  });
});
