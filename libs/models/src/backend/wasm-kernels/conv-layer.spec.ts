import * as tf from '@tensorflow/tfjs';
import { loadNativeKernels, type NativeKernels } from '@leadwise/native-kernels';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../select-backend.ts';
import { patchConv2DLayer, unpatchConv2DLayer } from './conv-layer.ts';
import { batchNormTrainingAvailable } from './batch-norm-training.ts';
import { registerWasmTrainingKernels } from './register.ts';

/**
 * Bias-free tf.layers.Conv2D on tf.conv2d (conv-layer.ts): the image's gradient is never computed,
 * and the weights' gradients are the bits tfjs-layers' own call (tf.fused.conv2d) gives.
 */
const status = loadNativeKernels();
const native: NativeKernels | null = status.loaded ? status.kernels : null;

function buildModel(): tf.LayersModel {
  const init = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  const input = tf.input({ shape: [9, 11, 1] });
  const stem = tf.layers.conv2d({ filters: 16, kernelSize: 7, strides: 2, padding: 'same', useBias: false, ...init(1) });
  const inner = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false, ...init(2) });
  const withBias = tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: 'relu', ...init(3) });
  const x = withBias.apply(inner.apply(stem.apply(input))) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 1, ...init(4) }).apply(tf.layers.flatten().apply(x)) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** The gradient of every weight for one batch, and the kernels that computing it ran. */
async function gradients(): Promise<{ values: number[][]; kernels: string[] }> {
  const model = buildModel();
  const images = tf.tensor4d(Float32Array.from({ length: 2 * 9 * 11 }, (_, i) => Math.sin(i * 0.37)), [2, 9, 11, 1]);
  const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let values: number[][] = [];
  const info = await tf.profile(() => {
    const { grads } = tf.variableGrads(() => tf.sum(model.apply(images, { training: true }) as tf.Tensor) as tf.Scalar, weights);
    values = weights.map((w) => Array.from(grads[w.name].dataSync()));
    tf.dispose(Object.values(grads));
  });
  tf.dispose(images);
  model.dispose();
  return { values, kernels: info.kernels.map((k) => k.name) };
}

describe.skipIf(native === null)('bias-free Conv2D layers with the native kernels', () => {
  beforeAll(async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
    registerWasmTrainingKernels({ native });
  });

  it("skip the image's gradient and give tfjs-layers' gradients bit for bit", async () => {
    const routed = await gradients();
    unpatchConv2DLayer();
    try {
      const stock = await gradients();
      expect(routed.values).toEqual(stock.values);
      const inputGradients = (r: { kernels: string[] }) => r.kernels.filter((k) => k === 'Conv2DBackpropInput').length;
      // Stock: every conv's input gradient, the stem's included; routed: the stem's is skipped.
      expect(inputGradients(stock)).toBe(3);
      expect(inputGradients(routed)).toBe(2);
    } finally {
      patchConv2DLayer(() => tf.getBackend() === 'wasm' && batchNormTrainingAvailable());
    }
  });
});
