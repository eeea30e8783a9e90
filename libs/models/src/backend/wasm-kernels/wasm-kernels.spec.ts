import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../select-backend.ts';
import { registerWasmTrainingKernels } from './register.ts';

/**
 * Each kernel is checked against tfjs's cpu backend (the reference: plain loops, no shortcuts) on
 * random inputs over many shapes, strides and paddings. The error is measured relative to the
 * largest reference value, since sums over thousands of products lose absolute precision in float32.
 */

type Pad = 'same' | 'valid' | number[][];
interface Case {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly ci: number;
  readonly co: number;
  readonly k: [number, number];
  readonly s: [number, number];
  readonly pad: Pad;
}

const CONV_CASES: Case[] = [
  { n: 2, h: 8, w: 8, ci: 3, co: 4, k: [3, 3], s: [1, 1], pad: 'same' },
  { n: 2, h: 8, w: 8, ci: 3, co: 4, k: [3, 3], s: [1, 1], pad: 'valid' },
  { n: 3, h: 9, w: 7, ci: 2, co: 5, k: [3, 3], s: [2, 2], pad: 'same' },
  { n: 3, h: 9, w: 7, ci: 2, co: 5, k: [3, 3], s: [2, 2], pad: 'valid' },
  { n: 2, h: 10, w: 11, ci: 4, co: 3, k: [3, 3], s: [2, 2], pad: 'valid' },
  { n: 1, h: 12, w: 12, ci: 3, co: 8, k: [7, 7], s: [2, 2], pad: 'same' },
  { n: 2, h: 6, w: 13, ci: 1, co: 4, k: [3, 3], s: [1, 1], pad: 'same' },
  { n: 2, h: 8, w: 8, ci: 6, co: 1, k: [1, 1], s: [1, 1], pad: 'valid' },
  { n: 2, h: 8, w: 8, ci: 6, co: 4, k: [1, 1], s: [2, 2], pad: 'same' },
  { n: 2, h: 9, w: 9, ci: 5, co: 3, k: [1, 1], s: [2, 2], pad: 'valid' },
  { n: 2, h: 7, w: 10, ci: 3, co: 2, k: [2, 3], s: [1, 2], pad: 'same' },
  { n: 2, h: 11, w: 9, ci: 2, co: 3, k: [5, 3], s: [3, 2], pad: 'same' },
  { n: 1, h: 8, w: 9, ci: 2, co: 3, k: [3, 3], s: [3, 3], pad: 'valid' },
  {
    n: 2,
    h: 7,
    w: 7,
    ci: 2,
    co: 3,
    k: [3, 3],
    s: [1, 1],
    pad: [
      [0, 0],
      [2, 0],
      [1, 2],
      [0, 0],
    ],
  },
  {
    n: 2,
    h: 8,
    w: 8,
    ci: 2,
    co: 3,
    k: [3, 3],
    s: [2, 2],
    pad: [
      [0, 0],
      [1, 1],
      [0, 2],
      [0, 0],
    ],
  },
  // Padding larger than the filter: the input gradient's stride phases would need dy cropped,
  // so it takes the zero-dilated path.
  {
    n: 2,
    h: 9,
    w: 9,
    ci: 2,
    co: 3,
    k: [3, 3],
    s: [2, 2],
    pad: [
      [0, 0],
      [3, 1],
      [2, 0],
      [0, 0],
    ],
  },
  { n: 2, h: 8, w: 16, ci: 8, co: 16, k: [3, 3], s: [1, 1], pad: 'same' },
  // Large enough that the filter gradient splits the batch into groups of 8 and sums them (and
  // cheap for the cpu reference: one input channel).
  { n: 32, h: 16, w: 16, ci: 1, co: 32, k: [3, 3], s: [1, 1], pad: 'same' },
  { n: 16, h: 32, w: 32, ci: 1, co: 64, k: [1, 1], s: [2, 2], pad: 'same' },
];

