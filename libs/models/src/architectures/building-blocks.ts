import * as tf from '@tensorflow/tfjs';
import { fuseReluIntoBatchNorm } from '../backend/wasm-kernels/batch-norm-training.ts';
import { SeededDropout } from './seeded-dropout.ts';

type Symbolic = tf.SymbolicTensor;
type Initializer = ReturnType<typeof tf.initializers.heNormal>;

/** A backbone's outputs: the final feature map, and the last one at stride 16 (LeadGroupECG's residual head pools it). */
export interface BackboneFeatures {
  features: Symbolic;
  stride16: Symbolic;
}

/**
 * Hands out seeded initializers and layer names in build order. Names are explicit so that two
 * builds of the same config have the same weight names (checkpoints are matched by name), and seeds
 * are derived from one model seed so that the same seed gives the same initial weights.
 */
export class LayerKit {
  private seedCounter = 0;

  constructor(
    readonly modelSeed: number,
    readonly prefix: string,
  ) {}

  name(local: string): string {
    return `${this.prefix}${local}`;
  }

  nextSeed(): number {
    this.seedCounter += 1;
    // Spread model seeds far apart so that seed s and s+1 never share an initializer seed.
    return (this.modelSeed * 100_003 + this.seedCounter * 7919) % 2_147_483_647;
  }

  /** He (Kaiming) normal, fan-in: what ResNet, DenseNet and VGG were trained with. */
  heNormal(): Initializer {
    return tf.initializers.heNormal({ seed: this.nextSeed() });
  }

  glorotUniform(): Initializer {
    return tf.initializers.glorotUniform({ seed: this.nextSeed() });
  }

  conv(
    x: Symbolic,
    local: string,
    filters: number,
    kernelSize: number,
    strides = 1,
    useBias = false,
  ): Symbolic {
    return tf.layers
      .conv2d({
        name: this.name(local),
        filters,
        kernelSize,
        strides,
        padding: 'same',
        useBias,
        kernelInitializer: this.heNormal(),
        biasInitializer: 'zeros',
      })
      .apply(x) as Symbolic;
  }

  batchNorm(x: Symbolic, local: string): Symbolic {
    return this.batchNormLayer(local).apply(x) as Symbolic;
  }

  private batchNormLayer(local: string): tf.layers.Layer {
    // PyTorch defaults (eps 1e-5, momentum 0.1 = Keras momentum 0.9), as the papers' reference code.
    return tf.layers.batchNormalization({ name: this.name(local), axis: -1, epsilon: 1e-5, momentum: 0.9 });
  }

  relu(x: Symbolic, local: string): Symbolic {
    return tf.layers.reLU({ name: this.name(local) }).apply(x) as Symbolic;
  }

  /**
   * batchNorm then relu, the same two layers; the batch norm is marked so that, training on the
   * native kernels, it runs with the ReLU fused in (batch-norm-training.ts). Only for a batch norm
   * whose output goes nowhere but this ReLU.
   */
  batchNormRelu(x: Symbolic, bnLocal: string, reluLocal: string): Symbolic {
    const layer = this.batchNormLayer(bnLocal);
    fuseReluIntoBatchNorm(layer);
    return this.relu(layer.apply(x) as Symbolic, reluLocal);
  }

  convBnRelu(x: Symbolic, local: string, filters: number, kernelSize: number, strides = 1): Symbolic {
    const y = this.conv(x, `${local}_conv`, filters, kernelSize, strides);
    return this.batchNormRelu(y, `${local}_bn`, `${local}_relu`);
  }

  maxPool(x: Symbolic, local: string, poolSize: number, strides: number): Symbolic {
    return tf.layers.maxPooling2d({ name: this.name(local), poolSize, strides, padding: 'same' }).apply(x) as Symbolic;
  }

  avgPool(x: Symbolic, local: string, poolSize: number, strides: number): Symbolic {
    return tf.layers.averagePooling2d({ name: this.name(local), poolSize, strides, padding: 'same' }).apply(x) as Symbolic;
  }

  add(inputs: Symbolic[], local: string): Symbolic {
    return tf.layers.add({ name: this.name(local) }).apply(inputs) as Symbolic;
  }

  concat(inputs: Symbolic[], local: string): Symbolic {
    return tf.layers.concatenate({ name: this.name(local), axis: -1 }).apply(inputs) as Symbolic;
  }

  globalAvgPool(x: Symbolic, local: string): Symbolic {
    return tf.layers.globalAveragePooling2d({ name: this.name(local) }).apply(x) as Symbolic;
  }

  dense(x: Symbolic, local: string, units: number, activation: 'relu' | 'linear' | 'sigmoid' = 'linear'): Symbolic {
    return tf.layers
      .dense({ name: this.name(local), units, activation, kernelInitializer: this.glorotUniform(), biasInitializer: 'zeros' })
      .apply(x) as Symbolic;
  }

  /**
   * Dense layer whose kernel and bias start at zero: its output is exactly 0 until the first update,
   * so a branch ending in it adds nothing to the model at initialisation.
   */
  zeroDense(x: Symbolic, local: string, units: number): Symbolic {
    return tf.layers.dense({ name: this.name(local), units, kernelInitializer: 'zeros', biasInitializer: 'zeros' }).apply(x) as Symbolic;
  }

  flatten(x: Symbolic, local: string): Symbolic {
    return tf.layers.flatten({ name: this.name(local) }).apply(x) as Symbolic;
  }

  dropout(x: Symbolic, local: string, rate: number): Symbolic {
    if (rate <= 0) return x;
    return new SeededDropout({ name: this.name(local), rate, seed: this.nextSeed() }).apply(x) as Symbolic;
  }
}

/** Channel count after a width multiplier, never below 4 so that narrow nets keep a usable width. */
export function scaledChannels(base: number, widthMultiplier: number): number {
  return Math.max(4, Math.round(base * widthMultiplier));
}
