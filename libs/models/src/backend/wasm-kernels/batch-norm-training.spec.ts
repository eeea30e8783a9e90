import * as tf from '@tensorflow/tfjs';
import { loadNativeKernels, type NativeKernels } from '@leadwise/native-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../select-backend.ts';
import {
  BATCH_NORM_RELU_TRAINING,
  BATCH_NORM_TRAINING,
  FUSE_BN_RELU_ENV_VAR,
  MOVING_AVERAGE,
  batchNormTrainingAvailable,
  fuseReluIntoBatchNorm,
} from './batch-norm-training.ts';
import { registerWasmTrainingKernels } from './register.ts';

/**
 * The fused training-mode batch norm (native) against tfjs-layers' own path (tf.moments +
 * batchNorm and their gradients) on the wasm kernels: layer output, moving statistics and the
 * gradients of x, gamma and beta; and the kernel alone with gradients reaching the mean and
 * variance outputs too. Shapes cover one row chunk and several, rank 2 and 4, odd channel counts.
 */
const status = loadNativeKernels();
const native: NativeKernels | null = status.loaded ? status.kernels : null;

const SHAPES = [
  [2, 3, 4, 5],
  [5, 7, 9, 16],
  [3, 33],
  [4, 13, 12, 40],
  [2, 40, 30, 3],
];

function randomValues(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (state / 2 ** 32);
  }
  return out;
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const scale = Math.max(1e-3, ...Array.from(expected, Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst / scale, what).toBeLessThanOrEqual(2e-5);
}

interface LayerRun {
  y: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
}

/** A batch-norm layer built for `shape`, its gamma, beta, moving mean and variance drawn from `seed`. */
function seededBatchNorm(shape: number[], seed: number): tf.layers.Layer {
  const channels = shape[shape.length - 1];
  const layer = tf.layers.batchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9 });
  layer.build(shape);
  const initial = [
    tf.tensor(randomValues(channels, seed + 1, 0.5, 1.5)),
    tf.tensor(randomValues(channels, seed + 2)),
    tf.tensor(randomValues(channels, seed + 3)),
    tf.tensor(randomValues(channels, seed + 4, 0.5, 1.5)),
  ];
  layer.setWeights(initial);
  tf.dispose(initial);
  return layer;
}

function runLayer(shape: number[], seed: number): LayerRun {
  const layer = seededBatchNorm(shape, seed);
  const size = shape.reduce((a, b) => a * b, 1);
  // Offset and scaled input, so that the mean and variance are far from 0 and 1.
  const x = tf.tensor(randomValues(size, seed, 1, 4), shape);
  const w = tf.tensor(randomValues(size, seed + 5), shape);
  const weights = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  let y: tf.Tensor | null = null;
  const { grads } = tf.variableGrads(() => {
    const out = layer.apply(x, { training: true }) as tf.Tensor;
    y = tf.keep(out.clone());
    return tf.sum(tf.mul(out, w)) as tf.Scalar;
  }, weights);
  const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(layer.apply(xi, { training: true }) as tf.Tensor, w)))(x);
  // getWeights gives the variables themselves: read, not disposed.
  const [, , mm, mv] = layer.getWeights();
  const run: LayerRun = {
    y: y!.dataSync() as Float32Array,
    // Two training calls above moved the averages twice.
    movingMean: mm.dataSync() as Float32Array,
    movingVariance: mv.dataSync() as Float32Array,
    dx: dx.dataSync() as Float32Array,
    dgamma: grads[weights[0].name].dataSync() as Float32Array,
    dbeta: grads[weights[1].name].dataSync() as Float32Array,
  };
  tf.dispose([x, w, y!, dx, ...Object.values(grads)]);
  // Eager calls do not count as use for Layer.dispose(): its variables go one by one.
  for (const v of layer.weights) v.dispose();
  return run;
}

