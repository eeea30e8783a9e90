import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../select-backend.ts';
import { registerWasmTrainingKernels } from './register.ts';

/**
 * A small conv net (with batch norm) trained on the wasm backend with Leadwise's kernels: no tensor (engine) and no
 * heap buffer (backend) may leak across training steps and inference batches, and its gradients
 * must equal those of the cpu backend for the same weights and data.
 */

function buildNet(): tf.LayersModel {
  let seed = 11;
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: seed++ });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 24, 1], filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init() }),
      tf.layers.batchNormalization({ axis: -1 }),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init() }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 1, kernelInitializer: init() }),
    ],
  });
}

/** Same inputs on each backend: a fixed ramp image batch and alternating labels. */
function batch(): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  const size = 4 * 16 * 24;
  const values = Float32Array.from({ length: size }, (_, i) => ((i * 37) % 101) / 101);
  return { xs: tf.tensor4d(values, [4, 16, 24, 1]), ys: tf.tensor2d([0, 1, 0, 1], [4, 1]) };
}

async function gradientsOn(backendName: 'cpu' | 'wasm'): Promise<Float32Array[]> {
  await tf.setBackend(backendName);
  const model = buildNet();
  const { xs, ys } = batch();
  const { grads } = tf.variableGrads(() =>
    tf.losses.sigmoidCrossEntropy(ys, model.apply(xs) as tf.Tensor) as tf.Scalar,
  );
  // In layer order: variable names differ between the two models (tfjs numbers them globally).
  const out = model.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name].dataSync() as Float32Array);
  tf.dispose([xs, ys, ...Object.values(grads)]);
  model.dispose();
  return out;
}

describe('training on the wasm backend with Leadwise kernels', () => {
  beforeAll(async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  it('leaks no tensors and no wasm heap buffers across steps and inference batches', async () => {
    await tf.setBackend('wasm');
    const model = buildNet();
    const optimizer = tf.train.adam(1e-3);
    const { xs, ys } = batch();
    const step = (): void => {
      const cost = optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor), true);
      cost?.dispose();
      tf.tidy(() => (model.predict(xs) as tf.Tensor).dataSync());
    };
    step(); // the first step creates Adam's slots
    const backend = tf.backend() as BackendWasm;
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(buffers);
    tf.dispose([xs, ys]);
    optimizer.dispose();
    model.dispose();
  });

  it('computes the same gradients as the cpu backend', async () => {
    const expected = await gradientsOn('cpu');
    const actual = await gradientsOn('wasm');
    expect(actual.length).toBe(expected.length);
    for (let v = 0; v < expected.length; v++) {
      const scale = Math.max(1e-3, ...Array.from(expected[v], Math.abs));
      for (let i = 0; i < expected[v].length; i++) {
        expect(Math.abs(actual[v][i] - expected[v][i])).toBeLessThanOrEqual(1e-4 * scale);
      }
    }
  });
});
