import {
  FusedBatchNorm,
  util,
  type FusedBatchNormAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { heapF32, release, runStockWasmKernel, runWasmKernel, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * Batch normalisation with per-channel statistics, (x - mean) * scale / sqrt(variance + eps) +
 * offset, folded into x * a + b with a and b computed per channel (in float64), then applied in one
 * SIMD pass as an XNNPACK 1x1 depthwise convolution with bias over x viewed as [1, rows, 1, C].
 * The stock wasm kernel is a scalar loop about six times slower, and a batch-norm network runs it
 * in every block. Statistics of any other shape go to the stock kernel.
 */
export function batchNormViaDepthwise(args: WasmKernelArgs): TensorInfo {
  const { backend } = args;
  const x = args.inputs['x'] as TensorInfo;
  const mean = args.inputs['mean'] as TensorInfo;
  const variance = args.inputs['variance'] as TensorInfo;
  const offset = args.inputs['offset'] as TensorInfo | undefined;
  const scale = args.inputs['scale'] as TensorInfo | undefined;
  const { varianceEpsilon } = args.attrs as unknown as FusedBatchNormAttrs;
  const channels = x.shape[x.shape.length - 1] ?? 0;
  const perChannel = (t: TensorInfo | undefined): boolean =>
    t === undefined ||
    (t.dtype === 'float32' && util.sizeFromShape(t.shape) === channels && t.shape[t.shape.length - 1] === channels);
  const size = util.sizeFromShape(x.shape);
  if (x.dtype !== 'float32' || size === 0 || ![mean, variance, offset, scale].every(perChannel)) {
    return runStockWasmKernel(FusedBatchNorm, args);
  }
  const filter = backend.makeOutput([1, 1, channels, 1], 'float32');
  const bias = backend.makeOutput([channels], 'float32');
  const a = heapF32(backend, filter);
  const b = heapF32(backend, bias);
  const m = heapF32(backend, mean);
  const v = heapF32(backend, variance);
  const o = offset ? heapF32(backend, offset) : null;
  const s = scale ? heapF32(backend, scale) : null;
  for (let k = 0; k < channels; k++) {
    const factor = (s ? s[k] : 1) / Math.sqrt(v[k] + varianceEpsilon);
    a[k] = factor;
    b[k] = (o ? o[k] : 0) - m[k] * factor;
  }
  const out = runWasmKernel(
    'FusedDepthwiseConv2D',
    backend,
    { x: { dataId: x.dataId, shape: [1, size / channels, 1, channels], dtype: 'float32' }, filter, bias },
    {
      strides: [1, 1],
      pad: 'valid',
      dilations: [1, 1],
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
      activation: 'linear',
    } as never,
  );
  release(backend, filter, bias);
  return { dataId: out.dataId, shape: x.shape, dtype: 'float32' };
}

export const batchNormConfig: KernelConfig = {
  kernelName: FusedBatchNorm,
  backendName: 'wasm',
  kernelFunc: batchNormViaDepthwise as unknown as KernelFunc,
};
