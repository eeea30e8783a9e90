import {
  Cast,
  Identity,
  type CastAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { runStockWasmKernel, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * Identity (tf.clone) and a Cast to the same dtype share the input's buffer, one more reference
 * on it, as the cpu backend does; tensors are immutable, so no kernel ever writes into it. The
 * stock wasm kernels copy every element, and autodiff and Keras layers clone activations often
 * (tens of copies of full feature maps per training step).
 */
function shareBuffer(args: WasmKernelArgs): TensorInfo {
  const x = args.inputs['x'] as TensorInfo;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function identityShared(args: WasmKernelArgs): TensorInfo {
  const x = args.inputs['x'] as TensorInfo;
  return x.dtype === 'string' ? runStockWasmKernel(Identity, args) : shareBuffer(args);
}

export function castShared(args: WasmKernelArgs): TensorInfo {
  const x = args.inputs['x'] as TensorInfo;
  const { dtype } = args.attrs as unknown as CastAttrs;
  return x.dtype === dtype && dtype !== 'string' ? shareBuffer(args) : runStockWasmKernel(Cast, args);
}

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identityShared as unknown as KernelFunc,
};

export const castConfig: KernelConfig = {
  kernelName: Cast,
  backendName: 'wasm',
  kernelFunc: castShared as unknown as KernelFunc,
};
