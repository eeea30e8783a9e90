import * as tf from '@tensorflow/tfjs';

/**
 * Adam whose learning rate can change between steps. tfjs's AdamOptimizer reads `learningRate` on
 * every applyGradients, so a scheduler only has to set it; the moments are untouched.
 */
export class ScheduledAdam extends tf.AdamOptimizer {
  constructor(learningRate: number) {
    super(learningRate, 0.9, 0.999, 1e-8);
  }

  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }

  currentLearningRate(): number {
    return this.learningRate;
  }

  /**
   * Restores moments and step count, then rebuilds beta^t by the same float32 multiplications
   * training performs (tfjs uses pow(), which rounds differently), so a resumed run continues with
   * bit-identical updates.
   */
  override async setWeights(weightValues: Parameters<tf.AdamOptimizer['setWeights']>[0]): Promise<void> {
    await super.setWeights(weightValues);
    const steps = this.iterations;
    tf.tidy(() => {
      let accBeta1: tf.Tensor = tf.scalar(this.beta1);
      let accBeta2: tf.Tensor = tf.scalar(this.beta2);
      for (let step = 0; step < steps; step++) {
        accBeta1 = tf.mul(accBeta1, this.beta1);
        accBeta2 = tf.mul(accBeta2, this.beta2);
      }
      // accBeta1/2 are private in tfjs's typings but plain fields at runtime.
      const state = this as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
      state.accBeta1.assign(accBeta1);
      state.accBeta2.assign(accBeta2);
    });
  }
}
