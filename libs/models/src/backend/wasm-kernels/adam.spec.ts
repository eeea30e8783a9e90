import * as tf from '@tensorflow/tfjs';
import { loadNativeKernels, type NativeKernels } from '@leadwise/native-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduledAdam } from '../../training/scheduled-adam.ts';
import { initWasmBackend } from '../select-backend.ts';
import { registerWasmTrainingKernels } from './register.ts';

/** The native Adam update gives the same bits as tfjs's AdamOptimizer on the wasm kernels. */
const status = loadNativeKernels();
const native: NativeKernels | null = status.loaded ? status.kernels : null;

function values(size: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = scale * (state / 2 ** 31 - 1);
  }
  return out;
}

const SHAPES = [[1], [7], [3, 3, 16, 32], [300], [5, 11]];

function train(makeOptimizer: () => tf.Optimizer, steps: number): Float32Array[] {
  const variables = SHAPES.map((shape, i) => tf.variable(tf.tensor(values(shape.reduce((a, b) => a * b, 1), i + 1, 1), shape)));
  const optimizer = makeOptimizer();
  const before = tf.memory().numTensors;
  for (let step = 0; step < steps; step++) {
    // (tfjs optimizers answer instanceof by duck typing, so ask for the method itself.)
    if (optimizer instanceof ScheduledAdam && 'setLearningRate' in optimizer) optimizer.setLearningRate(1e-3 * (step + 1));
    const grads = variables.map((v, i) =>
      tf.tensor(values(v.size, 100 * step + i, step === 1 ? 1e-6 : 3), v.shape),
    );
    // The array form (as minimize) and the named form.
    if (step % 2 === 0) optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: grads[i] })));
    else optimizer.applyGradients(Object.fromEntries(variables.map((v, i) => [v.name, grads[i]])));
    tf.dispose(grads);
  }
  // Moments appear on the first step: 2 per variable.
  expect(tf.memory().numTensors).toBe(before + 2 * variables.length);
  const out = variables.map((v) => v.dataSync() as Float32Array);
  const weights = (optimizer as tf.AdamOptimizer)['accumulatedFirstMoment'] as Array<{ variable: tf.Variable }>;
  const seconds = (optimizer as tf.AdamOptimizer)['accumulatedSecondMoment'] as Array<{ variable: tf.Variable }>;
  out.push(...weights.map((w) => w.variable.dataSync() as Float32Array), ...seconds.map((w) => w.variable.dataSync() as Float32Array));
  optimizer.dispose();
  tf.dispose(variables);
  return out;
}

describe.skipIf(native === null)('native Adam update', () => {
  beforeAll(async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
  });
  afterAll(() => registerWasmTrainingKernels({ native }));

  for (const [label, make] of [
    ['tf.train.adam', () => tf.train.adam(1e-3)],
    ['tf.train.adam, own betas and epsilon', () => tf.train.adam(0.01, 0.8, 0.95, 1e-4)],
    ['ScheduledAdam', () => new ScheduledAdam(1e-3)],
  ] as const) {
    it(`${label}: same weights and moments, bit for bit, over 4 steps`, () => {
      registerWasmTrainingKernels({ native: null });
      const expected = train(make, 4);
      registerWasmTrainingKernels({ native });
      const actual = train(make, 4);
      expect(actual.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(Array.from(actual[i])).toEqual(Array.from(expected[i]));
    });
  }
});
