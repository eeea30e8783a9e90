import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../select-backend.ts';
import { registerWasmTrainingKernels } from './register.ts';
import { patchEngineClone, unpatchEngineClone } from './saved-tensors.ts';

/**
 * The direct clone of tensors saved for the backward pass (saved-tensors.ts) against tfjs-core's
 * own (an Identity kernel call and a tape node per saved tensor): the same gradients bit for bit,
 * no Identity calls, no leaked tensors or heap buffers, and second-order gradients still right.
 */

function buildNet(): tf.LayersModel {
  let seed = 3;
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: seed++ });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 16, 1], filters: 16, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init() }),
      tf.layers.batchNormalization({ axis: -1 }),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init() }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init() }),
    ],
  });
}

function batch(): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  const values = Float32Array.from({ length: 4 * 12 * 16 }, (_, i) => ((i * 53) % 97) / 97);
  return { xs: tf.tensor4d(values, [4, 12, 16, 1]), ys: tf.tensor2d([1, 0, 0, 1], [4, 1]) };
}

/** Three Adam steps from the same initial weights; every weight afterwards (moving statistics included). */
function train(): { weights: Float32Array[]; identityCalls: number } {
  const model = buildNet();
  const optimizer = tf.train.adam(1e-2);
  const { xs, ys } = batch();
  let identityCalls = 0;
  for (let step = 0; step < 3; step++) {
    const before = tf.engine().state.numTensors;
    const kernels: string[] = [];
    const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
    const runKernel = engine.runKernel;
    engine.runKernel = function (name: string, ...rest: unknown[]) {
      kernels.push(name);
      return runKernel.call(this, name, ...rest);
    };
    try {
      optimizer.minimize(() => tf.losses.logLoss(ys, model.apply(xs, { training: true }) as tf.Tensor), true)?.dispose();
    } finally {
      engine.runKernel = runKernel;
    }
    identityCalls += kernels.filter((k) => k === 'Identity').length;
    if (step > 0) expect(tf.engine().state.numTensors).toBe(before);
  }
  const weights = model.weights.map((w) => w.read().dataSync() as Float32Array);
  tf.dispose([xs, ys]);
  optimizer.dispose();
  model.dispose();
  return { weights, identityCalls };
}

describe('tensors saved for the backward pass, cloned directly', () => {
  beforeAll(async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });
  afterAll(() => patchEngineClone());

  it('train to the same bits as with tfjs-core clones, with no Identity calls and no leaks', () => {
    unpatchEngineClone();
    const stock = train();
    patchEngineClone();
    const backend = tf.backend() as BackendWasm;
    const buffers = backend.numDataIds();
    const direct = train();
    expect(backend.numDataIds()).toBe(buffers);
    expect(stock.identityCalls).toBeGreaterThan(30);
    expect(direct.identityCalls).toBe(0);
    expect(direct.weights.length).toBe(stock.weights.length);
    direct.weights.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(stock.weights[i].buffer)), `weight ${i}`).toBe(true));
  });

  it('leave second-order gradients intact (they run through the saved inputs): d2/dx2 of x^3 + 2x^2 at 0.5 is 7', () => {
    patchEngineClone();
    const x = tf.scalar(0.5);
    const f = (t: tf.Tensor): tf.Tensor => tf.add(tf.mul(tf.mul(t, t), t), tf.mul(tf.mul(t, t), 2));
    const second = tf.grad((t: tf.Tensor) => tf.grad(f)(t))(x);
    expect(second.dataSync()[0]).toBeCloseTo(7, 5);
    tf.dispose([x, second]);
  });
});
