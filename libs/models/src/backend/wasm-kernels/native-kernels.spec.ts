import * as tf from '@tensorflow/tfjs';
import { loadNativeKernels, type NativeKernels } from '@leadwise/native-kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../select-backend.ts';
import { unwrapQueuedKernel } from './kernel-queue.ts';
import { nativeKernelsRegistered, registerWasmTrainingKernels } from './register.ts';

/**
 * The native addon's kernels against Leadwise's wasm kernels and tfjs's cpu backend, on shapes that
 * reach every path (pointwise GEMM, im2col with padding, strides, ragged register tiles, one input
 * channel, batch 1 and 5). Skipped where the addon is not built; the fallback test always runs.
 */

const status = loadNativeKernels();
const native: NativeKernels | null = status.loaded ? status.kernels : null;

type Pad = 'same' | 'valid';
interface Case {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly ci: number;
  readonly co: number;
  readonly k: number;
  readonly s: number;
  readonly pad: Pad;
}

const CONV_CASES: Case[] = [
  { n: 1, h: 9, w: 11, ci: 3, co: 5, k: 3, s: 1, pad: 'same' },
  { n: 5, h: 9, w: 11, ci: 3, co: 5, k: 3, s: 2, pad: 'same' },
  { n: 5, h: 10, w: 7, ci: 1, co: 16, k: 3, s: 1, pad: 'valid' },
  { n: 1, h: 13, w: 15, ci: 1, co: 8, k: 7, s: 2, pad: 'same' },
  { n: 5, h: 13, w: 9, ci: 2, co: 3, k: 7, s: 2, pad: 'valid' },
  { n: 5, h: 8, w: 8, ci: 16, co: 33, k: 1, s: 1, pad: 'valid' },
  { n: 1, h: 7, w: 9, ci: 6, co: 4, k: 1, s: 2, pad: 'same' },
  { n: 5, h: 16, w: 20, ci: 16, co: 32, k: 3, s: 2, pad: 'same' },
  // More output positions than one 256-position block per thread, channels past one register tile.
  { n: 5, h: 24, w: 30, ci: 5, co: 40, k: 3, s: 1, pad: 'same' },
  // The direct kernels (direct-conv.cc, 16n output channels): a strip shorter than one register
  // block, two strips with a ragged second one (the 7x7/2 stem), 32 channels with stride 2, three
  // 16-channel blocks with 'valid' padding, a 5x5 window, stride x channels of 128, and 3 input
  // channels (forward and input gradient on the GEMM). Their filter gradients go by filter tap
  // (fewer than 8 blocks of 256 positions), except the last case's (2,560 positions: direct).
  { n: 3, h: 11, w: 13, ci: 16, co: 16, k: 3, s: 1, pad: 'same' },
  { n: 8, h: 16, w: 20, ci: 8, co: 16, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 12, w: 50, ci: 1, co: 16, k: 7, s: 2, pad: 'same' },
  { n: 2, h: 9, w: 30, ci: 8, co: 32, k: 3, s: 2, pad: 'same' },
  { n: 3, h: 7, w: 30, ci: 32, co: 48, k: 3, s: 1, pad: 'valid' },
  { n: 2, h: 10, w: 12, ci: 16, co: 16, k: 5, s: 1, pad: 'same' },
  { n: 1, h: 6, w: 20, ci: 128, co: 16, k: 1, s: 1, pad: 'valid' },
  { n: 2, h: 8, w: 9, ci: 3, co: 16, k: 3, s: 1, pad: 'same' },
  // 8 output channels (DenseNet's 3x3 convolutions at width 0.25): direct strips of 24, 12 and 6
  // outputs as the map narrows, and a map too narrow for any (the GEMM).
  { n: 3, h: 6, w: 30, ci: 32, co: 8, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 8, w: 10, ci: 32, co: 8, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 4, w: 5, ci: 32, co: 8, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 5, w: 9, ci: 16, co: 8, k: 3, s: 2, pad: 'valid' },
  { n: 1, h: 3, w: 2, ci: 32, co: 8, k: 3, s: 1, pad: 'same' },
  // 8 output channels with at least 8 blocks of 256 positions: the direct filter gradient in 256-bit
  // registers, with a register block of 24 dw rows (3 x 3 x 32 = 96 of them) and of 16 (3 x 3 x 5).
  { n: 4, h: 24, w: 30, ci: 32, co: 8, k: 3, s: 1, pad: 'same' },
  { n: 8, h: 24, w: 30, ci: 5, co: 8, k: 3, s: 1, pad: 'same' },
];

