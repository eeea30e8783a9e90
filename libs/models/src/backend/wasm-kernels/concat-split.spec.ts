import * as tf from '@tensorflow/tfjs';
import { loadNativeKernels, type NativeKernels } from '@leadwise/native-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../select-backend.ts';
import { registerWasmTrainingKernels } from './register.ts';

/** Native Concat and SplitV (last axis) give the cpu backend's values exactly; other axes keep the stock kernels. */
const status = loadNativeKernels();
const native: NativeKernels | null = status.loaded ? status.kernels : null;

function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

const CASES: Array<{ shapes: number[][]; axis: number; splits: number[] | number }> = [
  { shapes: [[2, 3, 4, 5], [2, 3, 4, 1], [2, 3, 4, 8]], axis: -1, splits: [3, 7, 4] },
  { shapes: [[7, 2], [7, 3]], axis: 1, splits: 5 },
  { shapes: [[5], [3]], axis: 0, splits: [6, 2] },
  { shapes: [[3, 4, 2], [3, 1, 2]], axis: 1, splits: [1, 4] },
  { shapes: [[6, 16, 20, 8], [6, 16, 20, 24], [6, 16, 20, 8], [6, 16, 20, 2]], axis: 3, splits: [8, 8, 8, 8, 8, 2] },
];

async function run(backend: 'cpu' | 'wasm', c: (typeof CASES)[number]): Promise<number[][]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const inputs = c.shapes.map((s, i) => tf.tensor(values(s.reduce((a, b) => a * b, 1), i + 3), s));
  const joined = tf.concat(inputs, c.axis);
  const parts = tf.split(joined, c.splits, c.axis);
  // The gradient of concat is a split of dy, of split a concat.
  const w = tf.tensor(values(joined.size, 99), joined.shape);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(xs, c.axis), w)))(inputs);
  const out = [joined, ...parts, ...grads].map((t) => Array.from(t.dataSync()));
  tf.dispose([...inputs, joined, ...parts, w, ...grads]);
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

describe.skipIf(native === null)('native Concat and SplitV', () => {
  beforeAll(async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
    registerWasmTrainingKernels({ native });
  });
  afterAll(async () => tf.setBackend('wasm'));

  for (const c of CASES) {
    it(`[${c.shapes.map((s) => s.join('x')).join(', ')}] on axis ${c.axis}`, async () => {
      const expected = await run('cpu', c);
      const actual = await run('wasm', c);
      expect(actual).toEqual(expected);
    });
  }
});
