import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../architectures/model-factory.ts';
import { parseModelConfig } from '../config.ts';
import { SyntheticSampleSource } from '../testing.ts';
import { predictHostBatch } from '../training/predict.ts';
import { loadHostBatch } from '../training/sample-batches.ts';
import { blankBoxes, groupAttributions, summarizeGroupAttributions } from './occlusion.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('blankBoxes', () => {
  it('blanks exactly the pixels whose centres lie inside the box', () => {
    const pixels = new Float32Array(4 * 4).fill(1);
    // [0, 0.5] x [0, 0.5] of a 4x4 image: centres 0.5 and 1.5 in both axes -> the top-left 2x2.
    blankBoxes(pixels, { inputHeight: 4, inputWidth: 4, channels: 1 }, [0, 0, 0.5, 0.5], [0], 0);
    expect(Array.from(pixels)).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('groupAttributions', () => {
  it.each(['residual', 'paper'] as const)('%s head: reports intact minus occluded probability per group, and attention rows that sum to 1', async (leadGroupHead) => {
    const network = createModel(
      parseModelConfig({ architecture: 'leadgroup', leadGroupHead, rhythmStrip: true, inputHeight: 32, inputWidth: 32, widthMultiplier: 0.0625, seed: 2 }),
    );
    const source = new SyntheticSampleSource(3, 32, 32);
    const result = await groupAttributions(network, source, { batchSize: 12 });
    expect(result.occlusionDelta).toHaveLength(15);
    for (let s = 0; s < 3; s++) {
      const row = Array.from(result.groupAttention!.subarray(s * 5, s * 5 + 5));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    // Independent check of sample 1, group inferior (II, III, aVF = lead indices 1, 2, 5, and the lead II rhythm strip = box 12).
    const batch = await loadHostBatch(source, [1], [null]);
    const intact = predictHostBatch(network, batch).probabilities[0];
    const occluded = batch.images.slice();
    blankBoxes(occluded, network.config, batch.leadBoxes, [1, 2, 5, 12], 0);
    const blanked = predictHostBatch(network, { ...batch, images: occluded }).probabilities[0];
    expect(result.probabilities[1]).toBeCloseTo(intact, 5);
    expect(result.occlusionDelta[1 * 5 + 0]).toBeCloseTo(intact - blanked, 5);
    const summary = summarizeGroupAttributions(result);
    expect(summary).toHaveLength(10);
    expect(summary.find((s) => s.label === 1 && s.group === 'inferior')!.count).toBe(1);
    network.model.dispose();
  });
});
