import { LEAD_GROUP_NAMES, LEAD_GROUPS, LEAD_NAMES, type LeadGroupName } from '@leadwise/ecg';
import { BOX_COUNT, GROUP_COUNT, RHYTHM_BOX, RHYTHM_LEAD } from '../constants.ts';
import type { LeadwiseModel } from '../architectures/model-factory.ts';
import { predictHostBatch } from '../training/predict.ts';
import { loadHostBatch } from '../training/sample-batches.ts';
import type { SampleSource } from '../types.ts';

/** Per-sample lead-group attributions, groups in LEAD_GROUP_NAMES order. */
export interface GroupAttributions {
  probabilities: Float32Array;
  labels: Float32Array;
  /**
   * [sample * 5 + group]: P(abnormal) of the intact image minus P(abnormal) with that group's lead
   * boxes blanked. Positive = the group pushed the prediction towards abnormal.
   */
  occlusionDelta: Float32Array;
  /** [sample * 5 + group] attention weights (LeadGroupECG only). */
  groupAttention: Float32Array | null;
}

export interface OcclusionOptions {
  batchSize: number;
  /** Value written over a blanked box; 0 = blank paper in the Sample convention (the default). */
  blankValue?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Scores a batch of images; defaults to the tfjs model. An ONNX Runtime session (OnnxEngine)
   * plugs in here for large evaluation sets: it returns the same shapes.
   */
  predict?: (batch: { size: number; images: Float32Array; leadBoxes: Float32Array }) => Promise<BatchScores> | BatchScores;
}

export interface BatchScores {
  probabilities: Float32Array;
  groupAttention: Float32Array | null;
}

const LEAD_INDEX = new Map<string, number>(LEAD_NAMES.map((name, index) => [name, index]));
/** Boxes blanked per group: its leads' panels, and the rhythm strip for the group of RHYTHM_LEAD. */
const GROUP_LEADS: number[][] = LEAD_GROUP_NAMES.map((group: LeadGroupName) =>
  (LEAD_GROUPS[group] as readonly string[]).flatMap((lead) => (lead === RHYTHM_LEAD ? [LEAD_INDEX.get(lead) as number, RHYTHM_BOX] : [LEAD_INDEX.get(lead) as number])),
);

/**
 * Fills the pixels of the given boxes (normalised [x0, y0, x1, y1], pixel centres inside the box)
 * with `blankValue`, in place, for an image of height x width x channels.
 */
export function blankBoxes(
  pixels: Float32Array,
  shape: { inputHeight: number; inputWidth: number; channels: number },
  boxes: ArrayLike<number>,
  boxIndices: readonly number[],
  blankValue: number,
): void {
  const { inputHeight: height, inputWidth: width, channels } = shape;
  for (const box of boxIndices) {
    const x0 = boxes[box * 4] * width;
    const y0 = boxes[box * 4 + 1] * height;
    const x1 = boxes[box * 4 + 2] * width;
    const y1 = boxes[box * 4 + 3] * height;
    const colStart = Math.max(0, Math.ceil(x0 - 0.5));
    const colEnd = Math.min(width - 1, Math.floor(x1 - 0.5));
    const rowStart = Math.max(0, Math.ceil(y0 - 0.5));
    const rowEnd = Math.min(height - 1, Math.floor(y1 - 0.5));
    for (let row = rowStart; row <= rowEnd; row += 1) {
      pixels.fill(blankValue, (row * width + colStart) * channels, (row * width + colEnd + 1) * channels);
    }
  }
}

/**
 * Occlusion per lead group for any model (and attention for LeadGroupECG): for each sample, the
 * intact probability and the probability with each group's lead boxes blanked (5 extra forward
 * passes per sample, batched together).
 */
