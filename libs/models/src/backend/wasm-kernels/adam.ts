import * as tf from '@tensorflow/tfjs';
import { getKernel, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import type { NativeKernels } from '@leadwise/native-kernels';
import { heapF32, nativeView, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * Adam's update of one variable as one kernel (new value, first and second moment) instead of
 * tfjs's twelve element-wise kernels and their scalars per variable and step, where the active
 * backend has it (the wasm backend with the native addon). Every operation is rounded to float32
 * in tfjs's order, so the weights are the same bits as tfjs's AdamOptimizer gives. Elsewhere
 * tfjs's own applyGradients runs.
 */
export const ADAM_UPDATE = 'LeadwiseAdamUpdate';

interface AdamAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

export function nativeAdamConfig(native: NativeKernels): KernelConfig {
  return {
    kernelName: ADAM_UPDATE,
    backendName: 'wasm',
    kernelFunc: ((args: WasmKernelArgs): TensorInfo[] => {
      const { backend } = args;
      const input = (name: string): TensorInfo => args.inputs[name] as TensorInfo;
      const value = input('value');
      const { beta1, beta2, epsilon, learningRate } = args.attrs as unknown as AdamAttrs;
      const f = Math.fround;
      // As tfjs: scalars are float32; sub(1, acc) of two float32 values rounds once.
      const scalars = Float32Array.of(
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        f(1 - heapF32(backend, input('accBeta1'))[0]),
        f(1 - heapF32(backend, input('accBeta2'))[0]),
        epsilon,
        -learningRate,
      );
      const newValue = backend.makeOutput(value.shape, 'float32');
      const newM = backend.makeOutput(value.shape, 'float32');
      const newV = backend.makeOutput(value.shape, 'float32');
      native.adamUpdate(
        nativeView(backend, value),
        nativeView(backend, input('m')),
        nativeView(backend, input('v')),
        nativeView(backend, input('gradient')),
        nativeView(backend, newValue),
        nativeView(backend, newM),
        nativeView(backend, newV),
        scalars,
      );
      return [newValue, newM, newV];
    }) as unknown as KernelFunc,
  };
}

/** tfjs's AdamOptimizer fields that applyGradients uses (private in its typings). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  incrementIterations(): void;
}

type ApplyGradients = tf.AdamOptimizer['applyGradients'];

let patched: ApplyGradients | null = null;

/**
 * tfjs's AdamOptimizer.applyGradients (moment creation, gradient lookup, beta powers) with the
 * per-variable arithmetic in one kernel where the active backend has it. Idempotent.
 */
export function patchAdamOptimizer(): void {
  if (patched) return;
  const original = tf.AdamOptimizer.prototype.applyGradients;
  patched = original;
  tf.AdamOptimizer.prototype.applyGradients = function applyGradients(this: tf.AdamOptimizer, variableGradients) {
    if (getKernel(ADAM_UPDATE, tf.getBackend()) === undefined) return original.call(this, variableGradients);
    const state = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const attrs = {
      beta1: state.beta1,
      beta2: state.beta2,
      epsilon: state.epsilon,
      learningRate: state.learningRate,
    } as unknown as NamedAttrMap;
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        const first = (state.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        });
        const second = (state.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        });
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = first.variable;
        const v = second.variable;
        if (value.dtype !== 'float32' || gradient.dtype !== 'float32') throw new Error(`Adam: ${name} is not float32`);
        const [newValue, newM, newV] = tf.engine().runKernel(
          ADAM_UPDATE,
          { value, m, v, gradient, accBeta1: state.accBeta1, accBeta2: state.accBeta2 },
          attrs,
        ) as tf.Tensor[];
        m.assign(newM);
        v.assign(newV);
        value.assign(newValue);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, state.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, state.beta2));
    });
    state.incrementIterations();
  };
}

export function unpatchAdamOptimizer(): void {
  if (!patched) return;
  tf.AdamOptimizer.prototype.applyGradients = patched;
  patched = null;
}
