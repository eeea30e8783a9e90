import { getKernel, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { NativeKernels } from '@leadwise/native-kernels';
import { waitForInputs } from './kernel-queue.ts';
import { nativeInt32View, nativeView, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * LeadGroupECG's masked max pooling over the cells of each lead box (LeadMaxPooling in
 * lead-group-layers.ts) as one native kernel and its gradient, instead of a broadcast Add over
 * [B, L, C, cells], Max, ArgMax and two Transposes forward and ScatterNd backward: about 10 ms of
 * single-threaded tfjs-wasm work in a LeadGroupECG step (issue 14). Same bits (the same float adds,
 * the first maximal cell, the gradient added in lead order as ScatterNd adds it).
 *
 * Inputs: features [B, K, C] (K cells, channels innermost) and penalty [B, L, K]; outputs value and
 * winner (int32) [B, L, C]. The gradient kernel takes dy and winner (and attr cells = K) and returns
 * dfeatures [B, K, C].
 */
export const MASKED_MAX_POOL = 'LeadwiseMaskedMaxPool';
export const MASKED_MAX_POOL_GRAD = 'LeadwiseMaskedMaxPoolGrad';

function poolShape(features: TensorInfo, penalty: TensorInfo): Int32Array {
  const [batch, cells, channels] = features.shape;
  const leads = penalty.shape[1];
  if (features.shape.length !== 3 || penalty.shape.length !== 3 || penalty.shape[0] !== batch || penalty.shape[2] !== cells) {
    throw new Error(
      `${MASKED_MAX_POOL}: features must be [B, K, C] and penalty [B, L, K], got [${features.shape.join(', ')}] and [${penalty.shape.join(', ')}]`,
    );
  }
  return Int32Array.of(batch, cells, channels, leads);
}

export function nativeMaskedMaxPoolConfigs(native: NativeKernels): KernelConfig[] {
  return [
    {
      kernelName: MASKED_MAX_POOL,
      backendName: 'wasm',
      kernelFunc: ((args: WasmKernelArgs): TensorInfo[] => {
        const { backend } = args;
        const features = args.inputs['features'] as TensorInfo;
        const penalty = args.inputs['penalty'] as TensorInfo;
        const shape = poolShape(features, penalty);
        const outShape = [shape[0], shape[3], shape[2]];
        const value = backend.makeOutput(outShape, 'float32');
        const winner = backend.makeOutput(outShape, 'int32');
        native.maskedMaxPool(nativeView(backend, features), nativeView(backend, penalty), nativeView(backend, value), nativeInt32View(backend, winner), shape);
        return [value, winner];
      }) as unknown as KernelFunc,
    },
    {
      kernelName: MASKED_MAX_POOL_GRAD,
      backendName: 'wasm',
      kernelFunc: ((args: WasmKernelArgs): TensorInfo => {
        const { backend } = args;
        const dy = args.inputs['dy'] as TensorInfo;
        const winner = args.inputs['winner'] as TensorInfo;
        const { cells } = args.attrs as unknown as { cells: number };
        const [batch, leads, channels] = dy.shape;
        const dx = backend.makeOutput([batch, cells, channels], 'float32');
        // The addon checks every winner index before it queues the kernel, so it reads them now.
        waitForInputs({ winner });
        native.maskedMaxPoolGrad(nativeView(backend, dy), nativeInt32View(backend, winner), nativeView(backend, dx), Int32Array.of(batch, cells, channels, leads));
        return dx;
      }) as unknown as KernelFunc,
    },
  ];
}

/** Whether the active backend has the fused kernels (the wasm backend with the addon). */
export function maskedMaxPoolAvailable(backendName: string): boolean {
  return getKernel(MASKED_MAX_POOL, backendName) !== undefined && getKernel(MASKED_MAX_POOL_GRAD, backendName) !== undefined;
}
