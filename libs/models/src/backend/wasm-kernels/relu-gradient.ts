import * as tf from '@tensorflow/tfjs';
import { getKernel, type GradConfig, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { NativeKernels } from '@leadwise/native-kernels';
import { nativeView, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * The ReLU gradient as one kernel, dx = dy * step(x), where the active backend has it (the wasm
 * backend with the native addon), instead of tfjs-core's Step + Cast + Multiply (three full-size
 * passes and two intermediates). Same arithmetic, so the same bits (NaN and -0 included).
 * Elsewhere tfjs-core's gradient runs.
 */
export const RELU_GRAD = 'LeadwiseReluGrad';

export function nativeReluGradConfig(native: NativeKernels): KernelConfig {
  return {
    kernelName: RELU_GRAD,
    backendName: 'wasm',
    kernelFunc: ((args: WasmKernelArgs): TensorInfo => {
      const { backend } = args;
      const dy = args.inputs['dy'] as TensorInfo;
      const x = args.inputs['x'] as TensorInfo;
      const dx = backend.makeOutput(dy.shape, 'float32');
      native.reluGrad(nativeView(backend, dy), nativeView(backend, x), nativeView(backend, dx));
      return dx;
    }) as unknown as KernelFunc,
  };
}

export function fastReluGradient(original: GradConfig): GradConfig {
  return {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const grad = dy as tf.Tensor;
      if (x.dtype !== 'float32' || grad.dtype !== 'float32' || getKernel(RELU_GRAD, tf.getBackend()) === undefined) {
        return original.gradFunc(dy, saved, attrs);
      }
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: grad, x }) as tf.Tensor };
    },
  };
}
