import * as tf from '@tensorflow/tfjs';
import { loadNativeKernels, type NativeKernels } from '@leadwise/native-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../select-backend.ts';
import { registerWasmTrainingKernels } from './register.ts';

/** The native ReLU gradient equals tfjs-core's (Step, Cast, Multiply) on the wasm kernels, bit for bit. */
const status = loadNativeKernels();
const native: NativeKernels | null = status.loaded ? status.kernels : null;

function gradient(shape: number[], seed: number): number[] {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  let state = seed;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    // Every tenth value exactly 0 (ReLU's kink: gradient 0), one NaN.
    values[i] = i % 10 === 0 ? 0 : i === 13 ? NaN : state / 2 ** 31 - 1;
  }
  const x = tf.tensor(values, shape);
  const w = tf.tensor(values.map((v, i) => (i % 7) - 3 + v), shape);
  const before = tf.memory().numTensors;
  const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(tf.relu(xi), w)))(x);
  const out = Array.from(dx.dataSync());
  tf.dispose([x, w, dx]);
  expect(tf.memory().numTensors).toBe(before - 2);
  return out;
}

describe.skipIf(native === null)('native ReLU gradient', () => {
  beforeAll(async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
  });
  afterAll(() => registerWasmTrainingKernels({ native }));

  for (const shape of [[7], [3, 5, 4, 2], [4, 64, 80, 16], [2, 300001]]) {
    it(`equals tfjs-core's for [${shape.join(', ')}]`, () => {
      registerWasmTrainingKernels({ native: null });
      const expected = gradient(shape, 11);
      registerWasmTrainingKernels({ native });
      expect(gradient(shape, 11)).toEqual(expected);
    });
  }
});
