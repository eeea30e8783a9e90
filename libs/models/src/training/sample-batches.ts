import * as tf from '@tensorflow/tfjs';
import { BOX_COUNT, GROUP_TARGET_COUNT, LEAD_COUNT, withRhythmBox } from '../constants.ts';
import type { Sample, SampleSource } from '../types.ts';

/** A batch on the host, ready to become tensors. */
export interface HostBatch {
  size: number;
  images: Float32Array;
  /** [sample][BOX_COUNT][4]: the 12 panels and the rhythm strip (see Sample.leadBoxes). */
  leadBoxes: Float32Array;
  labels: Float32Array;
  /** [sample][GROUP_TARGET_COUNT] auxiliary group targets, or null when any sample lacks them. */
  groupTargets: Float32Array | null;
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
  const leadBoxes = new Float32Array(indices.length * BOX_COUNT * 4);
  const labels = new Float32Array(indices.length);
  let groupTargets: Float32Array | null = new Float32Array(indices.length * GROUP_TARGET_COUNT);
  for (let i = 0; i < indices.length; i += 1) {
    const sample: Sample = await source.sample(indices[i], augmentationSeeds[i]);
    if (sample.pixels.length !== pixelsPerImage) {
      throw new SampleShapeError(
        `sample ${indices[i]} has ${sample.pixels.length} pixels, expected ${source.inputHeight}x${source.inputWidth}x${source.channels}`,
      );
    }
    if (sample.leadBoxes.length !== LEAD_COUNT && sample.leadBoxes.length !== BOX_COUNT) {
      throw new SampleShapeError(`sample ${indices[i]} has ${sample.leadBoxes.length} lead boxes, expected ${LEAD_COUNT} panels, optionally + the rhythm strip`);
    }
    images.set(sample.pixels, i * pixelsPerImage);
    withRhythmBox(sample.leadBoxes).forEach((box, lead) => leadBoxes.set(box, (i * BOX_COUNT + lead) * 4));
    labels[i] = sample.label;
    if (sample.groupTargets && sample.groupTargets.length !== GROUP_TARGET_COUNT) {
      throw new SampleShapeError(`sample ${indices[i]} has ${sample.groupTargets.length} group targets, expected ${GROUP_TARGET_COUNT}`);
    }
    if (!sample.groupTargets) groupTargets = null;
    else groupTargets?.set(sample.groupTargets, i * GROUP_TARGET_COUNT);
  }
  return { size: indices.length, images, leadBoxes, labels, groupTargets };
}

/**
 * The model's inputs for a host batch: the image alone (leadBoxCount 0), or [image, lead boxes] for
 * LeadGroupECG, whose graph takes the batch's 13 boxes or, for a 12-box model, the first 12.
 */
export function batchInputs(
  batch: Pick<HostBatch, 'size' | 'images' | 'leadBoxes'>,
  shape: { inputHeight: number; inputWidth: number; channels: number },
  leadBoxCount: number,
): tf.Tensor[] {
  const image = tf.tensor4d(batch.images, [batch.size, shape.inputHeight, shape.inputWidth, shape.channels]);
  if (leadBoxCount === 0) return [image];
  return [image, tf.tensor3d(selectLeadBoxes(batch.leadBoxes, batch.size, leadBoxCount), [batch.size, leadBoxCount, 4])];
}

/** The first `leadBoxCount` boxes of each sample of a [size][BOX_COUNT][4] buffer (the buffer itself for 13). */
export function selectLeadBoxes(leadBoxes: Float32Array, size: number, leadBoxCount: number): Float32Array {
  if (leadBoxes.length !== size * BOX_COUNT * 4) throw new SampleShapeError(`batch of ${size} has ${leadBoxes.length} lead-box values, expected ${size}x${BOX_COUNT}x4`);
  if (leadBoxCount === BOX_COUNT) return leadBoxes;
  if (leadBoxCount > BOX_COUNT) throw new SampleShapeError(`a model cannot take ${leadBoxCount} lead boxes (at most ${BOX_COUNT})`);
  const out = new Float32Array(size * leadBoxCount * 4);
  for (let i = 0; i < size; i += 1) out.set(leadBoxes.subarray(i * BOX_COUNT * 4, (i * BOX_COUNT + leadBoxCount) * 4), i * leadBoxCount * 4);
  return out;
}
