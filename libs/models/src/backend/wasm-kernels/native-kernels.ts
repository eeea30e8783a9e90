import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  AvgPool,
  AvgPoolGrad,
  MaxPool,
  MaxPoolGrad,
  type Conv2DBackpropFilterAttrs,
  type Conv2DAttrs,
  type Conv2DBackpropInputAttrs,
  FusedConv2D,
  type FusedConv2DAttrs,
  type KernelConfig,
  type KernelFunc,
  type AvgPoolAttrs,
  type AvgPoolGradAttrs,
  type MaxPoolAttrs,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { NativeKernels } from '@leadwise/native-kernels';
import { nativeBatchNormTrainingConfigs } from './batch-norm-training.ts';
import { nativeReluGradConfig } from './relu-gradient.ts';
import { nativeAdamConfig } from './adam.ts';
import { nativeConcatSplitConfigs } from './concat-split.ts';
import { nativeBatchMatMulConfig } from './batch-mat-mul.ts';
import { nativeMaskedMaxPoolConfigs } from './masked-max-pool.ts';
import { nativeView, runStockWasmKernel, shape4, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * The training kernels of @leadwise/native-kernels (C++, FMA, threads) registered on the wasm
 * backend. Each allocates its output on the wasm heap, then hands the addon views of its inputs and
 * output: the views are taken after the allocation, since heap growth detaches earlier ones.
 */
export function nativeTrainingKernelConfigs(native: NativeKernels): KernelConfig[] {
  return [
    { kernelName: Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: nativeBackpropFilter(native) as unknown as KernelFunc },
    { kernelName: Conv2DBackpropInput, backendName: 'wasm', kernelFunc: nativeBackpropInput(native) as unknown as KernelFunc },
    { kernelName: MaxPool, backendName: 'wasm', kernelFunc: nativeMaxPool(native) as unknown as KernelFunc },
    { kernelName: AvgPool, backendName: 'wasm', kernelFunc: nativeAvgPool(native) as unknown as KernelFunc },
    { kernelName: AvgPoolGrad, backendName: 'wasm', kernelFunc: nativeAvgPoolGrad(native) as unknown as KernelFunc },
    { kernelName: MaxPoolGrad, backendName: 'wasm', kernelFunc: nativeMaxPoolGrad(native) as unknown as KernelFunc },
    { kernelName: Conv2D, backendName: 'wasm', kernelFunc: nativeConv2D(native, Conv2D) as unknown as KernelFunc },
    { kernelName: FusedConv2D, backendName: 'wasm', kernelFunc: nativeConv2D(native, FusedConv2D) as unknown as KernelFunc },
    ...nativeBatchNormTrainingConfigs(native),
    nativeReluGradConfig(native),
    nativeAdamConfig(native),
    ...nativeConcatSplitConfigs(native),
    nativeBatchMatMulConfig(native),
    ...nativeMaskedMaxPoolConfigs(native),
  ];
}

const MIN_NATIVE_FORWARD_CHANNELS = 8;

/**
 * Forward convolution as im2col + the addon's SGEMM, with bias and ReLU fused. The cases it does
 * not cover (dilation, other activations, PReLU weights, a bias that is not one value per output
 * channel, NCHW, few output channels) go to tfjs-wasm's own XNNPACK kernel.
 */
function nativeConv2D(native: NativeKernels, kernelName: typeof Conv2D | typeof FusedConv2D) {
  return function conv2DNative(args: WasmKernelArgs): TensorInfo {
    const { backend } = args;
    const x = args.inputs['x'] as TensorInfo;
    const filter = args.inputs['filter'] as TensorInfo;
    const bias = args.inputs['bias'] as TensorInfo | undefined;
    const attrs = args.attrs as unknown as FusedConv2DAttrs & Conv2DAttrs;
    const activation = attrs.activation ?? 'linear';
    const dilations = typeof attrs.dilations === 'number' ? [attrs.dilations, attrs.dilations] : (attrs.dilations ?? [1, 1]);
    const supported =
      (activation === 'linear' || activation === 'relu') &&
      args.inputs['preluActivationWeights'] === undefined &&
      (bias === undefined || (bias.shape.length === 1 && bias.shape[0] === filter.shape[3])) &&
      // Fewer than 16 output channels fill under half of a register tile (DenseNet's 3x3 convs
      // have 8 at width 0.25): XNNPACK was twice as fast there.
      filter.shape[3] >= MIN_NATIVE_FORWARD_CHANNELS &&
      dilations[0] === 1 &&
      dilations[1] === 1 &&
      backend_util.convertConv2DDataFormat(attrs.dataFormat) === 'channelsLast' &&
      x.dtype === 'float32';
    if (!supported) return runStockWasmKernel(kernelName, args);
    const info = backend_util.computeConv2DInfo(
      shape4(x, `${kernelName} x`),
      shape4(filter, `${kernelName} filter`),
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const y = backend.makeOutput([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32');
    native.conv2d(
      nativeView(backend, x),
      nativeView(backend, filter),
      bias ? nativeView(backend, bias) : null,
      nativeView(backend, y),
      convShape(info),
      activation === 'relu' ? 1 : 0,
    );
    return y;
  };
}

function convShape(info: backend_util.Conv2DInfo): Int32Array {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error('native conv gradients support dilation 1 only');
  return Int32Array.of(
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  );
}

function requireNhwc(dataFormat: 'NHWC' | 'NCHW', kernel: string): 'channelsLast' {
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== 'channelsLast') throw new Error(`native ${kernel} supports NHWC only`);
  return format;
}

function nativeBackpropFilter(native: NativeKernels) {
  return function conv2DBackpropFilterNative(args: WasmKernelArgs): TensorInfo {
    const { backend } = args;
    const x = args.inputs['x'] as TensorInfo;
    const dy = args.inputs['dy'] as TensorInfo;
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    const info = backend_util.computeConv2DInfo(
      shape4(x, 'Conv2DBackpropFilter x'),
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      requireNhwc(attrs.dataFormat, 'Conv2DBackpropFilter'),
    );
    const dw = backend.makeOutput(attrs.filterShape, 'float32');
    native.conv2dBackpropFilter(nativeView(backend, x), nativeView(backend, dy), nativeView(backend, dw), convShape(info));
    return dw;
  };
}

function nativeBackpropInput(native: NativeKernels) {
  return function conv2DBackpropInputNative(args: WasmKernelArgs): TensorInfo {
    const { backend } = args;
    const dy = args.inputs['dy'] as TensorInfo;
    const filter = args.inputs['filter'] as TensorInfo;
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    const info = backend_util.computeConv2DInfo(
      attrs.inputShape,
      shape4(filter, 'Conv2DBackpropInput filter'),
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      requireNhwc(attrs.dataFormat, 'Conv2DBackpropInput'),
    );
    const dx = backend.makeOutput([...attrs.inputShape], 'float32');
    native.conv2dBackpropInput(nativeView(backend, dy), nativeView(backend, filter), nativeView(backend, dx), convShape(info));
    return dx;
  };
}

/** The addon's pool shape: batch, inH, inW, channels, outH, outW, filterH, filterW, strideH, strideW, padTop, padLeft. */
function poolShape(input: TensorInfo, attrs: MaxPoolAttrs | MaxPoolGradAttrs | AvgPoolAttrs | AvgPoolGradAttrs, what: string) {
  // AvgPoolGrad's attributes have no rounding mode (tfjs's own kernels pass none for it).
  const dimRoundingMode = 'dimRoundingMode' in attrs ? attrs.dimRoundingMode : undefined;
  const info = backend_util.computePool2DInfo(shape4(input, what), attrs.filterSize, attrs.strides, 1, attrs.pad, dimRoundingMode);
  const shape = Int32Array.of(
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  );
  return { info, shape };
}

/**
 * Max pooling (NHWC, float32) in the addon, queued like the convolutions, instead of tfjs-wasm's
 * XNNPACK kernel: single-threaded, and under the kernel queue a read of its input, so a wait for
 * every kernel before it. Max is exact, so the bits are XNNPACK's for inputs without NaN.
 */
function nativeMaxPool(native: NativeKernels) {
  return function maxPoolNative(args: WasmKernelArgs): TensorInfo {
    return forwardPool(args, MaxPool, () => true, (x, y, shape) => native.maxPool(x, y, shape));
  };
}

/**
 * A forward pooling kernel (NHWC, float32) on the addon where `covered`, else tfjs-wasm's: the pooled
 * output allocated, then handed to `run` with a view of x and the addon's pool shape.
 */
function forwardPool(
  args: WasmKernelArgs,
  kernelName: typeof MaxPool | typeof AvgPool,
  covered: (info: backend_util.Conv2DInfo) => boolean,
  run: (x: Float32Array, y: Float32Array, shape: Int32Array) => unknown,
): TensorInfo {
  const { backend } = args;
  const x = args.inputs['x'] as TensorInfo;
  if (x.dtype !== 'float32') return runStockWasmKernel(kernelName, args);
  const { info, shape } = poolShape(x, args.attrs as unknown as MaxPoolAttrs | AvgPoolAttrs, `${kernelName} x`);
  if (!covered(info)) return runStockWasmKernel(kernelName, args);
  const y = backend.makeOutput([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32');
  run(nativeView(backend, x), nativeView(backend, y), shape);
  return y;
}

/**
 * Where the addon's average pooling applies (its check, addon.cc): windows inside the image (no
 * padding used) of at most 9 positions, which XNNPACK sums in one pass in a fixed order that the addon
 * repeats, and for the gradient windows that do not overlap. DenseNet's 2x2 / 2 transitions are such.
 */
function avgPoolCovered(info: backend_util.Conv2DInfo, gradient: boolean): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth, outHeight, outWidth, inHeight, inWidth, padInfo } = info;
  return (
    padInfo.top === 0 &&
    padInfo.left === 0 &&
    (outHeight - 1) * strideHeight + filterHeight <= inHeight &&
    (outWidth - 1) * strideWidth + filterWidth <= inWidth &&
    filterHeight * filterWidth <= 9 &&
    (!gradient || (strideHeight >= filterHeight && strideWidth >= filterWidth))
  );
}

/**
 * Average pooling in the addon, queued, where avgPoolCovered: the same bits as tfjs-wasm's
 * XNNPACK kernel (the spec checks), which otherwise runs it, single-threaded and behind a queue wait.
 */
function nativeAvgPool(native: NativeKernels) {
  return function avgPoolNative(args: WasmKernelArgs): TensorInfo {
    return forwardPool(args, AvgPool, (info) => avgPoolCovered(info, false), (x, y, shape) => native.avgPool(x, y, shape));
  };
}

/** Its gradient, where windows do not overlap: dy times 1 / positions at each window's positions. */
function nativeAvgPoolGrad(native: NativeKernels) {
  return function avgPoolGradNative(args: WasmKernelArgs): TensorInfo {
    const { backend } = args;
    const dy = args.inputs['dy'] as TensorInfo;
    const input = args.inputs['input'] as TensorInfo;
    const { info, shape } = poolShape(input, args.attrs as unknown as AvgPoolGradAttrs, 'AvgPoolGrad input');
    if (!avgPoolCovered(info, true)) return runStockWasmKernel(AvgPoolGrad, args);
    const dx = backend.makeOutput(input.shape, 'float32');
    native.avgPoolGrad(nativeView(backend, dy), nativeView(backend, dx), shape);
    return dx;
  };
}

function nativeMaxPoolGrad(native: NativeKernels) {
  return function maxPoolGradNative(args: WasmKernelArgs): TensorInfo {
    const { backend } = args;
    const dy = args.inputs['dy'] as TensorInfo;
    const input = args.inputs['input'] as TensorInfo;
    const { shape } = poolShape(input, args.attrs as unknown as MaxPoolGradAttrs, 'MaxPoolGrad input');
    const dx = backend.makeOutput(input.shape, 'float32');
    native.maxPoolGrad(nativeView(backend, input), nativeView(backend, dy), nativeView(backend, dx), shape);
    return dx;
  };
}
