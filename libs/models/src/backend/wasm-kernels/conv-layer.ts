import * as tf from '@tensorflow/tfjs';
import { patchLayerCall } from './kernel-utils.ts';

interface Conv2DLayerLike {
  rank: number;
  bias: unknown;
  activation: { getClassName(): string } | null;
  dataFormat: string;
  padding: string;
  strides: number[];
  dilationRate: number | number[];
  kernel: { read(): tf.Tensor };
}

let unpatch: (() => void) | null = null;

/**
 * tf.layers.Conv2D always calls tf.fused.conv2d, whose gradient (a customGrad) computes the input
 * gradient with the filter gradient whether or not anything needs it. For a first layer, whose
 * input is the image, that is a whole wasted Conv2DBackpropInput per step (~11 ms of a ResNet18
 * step on its 7x7 stem). A layer with no bias and a linear activation is routed to tf.conv2d
 * instead: the same forward kernel arguments and the same two gradient kernels with the same
 * arguments (so the same bits), but each gradient is computed only when the tape needs it.
 * `applies` says when to take the route (the wasm backend with the native kernels); everywhere else
 * tfjs-layers' call runs unchanged. Idempotent.
 */
export function patchConv2DLayer(applies: () => boolean): void {
  if (unpatch) return;
  unpatch = patchLayerCall<Conv2DLayerLike>(tf.layers.conv2d({ filters: 1, kernelSize: 1 }), (original) => function call(inputs, kwargs) {
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const dilations = typeof this.dilationRate === 'number' ? [this.dilationRate, this.dilationRate] : this.dilationRate;
    const plain =
      input !== undefined &&
      input.rank === 4 &&
      input.dtype === 'float32' &&
      this.rank === 2 &&
      this.bias == null &&
      (this.activation === null || this.activation.getClassName() === 'linear') &&
      this.dataFormat === 'channelsLast' &&
      (this.padding === 'same' || this.padding === 'valid') &&
      dilations.every((d) => d === 1) &&
      applies();
    if (!plain) return original.call(this, inputs, kwargs);
    return tf.conv2d(input as tf.Tensor4D, this.kernel.read() as tf.Tensor4D, this.strides as [number, number], this.padding as 'same' | 'valid', 'NHWC');
  });
}

export function unpatchConv2DLayer(): void {
  unpatch?.();
  unpatch = null;
}
