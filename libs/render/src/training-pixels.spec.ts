import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EcgRecording, LeadName } from '@leadwise/ecg';
import { LEAD_NAMES } from '@leadwise/ecg';
import {
  DEFAULT_TRAINING_AUGMENTATIONS,
  leadBoxesToArray,
  renderTrainingBatch,
  renderTrainingPixels,
  trainingPageSize,
  type AugmentationOptions,
  type TrainingPixels,
  type TrainingRenderOptions,
} from './index.ts';
import { readExampleRecord } from './testing.ts';

let chapman: EcgRecording;
beforeAll(async () => {
  chapman = await readExampleRecord('chapman-JS00001');
});

const sha = (pixels: Uint8Array) => createHash('sha256').update(pixels).digest('hex');
const bare: TrainingRenderOptions = { gridStyle: 'none', showLabels: false, showCalibration: false, showSeparators: false };
const geometric: AugmentationOptions = { rotationDeg: 3, dpiJitter: 0.1, paddingCropPx: 8, blurSigmaPx: 0.8, baselineWanderMv: 0.5 };

describe('training pixels', () => {
  it('defaults to the 1.25 px/mm content size of the reference baseline', () => {
    // Content is 10 mm calibration area + 4 x 62.5 mm by 4 x 42.5 mm = 260 x 170 mm -> 325 x 212.5 px.
    expect(trainingPageSize('standard')).toEqual({ widthPx: 325, heightPx: 212 });
    expect(trainingPageSize('6x2')).toEqual({ widthPx: 325, heightPx: 210 });
    const image = renderTrainingPixels(chapman);
    expect([image.widthPx, image.heightPx, image.channels, image.pixels.length]).toEqual([325, 212, 1, 325 * 212]);
    expect(image.pxPerS).toBeCloseTo(25 * 1.25, 6);
  });

  it('draws the calibration pulse 10 mm tall in training pixels', () => {
    const image = renderTrainingPixels(chapman, { ...bare, showCalibration: true, hiddenLeads: [...LEAD_NAMES], widthPx: 1300, heightPx: 850 });
    // 1300 px over 260 mm and 850 px over 170 mm: 5 px/mm, so 10 mm = 50 px, 5 mm = 25 px.
    const inkRows = new Set<number>();
    const inkColumns = new Set<number>();
    for (let y = 0; y < 850 / 4; y++) {
      for (let x = 0; x < 50; x++) {
        if (image.pixels[y * 1300 + x] < 128) {
          inkRows.add(y);
          inkColumns.add(x);
        }
      }
    }
    const rows = [...inkRows].sort((a, b) => a - b);
    const columns = [...inkColumns].sort((a, b) => a - b);
    // Outer extent = pulse + one pen width (the pen is at least 1 px).
    expect(rows[rows.length - 1] - rows[0] + 1).toBeGreaterThanOrEqual(50);
    expect(rows[rows.length - 1] - rows[0] + 1).toBeLessThanOrEqual(52);
    // Lead-in 1.5 mm + pulse 5 mm + lead-out 1.5 mm = 8 mm = 40 px.
    expect(columns[columns.length - 1] - columns[0] + 1).toBeGreaterThanOrEqual(40);
    expect(columns[columns.length - 1] - columns[0] + 1).toBeLessThanOrEqual(42);
  });

  it('gives the same bytes for the same seed and others for another seed', () => {
    const options = { augmentations: DEFAULT_TRAINING_AUGMENTATIONS, seed: 42 };
    const first = renderTrainingPixels(chapman, options);
    expect(sha(renderTrainingPixels(chapman, options).pixels)).toBe(sha(first.pixels));
    expect(sha(renderTrainingPixels(chapman, { ...options, seed: 43 }).pixels)).not.toBe(sha(first.pixels));
    expect(sha(renderTrainingPixels(chapman, { ...options, channels: 3 }).pixels)).toBe(sha(renderTrainingPixels(chapman, { ...options, channels: 3 }).pixels));
  });

  it('switches each augmentation on and off independently', () => {
    const plain = sha(renderTrainingPixels(chapman, { seed: 5 }).pixels);
    const all = renderTrainingPixels(chapman, { seed: 5, augmentations: DEFAULT_TRAINING_AUGMENTATIONS }).augmentations;
    for (const name of Object.keys(DEFAULT_TRAINING_AUGMENTATIONS) as (keyof AugmentationOptions)[]) {
      const single = renderTrainingPixels(chapman, { seed: 5, augmentations: { [name]: DEFAULT_TRAINING_AUGMENTATIONS[name] } });
      expect(sha(single.pixels), name).not.toBe(plain);
      // Drawing one augmentation alone gives the value it had among all: each has its own stream.
      const applied = single.augmentations;
      if (name === 'rotationDeg') expect(applied.rotationDeg).toBe(all.rotationDeg);
      if (name === 'dpiJitter') expect(applied.scaleFactor).toBe(all.scaleFactor);
      if (name === 'paddingCropPx') expect([applied.shiftXPx, applied.shiftYPx]).toEqual([all.shiftXPx, all.shiftYPx]);
    }
  });

  function expectInkInside(image: TrainingPixels, lead: LeadName) {
    const boxes = image.leadBoxes.filter((b) => b.lead === lead);
    let inked = 0;
    for (let y = 0; y < image.heightPx; y++) {
      for (let x = 0; x < image.widthPx; x++) {
        if (image.pixels[(y * image.widthPx + x) * image.channels] >= 250) continue;
        inked++;
        const inside = boxes.some((b) => b.ink && x >= b.ink.x0 && x < b.ink.x1 && y >= b.ink.y0 && y < b.ink.y1);
        if (!inside) throw new Error(`${lead}: ink at (${x}, ${y}) outside its box`);
      }
    }
    expect(inked).toBeGreaterThan(20);
  }

  it('boxes every lead ink, with and without geometric augmentations', () => {
    for (const lead of LEAD_NAMES) {
      const hiddenLeads = LEAD_NAMES.filter((l) => l !== lead);
      expectInkInside(renderTrainingPixels(chapman, { ...bare, hiddenLeads }), lead);
      expectInkInside(renderTrainingPixels(chapman, { ...bare, hiddenLeads, augmentations: geometric, seed: 9, layout: 'cabrera' }), lead);
    }
  });

  it('exports boxes in pixels and normalised, panels row by row then the rhythm strip', () => {
    const image = renderTrainingPixels(chapman, { widthPx: 650, heightPx: 424 });
    expect(image.leadBoxes.map((b) => b.label)).toEqual(['I', 'aVR', 'V1', 'V4', 'II', 'aVL', 'V2', 'V5', 'III', 'aVF', 'V3', 'V6', 'II']);
    const first = image.leadBoxes[0];
    expect(first.cellNorm.x0).toBeCloseTo(first.cell.x0 / 650, 9);
    expect(first.cellNorm.y1).toBeCloseTo(first.cell.y1 / 424, 9);
    // Column 1 starts 10 mm + 62.5 mm into the 260 mm content.
    expect(image.leadBoxes[1].cellNorm.x0).toBeCloseTo(72.5 / 260, 9);
  });

  it('keeps grid-free images gray and paints the grid in RGB', () => {
    const rgbFree = renderTrainingPixels(chapman, { channels: 3, gridStyle: 'none' }).pixels;
    let coloured = 0;
    for (let i = 0; i < rgbFree.length; i += 3) if (rgbFree[i] !== rgbFree[i + 1] || rgbFree[i] !== rgbFree[i + 2]) coloured++;
    expect(coloured).toBe(0);
    const red = renderTrainingPixels(chapman, { channels: 3, gridStyle: 'red' }).pixels;
    for (let i = 0; i < red.length; i += 3) if (red[i] > red[i + 1] + 10) coloured++;
    expect(coloured).toBeGreaterThan(1000);
  });

  it('renders a batch into one NHWC buffer, each image as rendered alone with its seed', () => {
    const options = { augmentations: DEFAULT_TRAINING_AUGMENTATIONS, seeds: [11, 12] };
    const batch = renderTrainingBatch([chapman, chapman], options);
    expect([batch.count, batch.widthPx, batch.heightPx, batch.pixels.length]).toEqual([2, 325, 212, 2 * 325 * 212]);
    const second = renderTrainingPixels(chapman, { augmentations: DEFAULT_TRAINING_AUGMENTATIONS, seed: 12 });
    expect(sha(batch.pixels.subarray(325 * 212))).toBe(sha(second.pixels));
    const cells = leadBoxesToArray(batch.leadBoxes[1]);
    expect(cells).toHaveLength(13 * 4);
    expect(cells[4 * 12 + 2]).toBeCloseTo(second.leadBoxes[12].cellNorm.x1, 6);
  });

  it('writes into a caller buffer and rejects one of the wrong size', () => {
    const batch = new Uint8Array(2 * 325 * 212);
    const slot = batch.subarray(325 * 212);
    const image = renderTrainingPixels(chapman, { out: slot });
    expect(image.pixels).toBe(slot);
    expect(slot.some((v) => v < 128)).toBe(true);
    expect(() => renderTrainingPixels(chapman, { out: new Uint8Array(10) })).toThrow(/expected 68900/);
  });
});
