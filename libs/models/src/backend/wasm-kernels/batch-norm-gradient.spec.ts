import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { fastBatchNormGradient } from './batch-norm-gradient.ts';

/**
 * The rewritten batch-norm gradient must equal tfjs-core's own (the reference here) for every
 * input: x, mean, variance, offset and scale, on the cpu backend. (Without a scale tfjs-core cannot
 * differentiate batchNorm at all: saving the absent input for backprop throws. tf.layers always
 * passes one.)
 */
describe('fast batch-norm gradient', () => {
  const original = tf.getGradient(tf.FusedBatchNorm);
  afterAll(() => tf.registerGradient(original));

  function gradients(withAffine: boolean): Float32Array[] {
    const shape = [3, 4, 5, 6];
    const random = (s: number[], seed: number, lo = -1, hi = 1): tf.Tensor => tf.randomUniform(s, lo, hi, 'float32', seed);
    const x = random(shape, 1);
    const mean = random([6], 2);
    const variance = random([6], 3, 0.05, 1.05);
    const offset = random([6], 4);
    const scale = random([6], 5);
    const weights = random(shape, 6);
    const loss = (...inputs: tf.Tensor[]): tf.Scalar => {
      const [xi, m, v, o, s] = inputs;
      const y = withAffine ? tf.batchNorm(xi, m, v, o, s, 1e-3) : tf.batchNorm(xi, m, v, undefined, undefined, 1e-3);
      return tf.sum(tf.mul(y, weights));
    };
    const inputs = withAffine ? [x, mean, variance, offset, scale] : [x, mean, variance];
    const grads = tf.grads(loss)(inputs);
    const out = grads.map((g) => g.dataSync() as Float32Array);
    tf.dispose([...grads, x, mean, variance, offset, scale, weights]);
    return out;
  }

  it('equals tfjs-core gradient for x, mean, variance, offset and scale', async () => {
    const withAffine = true;
    await tf.setBackend('cpu');
    tf.registerGradient(original);
    const expected = gradients(withAffine);
    tf.registerGradient(fastBatchNormGradient(original));
    const actual = gradients(withAffine);
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) {
      const scale = Math.max(1, ...Array.from(expected[i], Math.abs));
      for (let j = 0; j < expected[i].length; j++) {
        expect(Math.abs(actual[i][j] - expected[i][j])).toBeLessThanOrEqual(1e-5 * scale);
      }
    }
  });
});