export async function groupAttributions(network: LeadwiseModel, source: SampleSource, options: OcclusionOptions): Promise<GroupAttributions> {
  const blankValue = options.blankValue ?? 0;
  const shape = network.config;
  const pixelsPerImage = shape.inputHeight * shape.inputWidth * shape.channels;
  const probabilities = new Float32Array(source.size);
  const labels = new Float32Array(source.size);
  const occlusionDelta = new Float32Array(source.size * GROUP_COUNT);
  const groupAttention = network.hasGroupAttention ? new Float32Array(source.size * GROUP_COUNT) : null;
  // Each sample becomes 1 + 5 images, so fetch batchSize / 6 samples at a time.
  const samplesPerBatch = Math.max(1, Math.floor(options.batchSize / (1 + GROUP_COUNT)));
  for (let start = 0; start < source.size; start += samplesPerBatch) {
    const indices = Array.from({ length: Math.min(samplesPerBatch, source.size - start) }, (_, i) => start + i);
    const batch = await loadHostBatch(source, indices, indices.map(() => null));
    const variants = indices.length * (1 + GROUP_COUNT);
    const images = new Float32Array(variants * pixelsPerImage);
    const leadBoxes = new Float32Array(variants * BOX_COUNT * 4);
    for (let s = 0; s < indices.length; s += 1) {
      const original = batch.images.subarray(s * pixelsPerImage, (s + 1) * pixelsPerImage);
      const boxes = batch.leadBoxes.subarray(s * BOX_COUNT * 4, (s + 1) * BOX_COUNT * 4);
      for (let v = 0; v <= GROUP_COUNT; v += 1) {
        const variant = s * (1 + GROUP_COUNT) + v;
        const image = images.subarray(variant * pixelsPerImage, (variant + 1) * pixelsPerImage);
        image.set(original);
        if (v > 0) blankBoxes(image, shape, boxes, GROUP_LEADS[v - 1], blankValue);
        leadBoxes.set(boxes, variant * BOX_COUNT * 4);
      }
    }
    const result = options.predict ? await options.predict({ size: variants, images, leadBoxes }) : predictHostBatch(network, { size: variants, images, leadBoxes });
    for (let s = 0; s < indices.length; s += 1) {
      const sampleIndex = start + s;
      const intact = result.probabilities[s * (1 + GROUP_COUNT)];
      probabilities[sampleIndex] = intact;
      labels[sampleIndex] = batch.labels[s];
      for (let g = 0; g < GROUP_COUNT; g += 1) {
        occlusionDelta[sampleIndex * GROUP_COUNT + g] = intact - result.probabilities[s * (1 + GROUP_COUNT) + 1 + g];
        if (groupAttention && result.groupAttention) {
          groupAttention[sampleIndex * GROUP_COUNT + g] = result.groupAttention[s * (1 + GROUP_COUNT) * GROUP_COUNT + g];
        }
      }
    }
    options.onProgress?.(start + indices.length, source.size);
  }
  return { probabilities, labels, occlusionDelta, groupAttention };
}

export interface GroupAttributionSummary {
  group: LeadGroupName;
  label: 0 | 1;
  count: number;
  occlusionMean: number;
  occlusionSd: number;
  attentionMean: number | null;
  attentionSd: number | null;
}

/** Mean and SD per group, split by true label: the per-run aggregate the report charts. */
export function summarizeGroupAttributions(attributions: GroupAttributions): GroupAttributionSummary[] {
  const summaries: GroupAttributionSummary[] = [];
  for (const label of [0, 1] as const) {
    const members: number[] = [];
    attributions.labels.forEach((value, index) => {
      if (value === label) members.push(index);
    });
    LEAD_GROUP_NAMES.forEach((group, g) => {
      const occlusion = meanSd(members.map((i) => attributions.occlusionDelta[i * GROUP_COUNT + g]));
      const weights = attributions.groupAttention;
      const attention = weights ? meanSd(members.map((i) => weights[i * GROUP_COUNT + g])) : null;
      summaries.push({
        group,
        label,
        count: members.length,
        occlusionMean: occlusion.mean,
        occlusionSd: occlusion.sd,
        attentionMean: attention?.mean ?? null,
        attentionSd: attention?.sd ?? null,
      });
    });
  }
  return summaries;
}

function meanSd(values: number[]): { mean: number; sd: number } {
  if (values.length === 0) return { mean: NaN, sd: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, sd: Math.sqrt(variance) };
}
