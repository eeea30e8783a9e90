/**
 * One training step of an architecture on a synthetic batch (a fixed pseudo-random page, the
 * standard 3x4 layout's lead boxes, alternating labels): forward, the trainer's loss, backward and
 * an Adam update, the loss read back as the trainer reads it. What the training benchmarks time.
 */
import * as tf from '@tensorflow/tfjs';
import { createModel, parseModelConfig, selectLeadBoxes, weightedBinaryCrossEntropy, type Architecture, type LeadwiseModel } from '@leadwise/models';
import { standardLayoutBoxes } from './standard-boxes.ts';

export interface SyntheticTrainingOptions {
  inputHeight: number;
  inputWidth: number;
  widthMultiplier: number;
  batchSize: number;
  /** The profile's VGG16 variant (batch norm at quick and standard). */
  vggBatchNorm?: boolean;
}

export interface SyntheticTraining {
  network: LeadwiseModel;
  images: Float32Array;
  /** The standard layout's 13 boxes per image. */
  boxes: Float32Array;
  labels: Float32Array;
  /** One step with tfjs's Adam (learning rate 1e-3); returns the loss. */
  step(): number;
  dispose(): void;
}

export function syntheticTraining(architecture: Architecture, options: SyntheticTrainingOptions): SyntheticTraining {
  const { inputHeight, inputWidth, widthMultiplier, batchSize } = options;
  const config = parseModelConfig({ architecture, inputHeight, inputWidth, channels: 1, widthMultiplier, seed: 1, vggBatchNorm: options.vggBatchNorm });
  const network = createModel(config);
  const images = new Float32Array(batchSize * inputHeight * inputWidth).map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const boxes = standardLayoutBoxes(batchSize);
  const modelBoxes = network.usesLeadBoxes ? selectLeadBoxes(boxes, batchSize, network.leadBoxCount) : boxes;
  const labels = new Float32Array(batchSize).map((_, i) => i % 2);
  const optimizer = tf.train.adam(1e-3);
  const trainable = network.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = (): number => {
    const cost = optimizer.minimize(
      () =>
        tf.tidy(() => {
          const image = tf.tensor4d(images, [batchSize, inputHeight, inputWidth, 1]);
          const inputs = network.usesLeadBoxes ? [image, tf.tensor3d(modelBoxes, [batchSize, network.leadBoxCount, 4])] : image;
          const out = network.model.apply(inputs, { training: true }) as tf.Tensor | tf.Tensor[];
          const probability = Array.isArray(out) ? out[0] : out;
          const y = tf.tensor2d(labels, [batchSize, 1]);
          return weightedBinaryCrossEntropy(probability, y, tf.onesLike(y));
        }),
      true,
      trainable,
    );
    const loss = cost!.dataSync()[0];
    cost!.dispose();
    return loss;
  };
  return {
    network,
    images,
    boxes,
    labels,
    step,
    dispose: () => {
      optimizer.dispose();
      network.model.dispose();
    },
  };
}
