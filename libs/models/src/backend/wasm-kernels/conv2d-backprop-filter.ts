import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { cropHW, release, reshapeView, runWasmKernel, shape4, transpose, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * dW of a 2-D convolution, which tfjs-wasm does not have (tfjs issue #8474), as one forward
 * convolution (XNNPACK): the input's channels become the batch, its batch becomes the channels, and
 * dy (batch as in-channels) is the filter, applied with dilation = the forward stride.
 *
 * dW[kh, kw, ci, co] = sum_{n, oh, ow} x[n, oh*s + kh - padTop, ow*s + kw - padLeft, ci] * dy[n, oh, ow, co]
 *                    = conv2d(x^T [ci, H, W, n], dy^T [oh, ow, n, co], dilation s)[ci, kh, kw, co].
 */
export function conv2DBackpropFilterViaConv(args: WasmKernelArgs): TensorInfo {
  const { backend } = args;
  const x = args.inputs['x'] as TensorInfo;
  const dy = args.inputs['dy'] as TensorInfo;
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (dataFormat !== 'channelsLast') throw new Error('wasm Conv2DBackpropFilter supports NHWC only');
  const info = backend_util.computeConv2DInfo(
    shape4(x, 'Conv2DBackpropFilter x'),
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  const { top, left } = info.padInfo;
  // Padding after the input so that the correlation yields exactly kh x kw; when negative (a
  // 'valid' conv whose stride leaves input rows unused) the extra output rows are cropped instead.
  const bottom = kh + (info.outHeight - 1) * info.strideHeight - info.inHeight - top;
  const right = kw + (info.outWidth - 1) * info.strideWidth - info.inWidth - left;

  const xIn = transpose(backend, x, [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  const full = runWasmKernel(
    'Conv2D',
    backend,
    { x: xIn, filter: dyT },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, Math.max(bottom, 0)],
        [left, Math.max(right, 0)],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth],
      dimRoundingMode: undefined,
    } as never,
  );
  release(backend, xIn, dyT);
  const cropped = cropHW(backend, full, kh, kw);
  release(backend, full);
  // [ci, kh, kw, co] -> [kh, kw, ci, co]; with one input channel that is only a new shape.
  const dw = ci === 1 ? reshapeView(backend, cropped, [kh, kw, ci, co]) : transpose(backend, cropped, [1, 2, 0, 3]);
  release(backend, cropped);
  return dw;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterViaConv as unknown as KernelFunc,
};