const POOL_CASES: { n: number; h: number; w: number; c: number; k: [number, number]; s: [number, number]; pad: Pad }[] = [
  { n: 2, h: 8, w: 8, c: 3, k: [2, 2], s: [2, 2], pad: 'valid' },
  { n: 2, h: 9, w: 7, c: 4, k: [2, 2], s: [2, 2], pad: 'same' },
  { n: 2, h: 9, w: 9, c: 2, k: [3, 3], s: [2, 2], pad: 'same' },
  { n: 1, h: 10, w: 10, c: 5, k: [3, 3], s: [1, 1], pad: 'same' },
  { n: 2, h: 7, w: 11, c: 3, k: [3, 2], s: [2, 3], pad: 'valid' },
  { n: 3, h: 16, w: 16, c: 16, k: [2, 2], s: [2, 2], pad: 'same' },
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

interface RawTensor {
  readonly shape: number[];
  readonly values: Float32Array;
}

/** Runs one kernel on one backend from raw inputs; returns the result's values and shape. */
async function runKernelOn(
  backend: 'cpu' | 'wasm',
  kernel: string,
  inputs: Record<string, RawTensor>,
  attrs: Record<string, unknown>,
): Promise<RawTensor> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
  const out = tf.engine().runKernel(kernel, tensors, attrs as never) as tf.Tensor;
  const result = { shape: out.shape, values: out.dataSync() as Float32Array };
  tf.dispose([out, ...Object.values(tensors)]);
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

/** Largest absolute error against the cpu backend, and the largest |reference value| it is judged against. */
interface ErrorReport {
  readonly maxAbs: number;
  readonly maxRef: number;
}

async function compare(
  kernel: string,
  inputs: Record<string, RawTensor>,
  attrs: Record<string, unknown>,
): Promise<ErrorReport> {
  const expected = await runKernelOn('cpu', kernel, inputs, attrs);
  const actual = await runKernelOn('wasm', kernel, inputs, attrs);
  expect(actual.shape).toEqual(expected.shape);
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.values.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(actual.values[i] - expected.values[i]));
    maxRef = Math.max(maxRef, Math.abs(expected.values[i]));
  }
  expect(Number.isFinite(maxAbs)).toBe(true);
  expect(maxAbs).toBeLessThanOrEqual(1e-4 * Math.max(1, maxRef));
  return { maxAbs, maxRef };
}

function outSize(inSize: number, k: number, s: number, pad: Pad, before: number, after: number): number {
  if (pad === 'same') return Math.ceil(inSize / s);
  if (pad === 'valid') return Math.ceil((inSize - k + 1) / s);
  return Math.floor((inSize + before + after - k) / s) + 1;
}

function describeCase(c: { n: number; h: number; w: number; k: number[]; s: number[]; pad: Pad }): string {
  return `${c.n}x${c.h}x${c.w} k${c.k.join('x')} s${c.s.join('x')} ${typeof c.pad === 'string' ? c.pad : JSON.stringify(c.pad)}`;
}

const maxErrors: Record<string, ErrorReport> = {};

