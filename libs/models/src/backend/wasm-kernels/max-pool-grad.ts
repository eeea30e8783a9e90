import {
  backend_util,
  MaxPoolGrad,
  type KernelConfig,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { heapF32, shape4, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * dx of max pooling: each window's dy goes to the first position (row-major within the window)
 * holding the window's maximum, as tfjs's cpu backend and TensorFlow do. One pass over the input
 * in JS on the wasm heap, channels innermost so that reads are sequential; the stock wasm kernel
 * revisits every window once per input position and was the second-largest cost of a training step.
 */
export function maxPoolGradScatter(args: WasmKernelArgs): TensorInfo {
  const { backend } = args;
  const dy = args.inputs['dy'] as TensorInfo;
  const input = args.inputs['input'] as TensorInfo;
  const attrs = args.attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(
    shape4(input, 'MaxPoolGrad input'),
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;

  const out = backend.makeOutput(input.shape, 'float32');
  const dx = heapF32(backend, out);
  const x = heapF32(backend, input);
  const g = heapF32(backend, dy);
  dx.fill(0);
  const best = new Float32Array(c);
  const bestAt = new Int32Array(c);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = Math.max(oh * strideHeight - top, 0);
      const h1 = Math.min(oh * strideHeight - top + filterHeight, inHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = Math.max(ow * strideWidth - left, 0);
        const w1 = Math.min(ow * strideWidth - left + filterWidth, inWidth);
        best.fill(-Infinity);
        bestAt.fill(-1);
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const base = ((b * inHeight + h) * inWidth + w) * c;
            for (let k = 0; k < c; k++) {
              const v = x[base + k];
              if (v > best[k]) {
                best[k] = v;
                bestAt[k] = base + k;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * c;
        for (let k = 0; k < c; k++) {
          const at = bestAt[k];
          if (at >= 0) dx[at] += g[dyBase + k];
        }
      }
    }
  }
  return out;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradScatter as unknown as KernelFunc,
};
