import {
  backend_util,
  Sum,
  util,
  type KernelConfig,
  type KernelFunc,
  type SumAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { heapF32, runStockWasmKernel, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * Sum over a contiguous block of axes that are not the innermost, e.g. a bias gradient (NHWC summed
 * over N, H, W) or a spatial sum: one sequential pass in JS, accumulating in float64. The stock
 * wasm kernel first transposes the reduced axes to the end, a full copy that cost more than the
 * sum. Every other case (innermost axes, scattered axes, non-float) goes to the stock kernel.
 */
export function sumLeadingAxes(args: WasmKernelArgs): TensorInfo {
  const { backend } = args;
  const x = args.inputs['x'] as TensorInfo;
  const attrs = args.attrs as unknown as SumAttrs;
  const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const contiguous = axes.every((axis, i) => i === 0 || axis === axes[i - 1] + 1);
  const last = axes[axes.length - 1];
  if (x.dtype !== 'float32' || axes.length === 0 || !contiguous || last === x.shape.length - 1) {
    return runStockWasmKernel(Sum, args);
  }
  const outer = util.sizeFromShape(x.shape.slice(0, axes[0]));
  const reduce = util.sizeFromShape(x.shape.slice(axes[0], last + 1));
  const inner = util.sizeFromShape(x.shape.slice(last + 1));
  const outShape = attrs.keepDims
    ? backend_util.expandShapeToKeepDim(backend_util.computeOutAndReduceShapes(x.shape, axes)[0], axes)
    : backend_util.computeOutAndReduceShapes(x.shape, axes)[0];
  const out = backend.makeOutput(outShape, 'float32');
  const dst = heapF32(backend, out);
  const src = heapF32(backend, x);
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    let at = o * reduce * inner;
    for (let r = 0; r < reduce; r++) {
      for (let i = 0; i < inner; i++) acc[i] += src[at + i];
      at += inner;
    }
    dst.set(acc, o * inner);
  }
  return out;
}

export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  kernelFunc: sumLeadingAxes as unknown as KernelFunc,
};
