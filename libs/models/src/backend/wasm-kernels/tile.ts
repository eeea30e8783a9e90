import { Tile, util, type KernelConfig, type KernelFunc, type TensorInfo, type TileAttrs } from '@tensorflow/tfjs';
import { runStockWasmKernel, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * Tile when the result is the input's bytes repeated end to end: every tiled axis has only size-1
 * axes before it, e.g. a per-channel vector [1, 1, 1, C] tiled to [N, H, W, C], which tfjs's
 * batch-norm gradient does for every batch-norm layer. Filled by doubling native copies
 * (copyWithin); the stock wasm kernel computes every element's source index and took seconds per
 * ResNet step. Other tilings go to the stock kernel.
 */
export function tileByRepeating(args: WasmKernelArgs): TensorInfo {
  const { backend } = args;
  const x = args.inputs['x'] as TensorInfo;
  const { reps } = args.attrs as unknown as TileAttrs;
  const repeatsWhole = reps.every((r, axis) => r === 1 || x.shape.slice(0, axis).every((size) => size === 1));
  if (x.dtype === 'string' || !repeatsWhole || reps.length !== x.shape.length) return runStockWasmKernel(Tile, args);
  const outShape = x.shape.map((size, axis) => size * reps[axis]);
  const out = backend.makeOutput(outShape, x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const unit = util.sizeFromShape(x.shape);
  if (unit === 0) return out;
  dst.set(src);
  for (let filled = unit; filled < dst.length; filled *= 2) {
    dst.copyWithin(filled, 0, Math.min(filled, dst.length - filled));
  }
  return out;
}

export const tileConfig: KernelConfig = {
  kernelName: Tile,
  backendName: 'wasm',
  kernelFunc: tileByRepeating as unknown as KernelFunc,
};
