import {
  backend_util,
  Concat,
  SplitV,
  util,
  type ConcatAttrs,
  type KernelConfig,
  type KernelFunc,
  type SplitVAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { NativeKernels } from '@leadwise/native-kernels';
import { nativeView, runStockWasmKernel, runStockWasmKernels, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * Concat and its gradient SplitV along the last (channel) axis of float32 tensors as one native
 * pass of row-segment copies. DenseNet concatenates every dense layer's output onto the block's
 * feature map: tfjs-wasm's SplitV (a Slice per part) took about 45% of a DenseNet121 step's CPU
 * time. Other axes, dtypes and empty tensors go to the stock kernels. Pure copies: same bits.
 */
export function nativeConcatSplitConfigs(native: NativeKernels): KernelConfig[] {
  return [
    { kernelName: Concat, backendName: 'wasm', kernelFunc: nativeConcat(native) as unknown as KernelFunc },
    { kernelName: SplitV, backendName: 'wasm', kernelFunc: nativeSplitV(native) as unknown as KernelFunc },
  ];
}

function nativeConcat(native: NativeKernels) {
  return function concatNative(args: WasmKernelArgs): TensorInfo {
    const { backend } = args;
    const inputs = Object.values(args.inputs) as TensorInfo[];
    const first = inputs[0];
    const rank = first?.shape.length ?? 0;
    const axis = rank > 0 ? util.parseAxisParam((args.attrs as unknown as ConcatAttrs).axis, first.shape)[0] : -1;
    const supported =
      rank > 0 &&
      axis === rank - 1 &&
      inputs.length > 1 &&
      inputs.every(
        (t) =>
          t.dtype === 'float32' &&
          t.shape.length === rank &&
          util.sizeFromShape(t.shape) > 0 &&
          t.shape.every((size, i) => i === axis || size === first.shape[i]),
      );
    if (!supported) return runStockWasmKernel(Concat, args);
    const outShape = backend_util.computeOutShape(
      inputs.map((t) => t.shape),
      axis,
    );
    const out = backend.makeOutput(outShape, 'float32');
    const rows = util.sizeFromShape(first.shape.slice(0, axis));
    native.copyColumns(
      nativeView(backend, out),
      inputs.map((t) => nativeView(backend, t)),
      rows,
      true,
    );
    return out;
  };
}

function nativeSplitV(native: NativeKernels) {
  return function splitVNative(args: WasmKernelArgs): TensorInfo[] {
    const { backend } = args;
    const x = args.inputs['x'] as TensorInfo;
    const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
    const rank = x.shape.length;
    const $axis = util.parseAxisParam(axis, x.shape)[0];
    if (x.dtype !== 'float32' || rank === 0 || $axis !== rank - 1 || util.sizeFromShape(x.shape) === 0) {
      return runStockWasmKernels(SplitV, args);
    }
    const sizes = backend_util.prepareSplitSize(x as never, numOrSizeSplits, $axis);
    if (sizes.some((size) => size <= 0)) return runStockWasmKernels(SplitV, args);
    const parts = sizes.map((size) => backend.makeOutput([...x.shape.slice(0, $axis), size], 'float32'));
    const rows = util.sizeFromShape(x.shape.slice(0, $axis));
    native.copyColumns(
      nativeView(backend, x),
      parts.map((p) => nativeView(backend, p)),
      rows,
      false,
    );
    return parts;
  };
}
