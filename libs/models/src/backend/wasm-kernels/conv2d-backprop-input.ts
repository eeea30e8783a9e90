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
 * dx of a 2-D convolution, computed as a forward convolution (XNNPACK) instead of tfjs-wasm's
 * scalar loop: dx = conv2d(dy spread out by the stride and padded, filter rotated 180 degrees with
 * its in/out channels swapped), stride 1.
 *
 * Derivation, per spatial axis: y[o] = sum_k x[o*s + k - padBefore] w[k], so
 * dx[i] = sum_k dyDilated[i + padBefore - k] w[k] = sum_k' dyPadded[i + k'] w[K-1-k'], with
 * dyDilated[o*s] = dy[o] and dyPadded = dyDilated shifted by K-1-padBefore.
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
