import * as tf from '@tensorflow/tfjs';
import { LEAD_COUNT } from '../constants.ts';
import type { Sample, SampleSource } from '../types.ts';

/** A batch on the host, ready to become tensors. */
export interface HostBatch {
  size: number;
  images: Float32Array;
  leadBoxes: Float32Array;
  labels: Float32Array;
}

export class SampleShapeError extends Error {
  override name = 'SampleShapeError';
}

/** Fetches samples `indices` (with per-sample augmentation seeds, or null) and packs them. */
export async function loadHostBatch(
  source: SampleSource,
  indices: readonly number[],
  augmentationSeeds: readonly (number | null)[],
): Promise<HostBatch> {
  const pixelsPerImage = source.inputHeight * source.inputWidth * source.channels;
  const images = new Float32Array(indices.length * pixelsPerImage);
  const leadBoxes = new Float32Array(indices.length * LEAD_COUNT * 4);
  const labels = new Float32Array(indices.length);
  for (let i = 0; i < indices.length; i += 1) {
    const sample: Sample = await source.sample(indices[i], augmentationSeeds[i]);
    if (sample.pixels.length !== pixelsPerImage) {
      throw new SampleShapeError(
        `sample ${indices[i]} has ${sample.pixels.length} pixels, expected ${source.inputHeight}x${source.inputWidth}x${source.channels}`,
      );
    }
    if (sample.leadBoxes.length !== LEAD_COUNT) {
      throw new SampleShapeError(`sample ${indices[i]} has ${sample.leadBoxes.length} lead boxes, expected ${LEAD_COUNT}`);
    }
    images.set(sample.pixels, i * pixelsPerImage);
    sample.leadBoxes.forEach((box, lead) => leadBoxes.set(box, (i * LEAD_COUNT + lead) * 4));
    labels[i] = sample.label;
  }
  return { size: indices.length, images, leadBoxes, labels };
}

/** The model's inputs for a host batch: the image alone, or [image, lead boxes] for LeadGroupECG. */
export function batchInputs(
  batch: Pick<HostBatch, 'size' | 'images' | 'leadBoxes'>,
  shape: { inputHeight: number; inputWidth: number; channels: number },
  usesLeadBoxes: boolean,
): tf.Tensor[] {
  const image = tf.tensor4d(batch.images, [batch.size, shape.inputHeight, shape.inputWidth, shape.channels]);
  if (!usesLeadBoxes) return [image];
  return [image, tf.tensor3d(batch.leadBoxes, [batch.size, LEAD_COUNT, 4])];
}
