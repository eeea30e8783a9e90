import * as tf from '@tensorflow/tfjs';
import type { LeadwiseModel } from '../architectures/model-factory.ts';
import { SeededDropout } from '../architectures/seeded-dropout.ts';
import type { ModelConfig } from '../types.ts';
import type { GradientExchange } from './gradient-exchange.ts';
import type { HostBatch } from './sample-batches.ts';
import type { ScheduledAdam } from './scheduled-adam.ts';
import { trainingLoss, type BatchPosition, type TrainingLossTerms } from './training-loss.ts';

/** One optimizer step as every replica sees it. */
export interface ReplicaStep extends BatchPosition {
  /** 0-based exchange round (the group's own step count, from its start). */
  round: number;
  /** Optimizer steps taken before this one in the run (dropout's mask counter). */
  stepsBefore: number;
  learningRate: number;
  /** Each replica's share of the batch, in replica order: the weights of the reduction. */
  shareSizes: readonly number[];
}

/**
 * One replica's network and optimizer. A step: the loss and gradients of its share of the batch
 * and its batch norm moving statistics go into the exchange as one vector [loss, gradients...,
 * moving statistics...]; the share-size-weighted mean of all replicas' vectors then gives every
 * replica the same gradients for the same Adam update and the same moving statistics to keep, so
 * replicas stay bit-identical. Batch norm normalises with the share's own statistics (as PyTorch
 * DDP without SyncBN), so a run is equal in distribution to, not bit-equal with, a 1-replica run.
 */
export class Replica {
  private readonly trainable: tf.Variable[];
  private readonly movingStatistics: tf.Variable[];
  private readonly reduced: Float32Array;

  /** Floats one replica contributes per step for `network`. */
  static contributionFloats(network: LeadwiseModel): number {
    const weights = [...network.model.trainableWeights, ...network.model.nonTrainableWeights];
    return 1 + weights.reduce((sum, weight) => sum + weight.shape.reduce<number>((product, d) => product * (d ?? 1), 1), 0);
  }

  constructor(
    readonly index: number,
    readonly network: LeadwiseModel,
    readonly optimizer: ScheduledAdam,
    private readonly exchange: GradientExchange,
    private readonly shape: Pick<ModelConfig, 'inputHeight' | 'inputWidth' | 'channels'>,
    private readonly lossTerms: TrainingLossTerms,
  ) {
    this.trainable = network.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.movingStatistics = network.model.nonTrainableWeights.map((w) => w.read() as tf.Variable);
    if (Replica.contributionFloats(network) !== exchange.floatsPerReplica) {
      throw new Error(`replica ${index}'s network contributes ${Replica.contributionFloats(network)} floats, the exchange holds ${exchange.floatsPerReplica}`);
    }
    this.reduced = new Float32Array(exchange.floatsPerReplica);
    // Replica 0 draws the masks a 1-replica run draws; the others their own seeded streams.
    for (const layer of network.model.layers) if (layer instanceof SeededDropout) layer.setReplica(index);
  }

  /** Computes this replica's contribution to `step` from its share (null: an empty share) and announces it. */
  contribute(step: ReplicaStep, share: HostBatch | null): void {
    for (const layer of this.network.model.layers) if (layer instanceof SeededDropout) layer.setTrainingCalls(step.stepsBefore);
    const slot = this.exchange.slot(step.round, this.index);
    if (share === null || share.size === 0) {
      // Weight 0 in the reduction; the moving statistics still go in so that the layout holds.
      slot.fill(0, 0, slot.length - this.movingStatisticsFloats());
      this.writeMovingStatistics(slot);
    } else {
      const { value, grads } = this.optimizer.computeGradients(() => trainingLoss(this.network, share, this.shape, this.lossTerms, step), this.trainable);
      slot[0] = value.dataSync()[0];
      let offset = 1;
      for (const variable of this.trainable) {
        const gradient = grads[variable.name];
        slot.set(gradient.dataSync() as Float32Array, offset);
        offset += gradient.size;
      }
      tf.dispose([value, ...Object.values(grads)]);
      this.writeMovingStatistics(slot);
    }
    this.exchange.arrive();
  }

  /** After every replica arrived at `step.round`: applies the mean update, returns the mean loss. */
  applyMean(step: ReplicaStep): number {
    const total = step.shareSizes.reduce((sum, size) => sum + size, 0);
    this.exchange.reduce(
      step.round,
      step.shareSizes.map((size) => size / total),
      this.reduced,
    );
    this.optimizer.setLearningRate(step.learningRate);
    let offset = 1;
    tf.tidy(() => {
      const gradients = this.trainable.map((variable) => {
        const tensor = tf.tensor(this.reduced.subarray(offset, offset + variable.size), variable.shape, 'float32');
        offset += variable.size;
        return { name: variable.name, tensor };
      });
      this.optimizer.applyGradients(gradients);
      for (const variable of this.movingStatistics) {
        variable.assign(tf.tensor(this.reduced.subarray(offset, offset + variable.size), variable.shape, 'float32'));
        offset += variable.size;
      }
    });
    return this.reduced[0];
  }

  private movingStatisticsFloats(): number {
    return this.movingStatistics.reduce((sum, variable) => sum + variable.size, 0);
  }

  private writeMovingStatistics(slot: Float32Array): void {
    let offset = slot.length - this.movingStatisticsFloats();
    for (const variable of this.movingStatistics) {
      slot.set(variable.dataSync() as Float32Array, offset);
      offset += variable.size;
    }
  }
}

/** Replica r's share of a batch of `size`: fixed contiguous ranges (first half / second half for 2). */
export function shareRanges(size: number, replicas: number): Array<[start: number, end: number]> {
  return Array.from({ length: replicas }, (_, r) => [Math.floor((r * size) / replicas), Math.floor(((r + 1) * size) / replicas)]);
}

/** Samples [start, end) of a host batch, copied. */
export function sliceHostBatch(batch: HostBatch, start: number, end: number): HostBatch {
  const size = end - start;
  const per = (values: Float32Array) => values.length / batch.size;
  const slice = (values: Float32Array) => values.slice(start * per(values), end * per(values));
  return {
    size,
    images: slice(batch.images),
    leadBoxes: slice(batch.leadBoxes),
    labels: slice(batch.labels),
    groupTargets: batch.groupTargets ? slice(batch.groupTargets) : null,
  };
}