describe('wasm training kernels match the cpu backend', () => {
  beforeAll(async () => {
    await initWasmBackend();
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  it.each(CONV_CASES)('Conv2DBackpropFilter and Conv2DBackpropInput, %#', async (c) => {
    const padH = Array.isArray(c.pad) ? c.pad[1] : [0, 0];
    const padW = Array.isArray(c.pad) ? c.pad[2] : [0, 0];
    const oh = outSize(c.h, c.k[0], c.s[0], c.pad, padH[0], padH[1]);
    const ow = outSize(c.w, c.k[1], c.s[1], c.pad, padW[0], padW[1]);
    const x = { shape: [c.n, c.h, c.w, c.ci], values: randomValues(c.n * c.h * c.w * c.ci, 1) };
    const dy = { shape: [c.n, oh, ow, c.co], values: randomValues(c.n * oh * ow * c.co, 2) };
    const filterShape = [c.k[0], c.k[1], c.ci, c.co];
    const filter = { shape: filterShape, values: randomValues(filterShape.reduce((a, b) => a * b), 3) };
    const common = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    const dwErr = await compare('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape });
    const dxErr = await compare('Conv2DBackpropInput', { dy, filter }, { ...common, inputShape: x.shape });
    maxErrors[`Conv2DBackpropFilter ${describeCase(c)}`] = dwErr;
    maxErrors[`Conv2DBackpropInput ${describeCase(c)}`] = dxErr;
  });

  it.each(POOL_CASES)('MaxPoolGrad, %#', async (c) => {
    const oh = outSize(c.h, c.k[0], c.s[0], c.pad, 0, 0);
    const ow = outSize(c.w, c.k[1], c.s[1], c.pad, 0, 0);
    const input = { shape: [c.n, c.h, c.w, c.c], values: randomValues(c.n * c.h * c.w * c.c, 4) };
    // Ties, as after a ReLU: the first maximum in the window must get the whole gradient.
    for (let i = 0; i < input.values.length; i += 3) input.values[i] = Math.max(input.values[i], 0);
    const dy = { shape: [c.n, oh, ow, c.c], values: randomValues(c.n * oh * ow * c.c, 5) };
    await tf.setBackend('cpu');
    const output = tf.tidy(() => {
      const y = tf.maxPool(tf.tensor4d(input.values, input.shape as [number, number, number, number]), c.k, c.s, c.pad as 'same');
      return { shape: y.shape, values: y.dataSync() as Float32Array };
    });
    expect(output.shape).toEqual(dy.shape);
    const err = await compare('MaxPoolGrad', { dy, input, output }, { filterSize: c.k, strides: c.s, pad: c.pad });
    maxErrors[`MaxPoolGrad ${describeCase({ ...c, k: c.k })}`] = err;
  });

  it.each([
    { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: false },
    { shape: [4, 5, 6, 7], axis: [1, 2], keepDims: true },
    { shape: [4, 5, 6, 7], axis: [0], keepDims: false },
    { shape: [4, 5, 6, 7], axis: [3], keepDims: false },
    { shape: [4, 5, 6, 7], axis: [0, 2], keepDims: false },
    { shape: [64, 3], axis: [0], keepDims: true },
    { shape: [3, 2000, 5], axis: [1], keepDims: false },
    { shape: [2, 1, 3], axis: [1], keepDims: false },
  ])('Sum and Mean over $axis of $shape', async ({ shape, axis, keepDims }) => {
    const x = { shape, values: randomValues(shape.reduce((a, b) => a * b), 6) };
    maxErrors[`Sum ${shape.join('x')} axis ${axis.join(',')}`] = await compare('Sum', { x }, { axis, keepDims });
    maxErrors[`Mean ${shape.join('x')} axis ${axis.join(',')}`] = await compare('Mean', { x }, { axis, keepDims });
  });

  it.each([
    { shape: [1, 1, 1, 5], reps: [3, 4, 6, 1] },
    { shape: [1, 7], reps: [5, 3] },
    { shape: [2, 3], reps: [3, 1] },
    { shape: [2, 3], reps: [1, 3] },
    { shape: [2, 1, 3], reps: [2, 4, 2] },
    // Per-slice repeats: the global-average-pooling gradient, and an inner axis.
    { shape: [4, 1, 1, 6], reps: [1, 3, 5, 1] },
    { shape: [3, 1, 2], reps: [1, 4, 1] },
    { shape: [3, 2, 1, 1, 2], reps: [1, 1, 2, 3, 1] },
    { shape: [2, 3], reps: [1, 1] },
  ])('Tile $shape by $reps', async ({ shape, reps }) => {
    const x = { shape, values: randomValues(shape.reduce((a, b) => a * b), 7) };
    maxErrors[`Tile ${shape.join('x')} by ${reps.join(',')}`] = await compare('Tile', { x }, { reps });
  });

  it('Identity and same-dtype Cast share the buffer; other casts convert', async () => {
    const x = { shape: [2, 3], values: Float32Array.from([1.5, -2.25, 3, 0, 7.75, -1]) };
    maxErrors['Identity 2x3'] = await compare('Identity', { x }, {});
    maxErrors['Cast float32 2x3'] = await compare('Cast', { x }, { dtype: 'float32' });
    await tf.setBackend('wasm');
    const t = tf.tensor(x.values, x.shape);
    const asInt = tf.cast(t, 'int32');
    const copy = tf.clone(t);
    t.dispose();
    // The clone outlives its source: the shared buffer is freed only with the last reference.
    expect(Array.from(copy.dataSync())).toEqual(Array.from(x.values));
    expect(Array.from(asInt.dataSync())).toEqual([1, -2, 3, 0, 7, -1]);
    tf.dispose([asInt, copy]);
  });

  it.each([
    { shape: [2, 5, 6, 7], stats: [7], withAffine: true },
    { shape: [2, 5, 6, 7], stats: [1, 1, 1, 7], withAffine: false },
    { shape: [30, 4], stats: [4], withAffine: true },
    { shape: [2, 3, 4], stats: [2, 3, 4], withAffine: true },
  ])('FusedBatchNorm of $shape with statistics $stats', async ({ shape, stats, withAffine }) => {
    const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
    const x = { shape, values: randomValues(size(shape), 8) };
    const mean = { shape: stats, values: randomValues(size(stats), 9) };
    // Variances in [0.05, 1.05): positive, some small enough to magnify rounding.
    const variance = { shape: stats, values: randomValues(size(stats), 10).map((v) => 0.55 + v / 2) };
    const affine: Record<string, RawTensor> = withAffine
      ? { offset: { shape: stats, values: randomValues(size(stats), 11) }, scale: { shape: stats, values: randomValues(size(stats), 12) } }
      : {};
    maxErrors[`FusedBatchNorm ${shape.join('x')}`] = await compare(
      'FusedBatchNorm',
      { x, mean, variance, ...affine },
      { varianceEpsilon: 1e-5 },
    );
  });

  it('reports the largest error per kernel', () => {
    const worst: Record<string, { maxAbs: number; relative: number }> = {};
    for (const [key, err] of Object.entries(maxErrors)) {
      const kernel = key.split(' ')[0];
      const previous = worst[kernel] ?? { maxAbs: 0, relative: 0 };
      worst[kernel] = {
        maxAbs: Math.max(previous.maxAbs, err.maxAbs),
        relative: Math.max(previous.relative, err.maxAbs / Math.max(err.maxRef, 1e-30)),
      };
    }
    console.info('max abs error vs cpu backend (and relative to the largest reference value)', worst);
    expect(Object.keys(worst).sort()).toEqual(['Cast', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'FusedBatchNorm', 'Identity', 'MaxPoolGrad', 'Mean', 'Sum', 'Tile']);
  });
});
