import * as tf from '@tensorflow/tfjs';
import { loadNativeKernels } from '@leadwise/native-kernels';
import { beforeAll, describe, expect, it } from 'vitest';
import { LeadMaxPooling } from '../../architectures/lead-group-layers.ts';
import { initWasmBackend } from '../select-backend.ts';
import { MASKED_MAX_POOL, maskedMaxPoolAvailable } from './masked-max-pool.ts';
import { registerWasmTrainingKernels } from './register.ts';

/**
 * LeadMaxPooling through the native masked max-pool kernels (wasm backend with the addon) against
 * the same layer through tfjs ops on the cpu backend (Add, Max, ArgMax, ScatterNd): the same bits
 * forward and backward, ties included (the first maximal cell wins, and leads sharing a winning
 * cell add their gradients in lead order).
 */
const native = loadNativeKernels();

/** Deterministic values in [-1, 1) with many exact ties (multiples of 1/8). */
function values(size: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: size }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * 16) / 8 - 1;
  });
}

const BATCH = 3;
const HEIGHT = 4;
const WIDTH = 5;
const CHANNELS = 6;
// Boxes in [0, 1] image coordinates: overlapping leads, a box of one partial cell, one outside the map.
const BOXES = [
  [0, 0, 0.5, 0.5],
  [0.25, 0.25, 1, 1],
  [0, 0, 1, 1],
  [0.41, 0.3, 0.43, 0.32],
  [1.2, 1.2, 1.5, 1.5],
];

function poolAndGradient(): { value: Float32Array; gradient: Float32Array } {
  const features = tf.tensor4d(values(BATCH * HEIGHT * WIDTH * CHANNELS, 5), [BATCH, HEIGHT, WIDTH, CHANNELS]);
  const boxes = tf.tensor3d(Array.from({ length: BATCH }, () => BOXES), [BATCH, BOXES.length, 4]);
  const layer = new LeadMaxPooling({});
  const upstream = tf.tensor3d(values(BATCH * BOXES.length * CHANNELS, 9), [BATCH, BOXES.length, CHANNELS]);
  const value = (layer.apply([features, boxes]) as tf.Tensor).dataSync().slice() as Float32Array;
  const gradient = tf
    .grad((x: tf.Tensor) => (layer.apply([x, boxes]) as tf.Tensor).mul(upstream).sum())(features)
    .dataSync()
    .slice() as Float32Array;
  tf.dispose([features, boxes, upstream]);
  return { value, gradient };
}

describe.skipIf(!native.loaded)('LeadMaxPooling on the native masked max-pool kernels', () => {
  let onCpu: { value: Float32Array; gradient: Float32Array };

  beforeAll(async () => {
    await tf.setBackend('cpu');
    expect(maskedMaxPoolAvailable('cpu')).toBe(false);
    onCpu = poolAndGradient();
    await initWasmBackend();
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  it('pools and back-propagates the same bits as tfjs ops', () => {
    expect(maskedMaxPoolAvailable('wasm')).toBe(true);
    const calls: string[] = [];
    const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
    const runKernel = engine.runKernel;
    engine.runKernel = function (name: string, ...rest: unknown[]) {
      calls.push(name);
      return runKernel.call(this, name, ...rest);
    };
    let onWasm: { value: Float32Array; gradient: Float32Array };
    try {
      onWasm = poolAndGradient();
    } finally {
      engine.runKernel = runKernel;
    }
    expect(calls).toContain(MASKED_MAX_POOL);
    expect(calls).not.toContain('ArgMax');
    expect(Buffer.from(onWasm.value.buffer).equals(Buffer.from(onCpu.value.buffer))).toBe(true);
    expect(Buffer.from(onWasm.gradient.buffer).equals(Buffer.from(onCpu.gradient.buffer))).toBe(true);
    // The box outside the map pools 0 and passes no gradient; the others pass some.
    expect(onWasm.value.slice(4 * CHANNELS, 5 * CHANNELS).every((v) => v === 0)).toBe(true);
    expect(onWasm.gradient.some((g) => g !== 0)).toBe(true);
  });

  it('refuses a winner that is not a cell index before it queues the gradient', () => {
    if (!native.loaded) return;
    const dy = new Float32Array(2);
    const dx = new Float32Array(4);
    expect(() => native.kernels.maskedMaxPoolGrad(dy, Int32Array.of(0, 2), dx, Int32Array.of(1, 2, 2, 1))).toThrow(
      /winner 2 is not a cell index/,
    );
  });
});
