import {
  BatchMatMul,
  util,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { NativeKernels } from '@leadwise/native-kernels';
import { nativeView, runStockWasmKernel, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * BatchMatMul on the addon's SGEMM (what dense layers' gradients run; VGG16's classifier spent
 * ~376 ms of a 1.35 s step in tfjs-wasm's matMul). Float32, batch dimensions equal or one side a
 * single matrix; other cases go to the stock kernel.
 */
export function nativeBatchMatMulConfig(native: NativeKernels): KernelConfig {
  return {
    kernelName: BatchMatMul,
    backendName: 'wasm',
    kernelFunc: ((args: WasmKernelArgs): TensorInfo => {
      const { backend } = args;
      const a = args.inputs['a'] as TensorInfo;
      const b = args.inputs['b'] as TensorInfo;
      const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
      const ra = a.shape.length;
      const rb = b.shape.length;
      if (a.dtype !== 'float32' || b.dtype !== 'float32' || ra < 2 || rb < 2) return runStockWasmKernel(BatchMatMul, args);
      const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
      const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
      const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
      const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
      const outerA = a.shape.slice(0, -2);
      const outerB = b.shape.slice(0, -2);
      const batchA = util.sizeFromShape(outerA);
      const batchB = util.sizeFromShape(outerB);
      const outer = batchA >= batchB ? outerA : outerB;
      const sameOuter = util.arraysEqual(outerA, outerB);
      const supported =
        k === kb &&
        m > 0 &&
        n > 0 &&
        k > 0 &&
        (sameOuter || (batchA === 1 && outerA.length <= outerB.length) || (batchB === 1 && outerB.length <= outerA.length));
      if (!supported) return runStockWasmKernel(BatchMatMul, args);
      const batch = Math.max(batchA, batchB);
      const out = backend.makeOutput([...outer, m, n], 'float32');
      native.batchMatMul(
        nativeView(backend, a),
        nativeView(backend, b),
        nativeView(backend, out),
        Int32Array.of(batch, batchA, batchB, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0),
      );
      return out;
    }) as unknown as KernelFunc,
  };
}
