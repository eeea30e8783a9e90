import * as tf from '@tensorflow/tfjs';
import { GROUP_COUNT } from '../constants.ts';
import type { LeadwiseModel } from '../architectures/model-factory.ts';
import type { SampleSource } from '../types.ts';
import { batchInputs, loadHostBatch, type HostBatch } from './sample-batches.ts';

export interface Predictions {
  /** P(abnormal) per sample, in source order. */
  probabilities: Float32Array;
  labels: Float32Array;
  /** [sample * 5 + group] attention weights (LeadGroupECG only), groups in LEAD_GROUP_NAMES order. */
  groupAttention: Float32Array | null;
}

/** Probability (and group attention) for a host batch, in inference mode; leaves no tensors behind. */
export function predictHostBatch(
  network: LeadwiseModel,
  batch: Pick<HostBatch, 'size' | 'images' | 'leadBoxes'>,
): { probabilities: Float32Array; groupAttention: Float32Array | null } {
  const { config, model, leadBoxCount, hasGroupAttention } = network;
  const outputs = tf.tidy(() => {
    const inputs = batchInputs(batch, config, leadBoxCount);
    const result = model.predict(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor | tf.Tensor[];
    return Array.isArray(result) ? result : [result];
  });
  try {
    const probabilities = outputs[0].dataSync() as Float32Array;
    const groupAttention = hasGroupAttention ? (outputs[1].dataSync() as Float32Array) : null;
    return { probabilities: Float32Array.from(probabilities), groupAttention: groupAttention && Float32Array.from(groupAttention) };
  } finally {
    tf.dispose(outputs);
  }
}

/** Runs the model over a whole source without augmentation. */
export async function predictSource(
  network: LeadwiseModel,
  source: SampleSource,
  batchSize: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Predictions> {
  const probabilities = new Float32Array(source.size);
  const labels = new Float32Array(source.size);
  const groupAttention = network.hasGroupAttention ? new Float32Array(source.size * GROUP_COUNT) : null;
  for (let start = 0; start < source.size; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, source.size - start) }, (_, i) => start + i);
    const batch = await loadHostBatch(source, indices, indices.map(() => null));
    const result = predictHostBatch(network, batch);
    probabilities.set(result.probabilities, start);
    labels.set(batch.labels, start);
    if (groupAttention && result.groupAttention) groupAttention.set(result.groupAttention, start * GROUP_COUNT);
    onProgress?.(start + indices.length, source.size);
  }
  return { probabilities, labels, groupAttention };
}
