import * as tf from '@tensorflow/tfjs';
import {
  getKernel,
  type GradConfig,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { NativeKernels } from '@leadwise/native-kernels';
import { nativeView, patchLayerCall, type WasmKernelArgs } from './kernel-utils.ts';

/**
 * Batch normalisation in training mode as two native kernels (forward: batch mean, variance and the
 * normalised output in three passes over x; backward: dx, dgamma, dbeta in two passes over x and
 * dy), instead of tf.moments + batchNorm and their gradients, which take about 15 full-size
 * element-wise kernels (Mean, Sub, Square, Mean, FusedBatchNorm; Tile, RealDiv, Multiply, Sum, Add
 * ...) per layer and step. Registered on the wasm backend only with the addon; the
 * BatchNormalization layer takes this path only where the kernel exists for the active backend and
 * its own path everywhere else, so results elsewhere are untouched.
 */
export const BATCH_NORM_TRAINING = 'LeadwiseBatchNormTraining';
export const BATCH_NORM_TRAINING_GRAD = 'LeadwiseBatchNormTrainingGrad';
/**
 * The same kernel with the ReLU that follows the layer fused in (`fuseReluIntoBatchNorm`): y =
 * relu(normalised x) in the last pass, and in the gradient the ReLU's mask applied as dy is read, so
 * a BN-ReLU pair costs one pass over a full activation fewer forward and one kernel fewer each way
 * (docs/benchmarks.md has what that buys). The same bits as the two kernels in turn (the spec
 * checks). Native only.
 */
export const BATCH_NORM_RELU_TRAINING = 'LeadwiseBatchNormReluTraining';
/**
 * A moving statistic's update, v - (v - value) * decay, in one pass and one kernel call. tfjs-layers
 * takes three kernels (Sub, Mul, Sub), a scalar tensor, and, since the forward pass records to the
 * tape, an Identity clone of each input saved for a gradient no one asks for: about ten engine calls
 * per statistic, 400 of a ResNet18 step's ~1,500. It has no gradient, so nothing is saved for it.
 */
export const MOVING_AVERAGE = 'LeadwiseMovingAverage';

interface BatchNormTrainingAttrs {
  varianceEpsilon: number;
}

function nativeForward(native: NativeKernels, relu: boolean) {
  return function batchNormTrainingNative(args: WasmKernelArgs): TensorInfo[] {
    const { backend } = args;
    const x = args.inputs['x'] as TensorInfo;
    const scale = args.inputs['scale'] as TensorInfo;
    const offset = args.inputs['offset'] as TensorInfo;
    const { varianceEpsilon } = args.attrs as unknown as BatchNormTrainingAttrs;
    const channels = x.shape[x.shape.length - 1];
    const y = backend.makeOutput(x.shape, 'float32');
    const mean = backend.makeOutput([channels], 'float32');
    const variance = backend.makeOutput([channels], 'float32');
    native.batchNormTrainForward(
      nativeView(backend, x),
      nativeView(backend, scale),
      nativeView(backend, offset),
      nativeView(backend, y),
      nativeView(backend, mean),
      nativeView(backend, variance),
      channels,
      varianceEpsilon,
      relu,
    );
    return [y, mean, variance];
  };
}

function nativeBackward(native: NativeKernels) {
  return function batchNormTrainingGradNative(args: WasmKernelArgs): TensorInfo[] {
    const { backend } = args;
    const input = (name: string): TensorInfo => args.inputs[name] as TensorInfo;
    const x = input('x');
    const dmean = args.inputs['dmean'] as TensorInfo | undefined;
    const dvariance = args.inputs['dvariance'] as TensorInfo | undefined;
    // Present for BATCH_NORM_RELU_TRAINING: its output, whose gradient dy is.
    const reluOut = args.inputs['y'] as TensorInfo | undefined;
    const { varianceEpsilon } = args.attrs as unknown as BatchNormTrainingAttrs;
    const channels = x.shape[x.shape.length - 1];
    const dx = backend.makeOutput(x.shape, 'float32');
    const dscale = backend.makeOutput([channels], 'float32');
    const doffset = backend.makeOutput([channels], 'float32');
    native.batchNormTrainBackward(
      nativeView(backend, x),
      nativeView(backend, input('dy')),
      nativeView(backend, input('scale')),
      nativeView(backend, input('mean')),
      nativeView(backend, input('variance')),
      dmean ? nativeView(backend, dmean) : null,
      dvariance ? nativeView(backend, dvariance) : null,
      nativeView(backend, dx),
      nativeView(backend, dscale),
      nativeView(backend, doffset),
      channels,
      varianceEpsilon,
      reluOut ? nativeView(backend, reluOut) : null,
    );
    return [dx, dscale, doffset];
  };
}

interface MovingAverageAttrs {
  decay: number;
}

/**
 * Rounds as the three float32 kernels it replaces: the addon computes v - x, its product with the
 * decay and the difference each in float32 with no fused multiply-add, so the bits equal tfjs's
 * Sub, Mul, Sub.
 */
function nativeMovingAverage(native: NativeKernels) {
  return function movingAverageNative(args: WasmKernelArgs): TensorInfo {
    const { backend } = args;
    const current = args.inputs['current'] as TensorInfo;
    const value = args.inputs['value'] as TensorInfo;
    const { decay } = args.attrs as unknown as MovingAverageAttrs;
    const updated = backend.makeOutput(current.shape, 'float32');
    native.movingAverage(nativeView(backend, current), nativeView(backend, value), nativeView(backend, updated), Math.fround(decay));
    return updated;
  };
}

export function nativeBatchNormTrainingConfigs(native: NativeKernels): KernelConfig[] {
  return [
    { kernelName: BATCH_NORM_TRAINING, backendName: 'wasm', kernelFunc: nativeForward(native, false) as unknown as KernelFunc },
    { kernelName: BATCH_NORM_RELU_TRAINING, backendName: 'wasm', kernelFunc: nativeForward(native, true) as unknown as KernelFunc },
    { kernelName: BATCH_NORM_TRAINING_GRAD, backendName: 'wasm', kernelFunc: nativeBackward(native) as unknown as KernelFunc },
    { kernelName: MOVING_AVERAGE, backendName: 'wasm', kernelFunc: nativeMovingAverage(native) as unknown as KernelFunc },
  ];
}

/**
 * dx, dscale and doffset in one kernel call, shared by the three lazily asked gradients. `reluOut`:
 * the output of BATCH_NORM_RELU_TRAINING, whose gradient dy then is.
 */
function batchNormGradients(
  dys: (tf.Tensor | null)[],
  [x, scale, mean, variance]: tf.Tensor[],
  reluOut: tf.Tensor | undefined,
  attrs: NamedAttrMap,
): Record<string, () => tf.Tensor> {
  const [dy, dmean, dvariance] = dys;
  const inputs: Record<string, tf.Tensor> = { x, dy: dy ?? tf.zerosLike(x), scale, mean, variance };
  if (dmean) inputs['dmean'] = dmean;
  if (dvariance) inputs['dvariance'] = dvariance;
  if (reluOut) inputs['y'] = reluOut;
  const [dx, dscale, doffset] = tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, inputs, attrs) as tf.Tensor[];
  return { x: () => dx, scale: () => dscale, offset: () => doffset };
}