const POOL_CASES = [
  { n: 1, h: 8, w: 8, c: 3, k: 2, s: 2, pad: 'valid' as Pad },
  { n: 5, h: 9, w: 7, c: 4, k: 2, s: 2, pad: 'same' as Pad },
  { n: 5, h: 9, w: 9, c: 17, k: 3, s: 2, pad: 'same' as Pad },
  { n: 1, h: 11, w: 10, c: 5, k: 3, s: 1, pad: 'same' as Pad },
];

/** Deterministic uniform values in [-1, 1) (a 32-bit LCG; Numerical Recipes constants). */
function randomValues(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

type Engine = 'cpu' | 'wasm' | 'wasm+native';

async function useEngine(engine: Engine): Promise<void> {
  await tf.setBackend(engine === 'cpu' ? 'cpu' : 'wasm');
  if (engine !== 'cpu') registerWasmTrainingKernels({ native: engine === 'wasm+native' ? native : null });
}

async function runKernel(
  engine: Engine,
  kernel: string,
  inputs: Record<string, { shape: number[]; values: Float32Array }>,
  attrs: Record<string, unknown>,
): Promise<Float32Array> {
  await useEngine(engine);
  const before = tf.memory().numTensors;
  const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
  const out = tf.engine().runKernel(kernel, tensors, attrs as never) as tf.Tensor;
  const values = out.dataSync() as Float32Array;
  tf.dispose([out, ...Object.values(tensors)]);
  expect(tf.memory().numTensors).toBe(before);
  return values;
}

/**
 * How many kernels the addon queued for one kernel call on the native engine (the queue is on with
 * two threads): 0 where the call went to tfjs-wasm's own kernel.
 */
async function addonCalls(kernel: string, inputs: Record<string, { shape: number[]; values: Float32Array }>, attrs: Record<string, unknown>): Promise<number> {
  await useEngine('wasm+native');
  const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
  const before = native!.submitted();
  const out = tf.engine().runKernel(kernel, tensors, attrs as never) as tf.Tensor;
  const calls = native!.submitted() - before;
  out.dataSync();
  tf.dispose([out, ...Object.values(tensors)]);
  return calls;
}

/** Native against both references, relative to the largest reference value (sums of many products). */
async function expectNativeMatches(
  kernel: string,
  inputs: Record<string, { shape: number[]; values: Float32Array }>,
  attrs: Record<string, unknown>,
): Promise<void> {
  const actual = await runKernel('wasm+native', kernel, inputs, attrs);
  for (const reference of ['wasm', 'cpu'] as const) {
    const expected = await runKernel(reference, kernel, inputs, attrs);
    expect(actual.length).toBe(expected.length);
    let maxAbs = 0;
    let maxRef = 0;
    for (let i = 0; i < expected.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(actual[i] - expected[i]));
      maxRef = Math.max(maxRef, Math.abs(expected[i]));
    }
    expect(maxAbs, `${kernel} vs ${reference}`).toBeLessThanOrEqual(1e-4 * Math.max(1, maxRef));
  }
}

function outSize(inSize: number, k: number, s: number, pad: Pad): number {
  return pad === 'same' ? Math.ceil(inSize / s) : Math.ceil((inSize - k + 1) / s);
}

function convInputs(c: Case) {
  const oh = outSize(c.h, c.k, c.s, c.pad);
  const ow = outSize(c.w, c.k, c.s, c.pad);
  const filterShape = [c.k, c.k, c.ci, c.co];
  return {
    x: { shape: [c.n, c.h, c.w, c.ci], values: randomValues(c.n * c.h * c.w * c.ci, 1) },
    dy: { shape: [c.n, oh, ow, c.co], values: randomValues(c.n * oh * ow * c.co, 2) },
    filter: { shape: filterShape, values: randomValues(c.k * c.k * c.ci * c.co, 3) },
    filterShape,
    common: { strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined },
  };
}

