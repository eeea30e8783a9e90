import { Tile, util, type KernelConfig, type KernelFunc, type TensorInfo, type TileAttrs } from '@tensorflow/tfjs';
import { runStockWasmKernel, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * Tile when each outer slice's result is that slice's bytes repeated end to end: the tiled axes
 * have only size-1 axes between the first tiled axis and them, e.g. a per-channel vector
 * [1, 1, 1, C] tiled to [N, H, W, C] (tfjs's batch-norm gradient, every batch-norm layer) or a
 * pooled [N, 1, 1, C] tiled to [N, H, W, C] (the gradient of global average pooling, one slice per
 * image). Filled by doubling native copies (copyWithin); the stock wasm kernel computes every
 * element's source index and took seconds per ResNet step. Other tilings go to the stock kernel.
 */
export function tileByRepeating(args: WasmKernelArgs): TensorInfo {
  const { backend } = args;
  const x = args.inputs['x'] as TensorInfo;
  const { reps } = args.attrs as unknown as TileAttrs;
  const first = reps.findIndex((r) => r !== 1);
  const repeatsSlices =
    first >= 0 && reps.every((r, axis) => r === 1 || x.shape.slice(first, axis).every((size) => size === 1));
  if (x.dtype === 'string' || reps.length !== x.shape.length || (first >= 0 && !repeatsSlices)) {
    return runStockWasmKernel(Tile, args);
  }
  const outShape = x.shape.map((size, axis) => size * reps[axis]);
  const out = backend.makeOutput(outShape, x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  if (src.length === 0) return out;
  if (first < 0) {
    dst.set(src);
    return out;
  }
  const slices = util.sizeFromShape(x.shape.slice(0, first));
  const unit = src.length / slices;
  const tiled = dst.length / slices;
  for (let s = 0; s < slices; s++) {
    const base = s * tiled;
    dst.set(src.subarray(s * unit, (s + 1) * unit), base);
    for (let filled = unit; filled < tiled; filled *= 2) {
      dst.copyWithin(base + filled, base, base + Math.min(filled, tiled - filled));
    }
  }
  return out;
}

export const tileConfig: KernelConfig = {
  kernelName: Tile,
  backendName: 'wasm',
  kernelFunc: tileByRepeating as unknown as KernelFunc,
};