describe.skipIf(native === null)('fused training batch norm (native) matches tfjs-layers on the wasm kernels', () => {
  beforeAll(async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
  });
  afterAll(() => registerWasmTrainingKernels({ native }));

  for (const shape of SHAPES) {
    it(`layer output, moving statistics and gradients for [${shape.join(', ')}]`, () => {
      registerWasmTrainingKernels({ native: null });
      expect(batchNormTrainingAvailable()).toBe(false);
      const start = tf.memory().numTensors;
      const expected = runLayer(shape, 7);
      // runLayer leaves a tensor behind per call on tfjs-layers' own path (not traced down; a training
      // step's tensor count stays constant, see tools/bench/profile-step.ts): the fused path no more.
      const left = tf.memory().numTensors - start;
      registerWasmTrainingKernels({ native });
      expect(batchNormTrainingAvailable()).toBe(true);
      const before = tf.memory().numTensors;
      const actual = runLayer(shape, 7);
      expect(tf.memory().numTensors - before).toBeLessThanOrEqual(left);
      for (const key of Object.keys(expected) as (keyof LayerRun)[]) expectClose(actual[key], expected[key], key);
    });
  }

  it('the kernel alone: gradients reaching the mean and variance outputs too', () => {
    registerWasmTrainingKernels({ native });
    const shape = [3, 11, 7, 24];
    const channels = 24;
    const size = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(randomValues(size, 3, -2, 3), shape);
    const scale = tf.tensor(randomValues(channels, 4, 0.5, 1.5));
    const offset = tf.tensor(randomValues(channels, 5));
    const w = tf.tensor(randomValues(size, 6), shape);
    const wm = tf.tensor(randomValues(channels, 7));
    const wv = tf.tensor(randomValues(channels, 8));
    const loss = (y: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor): tf.Scalar =>
      tf.addN([tf.sum(tf.mul(y, w)), tf.sum(tf.mul(mean, wm)), tf.sum(tf.mul(variance, wv))]) as tf.Scalar;
    const fused = tf.grads((xi: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
      const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAINING, { x: xi, scale: s, offset: o }, {
        varianceEpsilon: 1e-3,
      } as never) as tf.Tensor[];
      return loss(y, mean, variance);
    })([x, scale, offset]);
    const reference = tf.grads((xi: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
      const { mean, variance } = tf.moments(xi, [0, 1, 2]);
      return loss(tf.batchNorm(xi, mean, variance, o, s, 1e-3), mean, variance);
    })([x, scale, offset]);
    ['dx', 'dscale', 'doffset'].forEach((what, i) =>
      expectClose(fused[i].dataSync() as Float32Array, reference[i].dataSync() as Float32Array, what),
    );
    tf.dispose([x, scale, offset, w, wm, wv, ...fused, ...reference]);
  });
});

describe('fused training batch norm without the addon', () => {
  it('is not available on the wasm kernels alone, and the layer keeps its own path', async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
    registerWasmTrainingKernels({ native: null });
    expect(batchNormTrainingAvailable()).toBe(false);
    await tf.setBackend('cpu');
    expect(batchNormTrainingAvailable()).toBe(false);
    await tf.setBackend('wasm');
    if (native) registerWasmTrainingKernels({ native });
  });
});

describe.skipIf(native === null)('moving-average kernel of the fused batch norm', () => {
  beforeAll(async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
    registerWasmTrainingKernels({ native });
  });

  const update = (current: tf.Tensor, value: tf.Tensor, momentum: number): Float32Array =>
    tf.tidy(() => tf.engine().runKernel(MOVING_AVERAGE, { current, value }, { decay: 1 - momentum } as never) as tf.Tensor)
      .dataSync() as Float32Array;

  it('gives v - (v - value) * (1 - momentum): 2 and 4 at momentum 0.5 give 3, at 0.75 give 2.5', () => {
    const v = tf.tensor1d([2, -1, 0]);
    const x = tf.tensor1d([4, 3, 0]);
    expect(Array.from(update(v, x, 0.5))).toEqual([3, 1, 0]);
    expect(Array.from(update(v, x, 0.75))).toEqual([2.5, 0, 0]);
    tf.dispose([v, x]);
  });

  it("rounds as tfjs's Sub, Mul, Sub: the same bits over wide magnitudes and momenta", () => {
    const size = 4099;
    const v = tf.tensor1d(randomValues(size, 11, -3, 3).map((a, i) => a * 10 ** ((i % 13) - 6)));
    const x = tf.tensor1d(randomValues(size, 12, -3, 3).map((a, i) => a * 10 ** ((i % 7) - 3)));
    for (const momentum of [0.99, 0.9, 0.1, 1 / 3]) {
      const expected = tf.tidy(() => tf.sub(v, tf.mul(tf.sub(v, x), 1 - momentum)).dataSync() as Float32Array);
      expect(Buffer.from(update(v, x, momentum).buffer).equals(Buffer.from(expected.buffer)), `momentum ${momentum}`).toBe(true);
    }
    tf.dispose([v, x]);
  });

  it('a training-mode layer call updates each statistic with one kernel call and no Sub or Multiply', async () => {
    const layer = tf.layers.batchNormalization({ axis: -1, momentum: 0.9 });
    const x = tf.tensor(randomValues(2 * 3 * 3 * 8, 5), [2, 3, 3, 8]);
    layer.apply(x, { training: true }); // builds the layer outside the profile
    const profile = await tf.profile(() => {
      tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    });
    const calls = (name: string): number => profile.kernels.filter((k) => k.name === name).length;
    expect(calls(MOVING_AVERAGE)).toBe(2);
    expect(calls('Sub') + calls('Multiply')).toBe(0);
    x.dispose();
    for (const w of layer.weights) w.dispose();
  });
});

