import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { dilateAndPad, heapF32, release, runWasmKernel, shape4, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * dx of a 2-D convolution, computed with forward convolutions (XNNPACK) instead of tfjs-wasm's
 * scalar loop: dx = conv2d(dy, filter rotated 180 degrees with its in/out channels swapped),
 * stride 1, padded so that the output has the input's size.
 *
 * Derivation, per spatial axis: y[o] = sum_k x[o*s + k - padBefore] w[k], so
 * dx[i] = sum_{o, k : o*s + k - padBefore = i} dy[o] w[k]. With stride 1 that is one correlation of
 * dy with the rotated filter. With stride s the positions i fall into s phases by
 * (i + padBefore) mod s; each phase is a stride-1 correlation of dy with the taps of its residue
 * (polyphase), and the phases are interleaved into dx. Where a phase would need dy cropped, dy is
 * instead spread out by the stride (zeros between) and correlated with the whole rotated filter.
 */
export function conv2DBackpropInputViaConv(args: WasmKernelArgs): TensorInfo {
  const { backend } = args;
  const dy = args.inputs['dy'] as TensorInfo;
  const filter = args.inputs['filter'] as TensorInfo;
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (dataFormat !== 'channelsLast') throw new Error('wasm Conv2DBackpropInput supports NHWC only');
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape,
    shape4(filter, 'Conv2DBackpropInput filter'),
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  if (info.strideHeight > 1 || info.strideWidth > 1) {
    const rows = phases(info.filterHeight, info.strideHeight, info.inHeight, info.outHeight, info.padInfo.top);
    const cols = phases(info.filterWidth, info.strideWidth, info.inWidth, info.outWidth, info.padInfo.left);
    if (rows && cols) return polyphaseBackpropInput(backend, dy, filter, info, rows, cols);
  }
  return dilatedBackpropInput(backend, dy, filter, info);
}

/**
 * One residue class of a strided convolution along one axis: the input positions i with
 * (i + padBefore) mod stride = r receive gradient only from the taps k = r, r + s, r + 2s, ...
 */
interface Phase {
  /** The taps of this phase, last first (the sub-filter rotated). */
  readonly taps: number[];
  /** First input position of the phase; the others follow every `stride`. */
  readonly first: number;
  readonly count: number;
  readonly padBefore: number;
  readonly padAfter: number;
}

/**
 * Splits a strided axis into its stride phases, each a stride-1 correlation of dy with a sub-filter,
 * so that the zeros a dilated dy would hold are never multiplied (a stride-2 3x3 backward pass does
 * a quarter of the work). Null when some phase would need dy cropped (then the dilated form runs).
 */
function phases(kernel: number, stride: number, inSize: number, outSize: number, padBefore: number): Phase[] | null {
  const out: Phase[] = [];
  for (let r = 0; r < stride; r++) {
    const first = (((r - padBefore) % stride) + stride) % stride;
    const count = first < inSize ? Math.ceil((inSize - first) / stride) : 0;
    const tapCount = r < kernel ? Math.ceil((kernel - r) / stride) : 0;
    const taps = Array.from({ length: tapCount }, (_, m) => r + (tapCount - 1 - m) * stride);
    const q0 = (first + padBefore - r) / stride;
    const before = tapCount - 1 - q0;
    const after = count + tapCount - 1 - before - outSize;
    if (tapCount > 0 && count > 0 && (before < 0 || after < 0)) return null;
    out.push({ taps, first, count, padBefore: before, padAfter: after });
  }
  return out;
}

function polyphaseBackpropInput(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  rows: Phase[],
  cols: Phase[],
): TensorInfo {
  const { batchSize: n, inHeight, inWidth, inChannels: ci } = info;
  const dx = backend.makeOutput([n, inHeight, inWidth, ci], 'float32');
  heapF32(backend, dx).fill(0);
  for (const row of rows) {
    for (const col of cols) {
      if (row.taps.length === 0 || col.taps.length === 0 || row.count === 0 || col.count === 0) continue;
      const subFilter = swappedSubFilter(backend, filter, row.taps, col.taps);
      const part = runWasmKernel(
        'Conv2D',
        backend,
        { x: dy, filter: subFilter },
        {
          strides: [1, 1],
          pad: [
            [0, 0],
            [row.padBefore, row.padAfter],
            [col.padBefore, col.padAfter],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          dilations: [1, 1],
          dimRoundingMode: undefined,
        } as never,
      );
      release(backend, subFilter);
      // Scatter the phase's rows and columns into their places, every stride-th position of dx.
      const src = heapF32(backend, part);
      const dst = heapF32(backend, dx);
      const sh = info.strideHeight;
      const sw = info.strideWidth;
      for (let b = 0; b < n; b++) {
        for (let u = 0; u < row.count; u++) {
          const srcRow = (b * row.count + u) * col.count * ci;
          const dstRow = (b * inHeight + row.first + u * sh) * inWidth * ci;
          for (let v = 0; v < col.count; v++) {
            const s0 = srcRow + v * ci;
            const d0 = dstRow + (col.first + v * sw) * ci;
            for (let k = 0; k < ci; k++) dst[d0 + k] = src[s0 + k];
          }
        }
      }
      release(backend, part);
    }
  }
  return dx;
}

/** The taps (rows x cols) of a [kh, kw, in, out] filter as [rows, cols, out, in]. */
function swappedSubFilter(backend: BackendWasm, filter: TensorInfo, rowTaps: number[], colTaps: number[]): TensorInfo {
  const [, kw, ci, co] = shape4(filter, 'filter');
  const out = backend.makeOutput([rowTaps.length, colTaps.length, co, ci], 'float32');
  const dst = heapF32(backend, out);
  const src = heapF32(backend, filter);
  for (let i = 0; i < rowTaps.length; i++) {
    for (let j = 0; j < colTaps.length; j++) {
      const s0 = (rowTaps[i] * kw + colTaps[j]) * ci * co;
      const d0 = (i * colTaps.length + j) * co * ci;
      for (let a = 0; a < ci; a++) {
        for (let b = 0; b < co; b++) dst[d0 + b * ci + a] = src[s0 + a * co + b];
      }
    }
  }
  return out;
}

/** Stride 1 (any padding), or a stride whose phases would need dy cropped: zero-dilate dy. */
function dilatedBackpropInput(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const padTop = info.filterHeight - 1 - info.padInfo.top;
  const padLeft = info.filterWidth - 1 - info.padInfo.left;
  const padBottom = info.inHeight - (info.outHeight - 1) * info.strideHeight - 1 + info.padInfo.top;
  const padRight = info.inWidth - (info.outWidth - 1) * info.strideWidth - 1 + info.padInfo.left;

  const rotated = rotateFilter(backend, filter);
  const direct =
    info.strideHeight === 1 && info.strideWidth === 1 && Math.min(padTop, padLeft, padBottom, padRight) >= 0;
  const input = direct
    ? dy
    : dilateAndPad(backend, dy, info.strideHeight, info.strideWidth, {
        top: padTop,
        bottom: padBottom,
        left: padLeft,
        right: padRight,
      });
  const pad = direct
    ? [
        [0, 0],
        [padTop, padBottom],
        [padLeft, padRight],
        [0, 0],
      ]
    : 'valid';
  const dx = runWasmKernel(
    'Conv2D',
    backend,
    { x: input, filter: rotated },
    { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined } as never,
  );
  release(backend, rotated);
  if (!direct) release(backend, input);
  return dx;
}

/** [kh, kw, in, out] -> [kh, kw, out, in], rotated 180 degrees in (kh, kw). Filters are small: plain JS. */
function rotateFilter(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const [kh, kw, ci, co] = shape4(filter, 'filter');
  const out = backend.makeOutput([kh, kw, co, ci], 'float32');
  const dst = heapF32(backend, out);
  const src = heapF32(backend, filter);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s0 = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
      const d0 = (i * kw + j) * co * ci;
      for (let a = 0; a < ci; a++) {
        for (let b = 0; b < co; b++) dst[d0 + b * ci + a] = src[s0 + a * co + b];
      }
    }
  }
  return out;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputViaConv as unknown as KernelFunc,
};
