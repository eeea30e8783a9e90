import * as tf from '@tensorflow/tfjs';
import type { LeadwiseModel } from '../architectures/model-factory.ts';
import { GROUP_TARGET_COUNT } from '../constants.ts';
import type { ModelConfig } from '../types.ts';
import { batchInputs, type HostBatch } from './sample-batches.ts';
import { weightedBinaryCrossEntropy } from './weighted-loss.ts';

export class TrainingError extends Error {
  override name = 'TrainingError';
}

export interface TrainingLossTerms {
  classWeights: { normal: number; abnormal: number };
  groupTargetWeight: number;
}

/** Where a batch sits in the run, for error messages. */
export interface BatchPosition {
  epoch: number;
  batchIndex: number;
}

/**
 * The training loss of one batch in training mode (dropout on, batch norm on the batch's statistics
 * and updating its moving averages): class-weighted binary cross-entropy, plus the group targets'
 * cross-entropy at `groupTargetWeight` for a model that has them. Both are means over the batch.
 */
export function trainingLoss(
  network: LeadwiseModel,
  batch: HostBatch,
  shape: Pick<ModelConfig, 'inputHeight' | 'inputWidth' | 'channels'>,
  terms: TrainingLossTerms,
  position: BatchPosition,
): tf.Scalar {
  return tf.tidy(() => {
    const inputs = batchInputs(batch, shape, network.leadBoxCount);
    const applied = network.model.apply(inputs.length === 1 ? inputs[0] : inputs, { training: true }) as tf.Tensor | tf.Tensor[];
    const outputs = Array.isArray(applied) ? applied : [applied];
    const labels = tf.tensor2d(batch.labels, [batch.size, 1]);
    const weights = labels.mul(terms.classWeights.abnormal - terms.classWeights.normal).add(terms.classWeights.normal);
    const loss = weightedBinaryCrossEntropy(outputs[0], labels, weights);
    if (!network.hasGroupTargets) return loss;
    const targets = tf.tensor2d(groupTargetsOf(batch, position), [batch.size, GROUP_TARGET_COUNT]);
    const targetLoss = weightedBinaryCrossEntropy(outputs[outputs.length - 1], targets, tf.onesLike(targets));
    return loss.add(targetLoss.mul(terms.groupTargetWeight)) as tf.Scalar;
  });
}

function groupTargetsOf(batch: HostBatch, { batchIndex, epoch }: BatchPosition): Float32Array {
  if (batch.groupTargets) return batch.groupTargets;
  throw new TrainingError(
    `the model trains group targets but batch ${batchIndex + 1} of epoch ${epoch + 1} has samples without them (a dataset without PTB-XL's localised statements)`,
  );
}