export const batchNormTrainingGradConfig: GradConfig = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => batchNormGradients(dys as (tf.Tensor | null)[], saved, undefined, attrs as NamedAttrMap),
};

/** BATCH_NORM_RELU_TRAINING's: the same kernel, given the output y as well. */
export const batchNormReluTrainingGradConfig: GradConfig = {
  kernelName: BATCH_NORM_RELU_TRAINING,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [true, true, true],
  gradFunc: (dys, [x, scale, y, mean, variance], attrs) =>
    batchNormGradients(dys as (tf.Tensor | null)[], [x, scale, mean, variance], y, attrs as NamedAttrMap),
};

/** Whether the active backend has the fused training kernels. */
export function batchNormTrainingAvailable(): boolean {
  const backend = tf.getBackend();
  return getKernel(BATCH_NORM_TRAINING, backend) !== undefined && getKernel(BATCH_NORM_TRAINING_GRAD, backend) !== undefined;
}

interface LayerVariableLike {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}

interface BatchNormLayerLike {
  /** Set by fuseReluIntoBatchNorm: the layer's only consumer is a plain ReLU layer. */
  [FUSED_RELU]?: true;
  axis: number;
  epsilon: number;
  momentum: number;
  gamma?: LayerVariableLike;
  beta?: LayerVariableLike;
  movingMean: LayerVariableLike;
  movingVariance: LayerVariableLike;
}

