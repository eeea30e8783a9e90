import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNativeKernels, type NativeKernels } from './native-addon.ts';

/**
 * The element-wise kernels split over the thread pool (batch norm forward and backward, ReLU
 * gradient, Adam, concat/split, max-pool gradient): for each, the result on 1, 2 and 3 threads (and
 * on 2 with workers that sleep between jobs instead of spinning) must be the same bits (the task
 * split does not depend on the thread count) and must match a reference computed here in float64
 * (or float32 rounding per operation where the kernel promises tfjs's bits). Sizes above and below
 * the size under which a job stays on the caller (kMinParallelFloats, 2^17).
 * The convolution gradients too: the filter gradient's fixed task split (kFilterGradientTasks) now
 * makes its bits independent of the thread count as well.
 */
const status = loadNativeKernels({});
const native: NativeKernels | null = status.loaded ? status.kernels : null;
// One has idle workers sleep at once, so jobs also start and end through the condition variables;
// the last has every thread claim tasks from the front (LEADWISE_POOL_ENDS=0) rather than the
// workers from the back.
const THREAD_SETTINGS = [
  { threads: 1, spinUs: 200, ends: true },
  { threads: 2, spinUs: 200, ends: true },
  { threads: 3, spinUs: 200, ends: true },
  { threads: 2, spinUs: 0, ends: true },
  { threads: 2, spinUs: 200, ends: false },
];

/** Deterministic uniform values in [lo, hi) (a 32-bit LCG; Numerical Recipes constants). */
function randomValues(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (state / 2 ** 32);
  }
  return out;
}

