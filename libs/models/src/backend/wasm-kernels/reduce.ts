import {
  backend_util,
  Mean,
  Sum,
  util,
  type KernelConfig,
  type KernelFunc,
  type MeanAttrs,
  type SumAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { heapF32, runStockWasmKernel, runWasmKernel, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * Sum and Mean over a contiguous block of axes that does not end at the innermost axis: a bias or
 * batch-norm gradient (NHWC over N, H, W), batch-norm moments, a global average pool. The stock
 * wasm kernels first transpose the reduced axes to the end (a full copy, slower than the sum).
 * Here the tensor is viewed as an NHWC image [outer, reduce, 1, inner] and average-pooled with one
 * reduce x 1 window by XNNPACK, which reads it once with SIMD, channels innermost. XNNPACK
 * accumulates in float32, as the stock kernels do. Every other case goes to the stock kernel.
 */
function reduceLeading(args: WasmKernelArgs, kind: typeof Sum | typeof Mean): TensorInfo {
  const { backend } = args;
  const x = args.inputs['x'] as TensorInfo;
  const attrs = args.attrs as unknown as SumAttrs | MeanAttrs;
  const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const contiguous = axes.every((axis, i) => i === 0 || axis === axes[i - 1] + 1);
  const last = axes[axes.length - 1];
  const outer = util.sizeFromShape(x.shape.slice(0, axes[0] ?? 0));
  const reduce = util.sizeFromShape(x.shape.slice(axes[0] ?? 0, last + 1));
  const inner = util.sizeFromShape(x.shape.slice(last + 1));
  if (x.dtype !== 'float32' || axes.length === 0 || !contiguous || inner === 1 || reduce < 2) {
    return runStockWasmKernel(kind, args);
  }
  const [reducedShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  const outShape = attrs.keepDims ? backend_util.expandShapeToKeepDim(reducedShape, axes) : reducedShape;
  const pooled = runWasmKernel(
    'AvgPool',
    backend,
    { x: { dataId: x.dataId, shape: [outer, reduce, 1, inner], dtype: 'float32' } },
    { filterSize: [reduce, 1], strides: [reduce, 1], pad: 'valid', dimRoundingMode: undefined } as never,
  );
  if (kind === Sum) {
    const values = heapF32(backend, pooled);
    for (let i = 0; i < values.length; i++) values[i] *= reduce;
  }
  // The pooled buffer becomes the output, under the reduced shape.
  return { dataId: pooled.dataId, shape: outShape, dtype: 'float32' };
}

export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  kernelFunc: ((args: WasmKernelArgs) => reduceLeading(args, Sum)) as unknown as KernelFunc,
};

export const meanConfig: KernelConfig = {
  kernelName: Mean,
  backendName: 'wasm',
  kernelFunc: ((args: WasmKernelArgs) => reduceLeading(args, Mean)) as unknown as KernelFunc,
};