const FUSED_RELU = Symbol('leadwiseFusedRelu');
/** `LEADWISE_FUSE_BN_RELU=0` runs marked BN-ReLU pairs as two kernels (for A/B benchmarks); the bits are the same. */
export const FUSE_BN_RELU_ENV_VAR = 'LEADWISE_FUSE_BN_RELU';
/** Outputs of a BN layer that ran with its ReLU fused in: the ReLU layer passes them on as they are. */
const reluApplied = new WeakSet<tf.Tensor>();

/**
 * Marks a BatchNormalization layer whose output goes to a plain ReLU layer and nowhere else (the
 * model builder knows; nothing in the layer's config changes, so checkpoints, serialisation and the
 * ONNX export are untouched). In training on a backend with BATCH_NORM_RELU_TRAINING the layer
 * then returns relu(normalised x) from the fused kernel and the ReLU layer returns its input;
 * everywhere else both layers run as before.
 */
export function fuseReluIntoBatchNorm(layer: tf.layers.Layer): void {
  (layer as unknown as BatchNormLayerLike)[FUSED_RELU] = true;
}

let unpatchBatchNorm: (() => void) | null = null;

/**
 * Routes tf.layers.BatchNormalization's training-mode call (statistics over every axis but the
 * last, with scale and offset) through the fused kernel where the active backend has it. The
 * moving averages are updated with the same ops as tfjs-layers. Idempotent.
 */
export function patchBatchNormalizationLayer(): void {
  if (unpatchBatchNorm) return;
  unpatchBatchNorm = patchLayerCall<BatchNormLayerLike>(tf.layers.batchNormalization({}), (original) => function call(inputs, kwargs) {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const rank = input?.rank ?? 0;
    const axis = this.axis >= 0 ? this.axis : this.axis + rank;
    const gamma = this.gamma;
    const beta = this.beta;
    const fast =
      kwargs?.['training'] === true &&
      (!Array.isArray(inputs) || inputs.length === 1) &&
      rank >= 2 &&
      axis === rank - 1 &&
      input.dtype === 'float32' &&
      input.size > 0 &&
      batchNormTrainingAvailable();
    if (!fast || gamma === undefined || beta === undefined) return original.call(this, inputs, kwargs);
    const fusedRelu =
      this[FUSED_RELU] === true && process.env[FUSE_BN_RELU_ENV_VAR] !== '0' && getKernel(BATCH_NORM_RELU_TRAINING, tf.getBackend()) !== undefined;
    const out = tf.tidy(() => {
      const [y, mean, variance] = tf.engine().runKernel(
        fusedRelu ? BATCH_NORM_RELU_TRAINING : BATCH_NORM_TRAINING,
        { x: input, scale: gamma.read(), offset: beta.read() },
        { varianceEpsilon: this.epsilon } as unknown as NamedAttrMap,
      ) as tf.Tensor[];
      // As tfjs-layers' doMovingAverage: v - (v - value) * (1 - momentum).
      for (const [variable, value] of [
        [this.movingMean, mean],
        [this.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const current = variable.read();
          variable.write(
            current.dtype === 'float32' && current.size === value.size && getKernel(MOVING_AVERAGE, tf.getBackend()) !== undefined
              ? (tf.engine().runKernel(MOVING_AVERAGE, { current, value }, { decay: 1 - this.momentum }) as tf.Tensor)
              : tf.sub(current, tf.mul(tf.sub(current, value), 1 - this.momentum)),
          );
        });
      }
      return y;
    });
    if (fusedRelu) reluApplied.add(out);
    return out;
  });
}

export function unpatchBatchNormalizationLayer(): void {
  unpatchBatchNorm?.();
  unpatchBatchNorm = null;
}

interface ReluLayerLike {
  maxValue?: number | null;
}

let reluPatched = false;

/**
 * Routes tf.layers.ReLU's call for a tensor a fused BN layer has already passed through its ReLU:
 * the input, as it is (Layer.apply hands on a clone, which shares the buffer). Idempotent.
 */
export function patchReluLayer(): void {
  if (reluPatched) return;
  reluPatched = true;
  patchLayerCall<ReluLayerLike>(tf.layers.reLU({}), (original) => function call(inputs, kwargs) {
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    if (input !== undefined && this.maxValue == null && reluApplied.has(input)) return input;
    return original.call(this, inputs, kwargs);
  });
}