/** Where two arrays first differ in their bits (NaN equal to the same NaN), or -1: one number, so a failure prints no huge diff. */
function firstDifference(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Math.min(actual.length, expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Runs `run` once per thread count; every output must have the same bits as on one thread. */
function sameOnEveryThreadCount(kernels: NativeKernels, run: () => Float32Array[]): Float32Array[] {
  let first: Float32Array[] | null = null;
  for (const { threads, spinUs, ends } of THREAD_SETTINGS) {
    kernels.setThreads(threads);
    kernels.setWorkerSpin(spinUs);
    kernels.setPoolEnds(ends);
    const outputs = run().map((o) => o.slice());
    if (!first) first = outputs;
    else
      outputs.forEach((o, i) =>
        expect(firstDifference(o, first![i]), `output ${i} on ${threads} threads, spin ${spinUs} us, ends ${ends}`).toBe(-1),
      );
  }
  kernels.setWorkerSpin(200);
  kernels.setPoolEnds(true);
  return first!;
}

function expectClose(actual: Float32Array, expected: ArrayLike<number>, relative: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst / scale, what).toBeLessThanOrEqual(relative);
}

describe.skipIf(!native)('native kernels split over threads', () => {
  const kernels = native!;
  let threadsBefore = 1;
  beforeAll(() => {
    threadsBefore = kernels.threads();
  });
  afterAll(() => kernels.setThreads(threadsBefore));

  // [rows, channels]: 20 chunks of 512 rows, a ragged last chunk of 170-row chunks, one below the size threshold.
  const BN_SHAPES: [number, number][] = [
    [10240, 16],
    [6001, 48],
    [700, 33],
  ];

  it.each(BN_SHAPES)('batch norm forward, %i rows x %i channels', (rows, channels) => {
    const x = randomValues(rows * channels, rows + channels, -2, 3);
    const gamma = randomValues(channels, 2, 0.5, 1.5);
    const beta = randomValues(channels, 3);
    const y = new Float32Array(x.length);
    const mean = new Float32Array(channels);
    const variance = new Float32Array(channels);
    const [yOut, meanOut, varianceOut] = sameOnEveryThreadCount(kernels, () => {
      kernels.batchNormTrainForward(x, gamma, beta, y, mean, variance, channels, 1e-3);
      return [y, mean, variance];
    });

    const refMean = new Float64Array(channels);
    const refVariance = new Float64Array(channels);
    for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) refMean[c] += x[r * channels + c] / rows;
    for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) refVariance[c] += (x[r * channels + c] - refMean[c]) ** 2 / rows;
    const refY = new Float64Array(x.length);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < channels; c++)
        refY[r * channels + c] = ((x[r * channels + c] - refMean[c]) * gamma[c]) / Math.sqrt(refVariance[c] + 1e-3) + beta[c];
    expectClose(meanOut, refMean, 1e-5, 'mean');
    expectClose(varianceOut, refVariance, 1e-5, 'variance');
    expectClose(yOut, refY, 1e-5, 'y');
  });

  it.each(BN_SHAPES)('batch norm backward, %i rows x %i channels, with gradients reaching the statistics', (rows, channels) => {
    const x = randomValues(rows * channels, rows + channels, -2, 3);
    const dy = randomValues(x.length, 7);
    const gamma = randomValues(channels, 2, 0.5, 1.5);
    const dmean = randomValues(channels, 8);
    const dvariance = randomValues(channels, 9);
    const mean = new Float32Array(channels);
    const variance = new Float32Array(channels);
    kernels.setThreads(1);
    kernels.batchNormTrainForward(x, gamma, new Float32Array(channels), new Float32Array(x.length), mean, variance, channels, 1e-3);
    const dx = new Float32Array(x.length);
    const dgamma = new Float32Array(channels);
    const dbeta = new Float32Array(channels);
    const [dxOut, dgammaOut, dbetaOut] = sameOnEveryThreadCount(kernels, () => {
      kernels.batchNormTrainBackward(x, dy, gamma, mean, variance, dmean, dvariance, dx, dgamma, dbeta, channels, 1e-3);
      return [dx, dgamma, dbeta];
    });

    // y = gamma xhat + beta with xhat = (x - mean) / s, s = sqrt(var + eps), mean and var of the batch:
    // dx = gamma / s (dy - mean(dy) - xhat mean(dy xhat)) + dmean / n + dvar 2 (x - mean) / n.
    const sumDy = new Float64Array(channels);
    const sumDyXhat = new Float64Array(channels);
    const s = Array.from(variance, (v) => Math.sqrt(v + 1e-3));
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < channels; c++) {
        const i = r * channels + c;
        sumDy[c] += dy[i];
        sumDyXhat[c] += (dy[i] * (x[i] - mean[c])) / s[c];
      }
    const refDx = new Float64Array(x.length);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < channels; c++) {
        const i = r * channels + c;
        const xhat = (x[i] - mean[c]) / s[c];
        refDx[i] =
          (gamma[c] / s[c]) * (dy[i] - sumDy[c] / rows - (xhat * sumDyXhat[c]) / rows) +
          dmean[c] / rows +
          (2 * dvariance[c] * (x[i] - mean[c])) / rows;
      }
    expectClose(dxOut, refDx, 1e-5, 'dx');
    expectClose(dgammaOut, sumDyXhat, 1e-5, 'dgamma');
    expectClose(dbetaOut, sumDy, 1e-5, 'dbeta');
  });

  it.each([300_001, 1_000])('ReLU gradient of %i values: dy where x > 0, NaN where x is NaN, else dy * 0 (signed zero)', (size) => {
    const y = randomValues(size, 11);
    y[5] = Number.NaN;
    y[6] = 0;
    const dy = randomValues(size, 12);
    const dx = new Float32Array(size);
    const [out] = sameOnEveryThreadCount(kernels, () => {
      kernels.reluGrad(dy, y, dx);
      return [dx];
    });
    const expected = Float32Array.from(y, (v, i) => (Number.isNaN(v) ? Number.NaN : v > 0 ? dy[i] : dy[i] * 0));
    expect(firstDifference(out, expected)).toBe(-1);
  });

  it.each([147_457, 9_216])('Adam over %i values: every operation rounded to float32 in tfjs order', (size) => {
    const value = randomValues(size, 13);
    const m = randomValues(size, 14, -0.1, 0.1);
    const v = randomValues(size, 15, 0, 0.01);
    const g = randomValues(size, 16);
    const f = Math.fround;
    const [beta1, beta2, lr, epsilon] = [0.9, 0.999, 1e-3, 1e-7];
    const scalars = Float32Array.of(beta1, 1 - beta1, beta2, 1 - beta2, 1 - beta1 ** 3, 1 - beta2 ** 3, epsilon, -lr);
    const out = [new Float32Array(size), new Float32Array(size), new Float32Array(size)];
    const [newValue, newM, newV] = sameOnEveryThreadCount(kernels, () => {
      kernels.adamUpdate(value, m, v, g, out[0], out[1], out[2], scalars);
      return out;
    });
    const [b1, nb1, b2, nb2, acc1, acc2, eps, nlr] = scalars;
    for (let i = 0; i < size; i += 97) {
      const mi = f(f(m[i] * b1) + f(g[i] * nb1));
      const vi = f(f(v[i] * b2) + f(f(g[i] * g[i]) * nb2));
      const step = f(f(f(mi / acc1) / f(f(Math.sqrt(f(vi / acc2))) + eps)) * nlr);
      expect([newM[i], newV[i], newValue[i]], `value ${i}`).toEqual([mi, vi, f(step + value[i])]);
    }
  });

  it.each([4096, 50])('concatenates and splits %i rows of 3 + 40 + 17 columns', (rows) => {
    const widths = [3, 40, 17];
    const parts = widths.map((w, i) => randomValues(rows * w, 20 + i));
    const wide = new Float32Array(rows * 60);
    const [joined] = sameOnEveryThreadCount(kernels, () => {
      kernels.copyColumns(wide, parts, rows, true);
      return [wide];
    });
    for (const r of [0, 1, rows - 1]) {
      expect(Array.from(joined.subarray(r * 60, r * 60 + 60))).toEqual([
        ...parts[0].subarray(r * 3, r * 3 + 3),
        ...parts[1].subarray(r * 40, r * 40 + 40),
        ...parts[2].subarray(r * 17, r * 17 + 17),
      ]);
    }
    const split = widths.map((w) => new Float32Array(rows * w));
    const back = sameOnEveryThreadCount(kernels, () => {
      kernels.copyColumns(joined, split, rows, false);
      return split;
    });
    back.forEach((part, i) => expect(firstDifference(part, parts[i]), `part ${i}`).toBe(-1));
  });

  it('max-pool gradient 3x3 / 2 over 8 images of 32 x 40 x 16: dy to the first maximum of each window', () => {
    const [n, h, w, c, k, stride] = [8, 32, 40, 16, 3, 2];
    const [oh, ow] = [h / 2, w / 2];
    // 'same' padding: one extra row and column at the bottom and right, none at the top and left.
    const x = randomValues(n * h * w * c, 30).map((v) => Math.round(v * 4) / 4);
    const dy = randomValues(n * oh * ow * c, 31);
    const dx = new Float32Array(x.length);
    const [out] = sameOnEveryThreadCount(kernels, () => {
      kernels.maxPoolGrad(x, dy, dx, Int32Array.of(n, h, w, c, oh, ow, k, k, stride, stride, 0, 0));
      return [dx];
    });
    const expected = new Float64Array(x.length);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let ch = 0; ch < c; ch++) {
            let at = -1;
            for (let di = 0; di < k; di++)
              for (let dj = 0; dj < k; dj++) {
                const [row, col] = [i * stride + di, j * stride + dj];
                if (row >= h || col >= w) continue;
                const index = ((b * h + row) * w + col) * c + ch;
                if (at < 0 || x[index] > x[at]) at = index;
              }
            expected[at] += dy[((b * oh + i) * ow + j) * c + ch];
          }
    expectClose(out, expected, 1e-6, 'dx');
  });

  // [batch, height, width, in channels, out channels, kernel, stride]: the filter gradient by tap
  // (fewer than 8 blocks of 256 positions), the direct one (16 output channels, 2,880 positions),
  // the GEMM's (8), and a stride-2 input gradient (GEMM, col2im).
  const CONV_SHAPES: [number, number, number, number, number, number, number][] = [
    [12, 10, 12, 8, 16, 3, 1],
    [24, 10, 12, 8, 16, 3, 1],
    [12, 10, 12, 8, 8, 3, 1],
    [24, 10, 12, 16, 8, 3, 1],
    [12, 10, 12, 8, 16, 3, 2],
  ];

  it.each(CONV_SHAPES)('conv gradients, batch %i of %ix%ix%i, %i filters %ix%i / %i, "same" padding', (n, h, w, ci, co, k, stride) => {
    const [oh, ow] = [Math.ceil(h / stride), Math.ceil(w / stride)];
    const padTop = Math.floor(Math.max((oh - 1) * stride + k - h, 0) / 2);
    const padLeft = Math.floor(Math.max((ow - 1) * stride + k - w, 0) / 2);
    const shape = Int32Array.of(n, h, w, ci, oh, ow, co, k, k, stride, stride, padTop, padLeft);
    const x = randomValues(n * h * w * ci, 40);
    const dy = randomValues(n * oh * ow * co, 41);
    const filter = randomValues(k * k * ci * co, 42);
    const dw = new Float32Array(filter.length);
    const dx = new Float32Array(x.length);
    const [dwOut, dxOut] = sameOnEveryThreadCount(kernels, () => {
      kernels.conv2dBackpropFilter(x, dy, dw, shape);
      kernels.conv2dBackpropInput(dy, filter, dx, shape);
      return [dw, dx];
    });

    const refDw = new Float64Array(dw.length);
    const refDx = new Float64Array(dx.length);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const [row, col] = [i * stride + ky - padTop, j * stride + kx - padLeft];
              if (row < 0 || row >= h || col < 0 || col >= w) continue;
              for (let c = 0; c < ci; c++)
                for (let o = 0; o < co; o++) {
                  const xi = ((b * h + row) * w + col) * ci + c;
                  const g = dy[((b * oh + i) * ow + j) * co + o];
                  const wi = ((ky * k + kx) * ci + c) * co + o;
                  refDw[wi] += x[xi] * g;
                  refDx[xi] += filter[wi] * g;
                }
            }
    expectClose(dwOut, refDw, 1e-5, 'dw');
    expectClose(dxOut, refDx, 1e-5, 'dx');
  });
});