/** A marked BN layer and its ReLU (a training step of the pair): output, moving statistics and gradients, and the kernels it ran. */
async function runBnRelu(shape: number[], seed: number, fused: boolean): Promise<{ values: Record<string, Float32Array>; kernels: string[] }> {
  const previous = process.env[FUSE_BN_RELU_ENV_VAR];
  process.env[FUSE_BN_RELU_ENV_VAR] = fused ? '1' : '0';
  try {
    const bn = seededBatchNorm(shape, seed);
    fuseReluIntoBatchNorm(bn);
    const relu = tf.layers.reLU({});
    const size = shape.reduce((a, b) => a * b, 1);
    // Whole numbers: some normalised values land exactly on 0, where the ReLU's gradient is 0.
    const x = tf.tensor(randomValues(size, seed, -3, 3).map(Math.round), shape);
    const w = tf.tensor(randomValues(size, seed + 5), shape);
    const weights = bn.trainableWeights.map((v) => v.read() as tf.Variable);
    const values: Record<string, Float32Array> = {};
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => {
        const out = relu.apply(bn.apply(x, { training: true }), { training: true }) as tf.Tensor;
        values['y'] = out.dataSync().slice() as Float32Array;
        return tf.sum(tf.mul(out, w)) as tf.Scalar;
      }, weights);
      values['dgamma'] = grads[weights[0].name].dataSync().slice() as Float32Array;
      values['dbeta'] = grads[weights[1].name].dataSync().slice() as Float32Array;
      tf.dispose([value, ...Object.values(grads)]);
      const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(relu.apply(bn.apply(xi, { training: true }), { training: true }) as tf.Tensor, w)))(x);
      values['dx'] = dx.dataSync().slice() as Float32Array;
      dx.dispose();
    });
    const [, , mm, mv] = bn.getWeights();
    values['movingMean'] = mm.dataSync().slice() as Float32Array;
    values['movingVariance'] = mv.dataSync().slice() as Float32Array;
    tf.dispose([x, w]);
    for (const v of bn.weights) v.dispose();
    return { values, kernels: profile.kernels.map((k) => k.name) };
  } finally {
    if (previous === undefined) delete process.env[FUSE_BN_RELU_ENV_VAR];
    else process.env[FUSE_BN_RELU_ENV_VAR] = previous;
  }
}

describe.skipIf(native === null)('batch norm with its ReLU fused in (native)', () => {
  beforeAll(async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
    registerWasmTrainingKernels({ native });
  });

  for (const shape of [
    [2, 5, 6, 16],
    [4, 13, 12, 40],
    [3, 33],
  ]) {
    it(`gives the bits of the two kernels in turn, with two kernels fewer each way, for [${shape.join(', ')}]`, async () => {
      const separate = await runBnRelu(shape, 21, false);
      const fused = await runBnRelu(shape, 21, true);
      for (const key of Object.keys(separate.values)) {
        expect(Buffer.from(fused.values[key].buffer).equals(Buffer.from(separate.values[key].buffer)), key).toBe(true);
      }
      // Zeros in y (the ReLU cut some values) and in dx where it did.
      expect(fused.values['y'].some((v) => v === 0)).toBe(true);
      const count = (run: { kernels: string[] }, name: string): number => run.kernels.filter((k) => k === name).length;
      expect(count(fused, BATCH_NORM_RELU_TRAINING)).toBe(2);
      expect(count(fused, BATCH_NORM_TRAINING)).toBe(0);
      expect(count(fused, 'Relu') + count(fused, 'LeadwiseReluGrad')).toBe(0);
      expect(count(separate, 'Relu')).toBe(2);
      expect(count(separate, 'LeadwiseReluGrad')).toBe(2);
    });
  }

  it('leaves an unmarked pair, and a ReLU after an unmarked layer, as two kernels', async () => {
    const bn = tf.layers.batchNormalization({ axis: -1 });
    const x = tf.tensor(randomValues(2 * 3 * 3 * 8, 5), [2, 3, 3, 8]);
    const relu = tf.layers.reLU({});
    tf.dispose(relu.apply(bn.apply(x, { training: true })) as tf.Tensor);
    const profile = await tf.profile(() => {
      tf.dispose(relu.apply(bn.apply(x, { training: true })) as tf.Tensor);
    });
    const names = profile.kernels.map((k) => k.name);
    expect(names).toContain(BATCH_NORM_TRAINING);
    expect(names).toContain('Relu');
    expect(names).not.toContain(BATCH_NORM_RELU_TRAINING);
    x.dispose();
    for (const w of bn.weights) w.dispose();
  });
});