describe.skipIf(native === null)('native training kernels match the wasm kernels and the cpu backend', () => {
  let threadsBefore = 1;
  beforeAll(async () => {
    await initWasmBackend();
    threadsBefore = native!.threads();
    // Two threads even on one core: the split of work across threads is what these tests check.
    native!.setThreads(2);
  });
  afterAll(() => native!.setThreads(threadsBefore));

  it.each(CONV_CASES)('Conv2DBackpropFilter and Conv2DBackpropInput, n$n h$h w$w ci$ci co$co k$k s$s $pad', async (c) => {
    const { x, dy, filter, filterShape, common } = convInputs(c);
    await expectNativeMatches('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape });
    await expectNativeMatches('Conv2DBackpropInput', { dy, filter }, { ...common, inputShape: x.shape });
  });

  it.each(CONV_CASES)('Conv2D and FusedConv2D (bias, ReLU), n$n h$h w$w ci$ci co$co k$k s$s $pad', async (c) => {
    const { x, filter, common } = convInputs(c);
    const bias = { shape: [c.co], values: randomValues(c.co, 6) };
    const forward = { ...common, dilations: [1, 1] };
    await expectNativeMatches('Conv2D', { x, filter }, forward);
    await expectNativeMatches('FusedConv2D', { x, filter, bias }, { ...forward, activation: 'relu' });
    await expectNativeMatches('FusedConv2D', { x, filter }, { ...forward, activation: 'linear' });
    // Not handled natively (tfjs-wasm's kernel runs): still the same answer.
    await expectNativeMatches('FusedConv2D', { x, filter, bias }, { ...forward, activation: 'elu' });
  });

  it('Conv2D with dilation 2 (not native: tfjs-wasm runs it) gives the same answer', async () => {
    const { x, filter, common } = convInputs({ n: 2, h: 12, w: 13, ci: 16, co: 16, k: 3, s: 1, pad: 'same' });
    await expectNativeMatches('Conv2D', { x, filter }, { ...common, dilations: [2, 2] });
  });

  it.each(POOL_CASES)('MaxPoolGrad, n$n h$h w$w c$c k$k s$s $pad', async (c) => {
    const oh = outSize(c.h, c.k, c.s, c.pad);
    const ow = outSize(c.w, c.k, c.s, c.pad);
    const input = { shape: [c.n, c.h, c.w, c.c], values: randomValues(c.n * c.h * c.w * c.c, 4) };
    // Ties, as after a ReLU: the first maximum in the window must get the whole gradient.
    for (let i = 0; i < input.values.length; i += 3) input.values[i] = Math.max(input.values[i], 0);
    const dy = { shape: [c.n, oh, ow, c.c], values: randomValues(c.n * oh * ow * c.c, 5) };
    const output = { shape: dy.shape, values: new Float32Array(dy.values.length) };
    const attrs = { filterSize: [c.k, c.k], strides: [c.s, c.s], pad: c.pad };
    // Same argmax rule as the wasm kernel: bit-identical, not merely close.
    const actual = await runKernel('wasm+native', 'MaxPoolGrad', { dy, input, output }, attrs);
    const expected = await runKernel('wasm', 'MaxPoolGrad', { dy, input, output }, attrs);
    expect(Array.from(actual)).toEqual(Array.from(expected));
  });

  it.each([...POOL_CASES, { n: 2, h: 4, w: 5, c: 16, k: 1, s: 1, pad: 'valid' as Pad }, { n: 2, h: 13, w: 17, c: 16, k: 3, s: 2, pad: 'same' as Pad }])(
    'MaxPool, n$n h$h w$w c$c k$k s$s $pad: the same bits as tfjs-wasm (XNNPACK) and the cpu backend',
    async (c) => {
      const x = { shape: [c.n, c.h, c.w, c.c], values: randomValues(c.n * c.h * c.w * c.c, 7) };
      // Ties and infinities, as after a ReLU and at a saturated input.
      for (let i = 0; i < x.values.length; i += 3) x.values[i] = Math.max(x.values[i], 0);
      x.values[5] = Infinity;
      x.values[11] = -Infinity;
      const attrs = { filterSize: [c.k, c.k], strides: [c.s, c.s], pad: c.pad };
      const actual = await runKernel('wasm+native', 'MaxPool', { x }, attrs);
      expect(unwrapQueuedKernel(tf.getKernel('MaxPool', 'wasm')!.kernelFunc).name).toBe('maxPoolNative');
      for (const reference of ['wasm', 'cpu'] as const) {
        const expected = await runKernel(reference, 'MaxPool', { x }, attrs);
        expect(Array.from(actual), reference).toEqual(Array.from(expected));
      }
    },
  );

  const AVG_POOL_CASES = [
    // Covered by the addon: DenseNet's 2x2 / 2 transition (an odd edge left out), 3x3 / 3, 3x3 / 2 (overlapping: forward only), 1x3.
    { n: 3, h: 8, w: 11, c: 24, kh: 2, kw: 2, s: 2, pad: 'valid' as Pad, native: true, nativeGradient: true },
    { n: 2, h: 9, w: 9, c: 5, kh: 3, kw: 3, s: 3, pad: 'valid' as Pad, native: true, nativeGradient: true },
    { n: 2, h: 9, w: 7, c: 16, kh: 3, kw: 3, s: 2, pad: 'valid' as Pad, native: true, nativeGradient: false },
    { n: 1, h: 4, w: 9, c: 8, kh: 1, kw: 3, s: 3, pad: 'valid' as Pad, native: true, nativeGradient: true },
    // Not covered (padding used; 16 positions): tfjs-wasm's kernels run them.
    { n: 2, h: 7, w: 9, c: 4, kh: 2, kw: 2, s: 2, pad: 'same' as Pad, native: false, nativeGradient: false },
    { n: 1, h: 8, w: 8, c: 4, kh: 4, kw: 4, s: 4, pad: 'valid' as Pad, native: false, nativeGradient: false },
  ];

  it.each(AVG_POOL_CASES)('AvgPool and AvgPoolGrad, n$n h$h w$w c$c $kh x $kw / $s $pad: the bits of tfjs-wasm', async (c) => {
    const x = { shape: [c.n, c.h, c.w, c.c], values: randomValues(c.n * c.h * c.w * c.c, 11) };
    const attrs = { filterSize: [c.kh, c.kw], strides: [c.s, c.s], pad: c.pad };
    const forward = await runKernel('wasm+native', 'AvgPool', { x }, attrs);
    const oh = Math.round(forward.length / (c.n * c.c) / outSize(c.w, c.kw, c.s, c.pad));
    const dy = { shape: [c.n, oh, outSize(c.w, c.kw, c.s, c.pad), c.c], values: randomValues(forward.length, 12) };
    const gradient = await runKernel('wasm+native', 'AvgPoolGrad', { dy, input: x }, attrs);
    const calls = { forward: await addonCalls('AvgPool', { x }, attrs), gradient: await addonCalls('AvgPoolGrad', { dy, input: x }, attrs) };
    expect(Array.from(forward)).toEqual(Array.from(await runKernel('wasm', 'AvgPool', { x }, attrs)));
    expect(Array.from(gradient)).toEqual(Array.from(await runKernel('wasm', 'AvgPoolGrad', { dy, input: x }, attrs)));
    // The cpu backend sums in another order: close, not the same bits.
    const cpu = await runKernel('cpu', 'AvgPool', { x }, attrs);
    for (let i = 0; i < cpu.length; i++) expect(Math.abs(forward[i] - cpu[i])).toBeLessThanOrEqual(1e-6);
    // With the queue on (2 threads here) the addon hands out a ticket for each kernel it queues.
    expect(calls).toEqual({ forward: c.native ? 1 : 0, gradient: c.nativeGradient ? 1 : 0 });
  });

  it.each([
    { a: [5, 7], b: [7, 3], ta: false, tb: false },
    { a: [7, 5], b: [7, 3], ta: true, tb: false },
    { a: [5, 7], b: [3, 7], ta: false, tb: true },
    { a: [7, 5], b: [3, 7], ta: true, tb: true },
    // Dense-layer gradients (dW = x^T dy, dx = dy W^T), past one 256 block both ways.
    { a: [32, 300], b: [32, 270], ta: true, tb: false },
    { a: [32, 270], b: [300, 270], ta: false, tb: true },
    { a: [3, 4, 6], b: [3, 6, 5], ta: false, tb: false },
    { a: [3, 4, 6], b: [6, 5], ta: false, tb: false },
    { a: [1, 6, 4], b: [2, 3, 6, 5], ta: true, tb: false },
  ])('BatchMatMul $a x $b, transposeA $ta transposeB $tb', async ({ a, b, ta, tb }) => {
    const size = (s: number[]): number => s.reduce((x, y) => x * y, 1);
    await expectNativeMatches(
      'BatchMatMul',
      { a: { shape: a, values: randomValues(size(a), 8) }, b: { shape: b, values: randomValues(size(b), 9) } },
      { transposeA: ta, transposeB: tb },
    );
  });

  it('gives the same bits on every run with the same thread count', async () => {
    const c = CONV_CASES[CONV_CASES.length - 1];
    const { x, dy, filter, filterShape, common } = convInputs(c);
    const runs = [];
    for (let i = 0; i < 2; i++) {
      runs.push({
        dw: await runKernel('wasm+native', 'Conv2DBackpropFilter', { x, dy }, { ...common, filterShape }),
        dx: await runKernel('wasm+native', 'Conv2DBackpropInput', { dy, filter }, { ...common, inputShape: x.shape }),
      });
    }
    expect(Array.from(runs[1].dw)).toEqual(Array.from(runs[0].dw));
    expect(Array.from(runs[1].dx)).toEqual(Array.from(runs[0].dx));
  });

  it('trains a small net to the same weights twice (same seed, same engine)', async () => {
    const train = async (): Promise<Float32Array[]> => {
      await useEngine('wasm+native');
      expect(nativeKernelsRegistered()).toBe(true);
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [16, 20, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        ],
      });
      const xs = tf.tensor4d(randomValues(6 * 16 * 20, 7), [6, 16, 20, 1]);
      const ys = tf.tensor2d([0, 1, 0, 1, 1, 0], [6, 1]);
      const optimizer = tf.train.adam(1e-2);
      for (let step = 0; step < 3; step++) {
        optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar)?.dispose();
      }
      const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
      tf.dispose([xs, ys]);
      optimizer.dispose();
      model.dispose();
      return weights;
    };
    const first = await train();
    const second = await train();
    expect(second.map((w) => Array.from(w))).toEqual(first.map((w) => Array.from(w)));
  });
});

describe('without the native kernels', () => {
  it('LEADWISE_NATIVE_KERNELS=0 turns the addon off and the wasm kernels stay registered', async () => {
    expect(loadNativeKernels({ LEADWISE_NATIVE_KERNELS: '0' })).toEqual({ loaded: false, reason: 'LEADWISE_NATIVE_KERNELS=0' });
    await initWasmBackend();
    await tf.setBackend('wasm');
    registerWasmTrainingKernels({ native: null });
    expect(nativeKernelsRegistered()).toBe(false);
    const grad = tf.tidy(() => {
      const x = tf.tensor4d(randomValues(2 * 6 * 6 * 2, 9), [2, 6, 6, 2]);
      return tf.grad((input: tf.Tensor) => tf.conv2d(input as tf.Tensor4D, tf.ones([3, 3, 2, 4]) as tf.Tensor4D, 1, 'same').sum())(x).dataSync();
    });
    // Interior positions receive all 3 x 3 x 4 filter taps of weight one.
    expect(grad[(1 * 6 + 2) * 2 + 1]).toBeCloseTo(36, 4);
  });
});
