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
}
