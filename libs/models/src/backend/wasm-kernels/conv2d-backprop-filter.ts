import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {
  cropHW,
  heapF32,
  release,
  releaseSubView,
  reshapeView,
  runWasmKernel,
  shape4,
  subView,
  transpose,
  type WasmKernelArgs,
} from './kernel-utils.ts';

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

  const pad = [
    [0, 0],
    [top, Math.max(bottom, 0)],
    [left, Math.max(right, 0)],
    [0, 0],
  ];
  const convAttrs = {
    strides: [1, 1],
    pad,
    dataFormat: 'NHWC',
    dilations: [info.strideHeight, info.strideWidth],
    dimRoundingMode: undefined,
  } as never;
  // The batch is the reduction axis of this convolution: tens of thousands of positions per filter
  // tap. XNNPACK does not block that axis, so each output tile streams the whole packed filter from
  // L3; splitting the batch into groups whose filter fits in L2 and summing the partial results is
  // about a third faster. The group layouts come from one transpose each: x -> [g, ci, H, W, n/g],
  // dy -> [g, oh, ow, n/g, co], so that every group is a contiguous slice.
  const n = info.batchSize;
  const groups = chooseBatchGroups(n, info.outHeight * info.outWidth * co);
  const perGroup = n / groups;
  const xGrouped = transpose(backend, reshapeViewNoRef(x, [groups, perGroup, info.inHeight, info.inWidth, ci]), [0, 4, 2, 3, 1]);
  const dyGrouped = transpose(backend, reshapeViewNoRef(dy, [groups, perGroup, info.outHeight, info.outWidth, co]), [0, 2, 3, 1, 4]);
  const xGroupSize = ci * info.inHeight * info.inWidth * perGroup;
  const dyGroupSize = info.outHeight * info.outWidth * perGroup * co;
  let full: TensorInfo | null = null;
  for (let g = 0; g < groups; g++) {
    const xg = subView(backend, xGrouped, g * xGroupSize, [ci, info.inHeight, info.inWidth, perGroup]);
    const dyg = subView(backend, dyGrouped, g * dyGroupSize, [info.outHeight, info.outWidth, perGroup, co]);
    const partial = runWasmKernel('Conv2D', backend, { x: xg, filter: dyg }, convAttrs);
    releaseSubView(backend, xg);
    releaseSubView(backend, dyg);
    if (full === null) full = partial;
    else {
      const acc = heapF32(backend, full);
      const add = heapF32(backend, partial);
      for (let i = 0; i < acc.length; i++) acc[i] += add[i];
      release(backend, partial);
    }
  }
  release(backend, xGrouped, dyGrouped);
  if (full === null) throw new Error('Conv2DBackpropFilter: empty batch');
  const cropped = cropHW(backend, full, kh, kw);
  release(backend, full);
  // [ci, kh, kw, co] -> [kh, kw, ci, co]; with one input channel that is only a new shape.
  const dw = ci === 1 ? reshapeView(backend, cropped, [kh, kw, ci, co]) : transpose(backend, cropped, [1, 2, 0, 3]);
  release(backend, cropped);
  return dw;
}

/** A reshape without a new reference, for an input handed straight to another kernel. */
function reshapeViewNoRef(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/**
 * Groups of the batch for the filter-gradient convolution: one when the whole packed filter
 * (outH * outW * co floats per image) stays near 1 MiB, else groups of at most 8 images (fewer
 * images per group shortens XNNPACK's inner loop over them and stops paying off).
 */
function chooseBatchGroups(batch: number, floatsPerImage: number): number {
  if (batch * floatsPerImage <= 256 * 1024) return 1;
  let perGroup = Math.min(8, batch);
  while (batch % perGroup !== 0) perGroup--;
  return batch / perGroup;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterViaConv as unknown as KernelFunc,
};
