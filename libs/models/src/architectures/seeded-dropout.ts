import * as tf from '@tensorflow/tfjs';
import { mixSeed } from '@leadwise/ecg';

export interface SeededDropoutArgs {
  name?: string;
  rate: number;
  seed: number;
}

/**
 * Inverted dropout whose mask changes on every training call yet is reproducible: call k uses seed
 * `seed + k`. tfjs's own Dropout with a seed draws the same mask on every call, and without one it
 * draws from Math.random, which breaks "same seed, same weights".
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'LeadwiseSeededDropout';
  readonly rate: number;
  readonly seed: number;
  private trainingCalls = 0;
  private replica = 0;

  constructor(args: SeededDropoutArgs) {
    super({ name: args.name });
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate <= 0) return tf.clone(x);
    const callSeed = this.replica === 0 ? this.seed + this.trainingCalls : mixSeed(this.seed + this.trainingCalls, this.replica);
    this.trainingCalls += 1;
    return tf.tidy(() => {
      const keep = tf.randomUniform(x.shape, 0, 1, 'float32', callSeed).greaterEqual(this.rate).toFloat();
      return x.mul(keep).div(1 - this.rate);
    });
  }

  /** Lets a resumed run continue the mask sequence where it stopped. */
  setTrainingCalls(calls: number): void {
    this.trainingCalls = calls;
  }

  /**
   * Data-parallel replica r > 0 draws its masks from its own seeded stream (its share of the batch
   * must not get the masks of replica 0's share); replica 0 keeps the 1-replica masks.
   */
  setReplica(replica: number): void {
    this.replica = replica;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);
