import type { EcgRecording } from '@leadwise/ecg';
import {
  addBaselineWander,
  applyPhotometric,
  blurImage,
  drawAugmentations,
  rotateImage,
  rotateRect,
  type AppliedAugmentations,
  type AugmentationOptions,
} from './augmentations.ts';
import { computePageLayout, type Rect } from './page-layout.ts';
import { normaliseRect, pixelBounds, type LeadBox, type MmToPx } from './page-sidecar.ts';
import type { PixelImage } from './pixel-raster.ts';
import { rasterizeLayout } from './raster-page.ts';
import { resolveRenderOptions, type LayoutName, type RenderOptions } from './render-options.ts';

/**
 * Training images show the page's content (calibration area and every row), not its margins or
 * header, at 1.25 px/mm: 325 x 212 px for the standard layout, the size of the reference PyTorch
 * baseline's grid-free pages (../shared/reference/anchors.md).
 */
export const TRAINING_PX_PER_MM = 1.25;

export type TrainingRenderOptions = Omit<RenderOptions, 'dpi' | 'paper' | 'showHeader' | 'filterDescription'> & {
  /** Output size; defaults to `trainingPageSize(layout, paperSpeedMmPerS)`. The content is stretched to fill it. */
  widthPx?: number;
  heightPx?: number;
  /** 1: gray (grid colours by luma), 3: RGB. */
  channels?: 1 | 3;
  /** Partial pixel coverage at edges (default true); false inks every touched pixel fully. */
  antialias?: boolean;
  augmentations?: AugmentationOptions;
  /** Seed of every random draw; same options, record and seed give the same bytes. */
  seed?: number;
  /** Where to write the pixels (length width x height x channels), e.g. a slice of a batch buffer. */
  out?: Uint8Array;
};

export interface TrainingPixels {
  widthPx: number;
  heightPx: number;
  channels: 1 | 3;
  /** Row-major, channels interleaved, 255 = white paper, 0 = black ink. */
  pixels: Uint8Array;
  pxPerMmX: number;
  pxPerMmY: number;
  pxPerS: number;
  pxPerMv: number;
  /**
   * Panels row by row then the rhythm strip, in this image's pixels and normalised to 0..1. After
   * rotation, `cell` and `ink` are the bounds of the rotated rects; originXPx and baselineYPx are
   * the unrotated values.
   */
  leadBoxes: LeadBox[];
  augmentations: AppliedAugmentations;
  seed: number;
}

/** Default training image size for a layout: its content at TRAINING_PX_PER_MM. */
export function trainingPageSize(layout: LayoutName = 'standard', paperSpeedMmPerS: 25 | 50 = 25): { widthPx: number; heightPx: number } {
  const content = computePageLayout(resolveRenderOptions({ layout, paperSpeedMmPerS, showHeader: false })).contentMm;
  return {
    widthPx: Math.floor((content.x1 - content.x0) * TRAINING_PX_PER_MM),
    heightPx: Math.floor((content.y1 - content.y0) * TRAINING_PX_PER_MM),
  };
}

/** Draws the page straight into a typed array at the model's input size: no canvas, no PNG. */
export function renderTrainingPixels(recording: EcgRecording, options: TrainingRenderOptions = {}): TrainingPixels {
  const { widthPx: w0, heightPx: h0, channels = 1, antialias = true, augmentations = {}, seed = 0, out, ...pageOptions } = options;
  const resolved = resolveRenderOptions({ ...pageOptions, showHeader: false, paper: 'letter' });
  const layout = computePageLayout(resolved);
  const defaults = trainingPageSize(resolved.layout, resolved.paperSpeedMmPerS);
  const widthPx = w0 ?? defaults.widthPx;
  const heightPx = h0 ?? defaults.heightPx;
  const length = widthPx * heightPx * channels;
  if (out && out.length !== length) throw new Error(`out has ${out.length} bytes, expected ${length} (${widthPx}x${heightPx}x${channels})`);
  const applied = drawAugmentations(augmentations, seed);

  const content = layout.contentMm;
  const scaleX = (widthPx / (content.x1 - content.x0)) * applied.scaleFactor;
  const scaleY = (heightPx / (content.y1 - content.y0)) * applied.scaleFactor;
  const map: MmToPx = {
    scaleX,
    scaleY,
    offsetXPx: widthPx / 2 - ((content.x0 + content.x1) / 2) * scaleX + applied.shiftXPx,
    offsetYPx: heightPx / 2 - ((content.y0 + content.y1) / 2) * scaleY + applied.shiftYPx,
    widthPx,
    heightPx,
  };
  let image: PixelImage = { widthPx, heightPx, channels, data: out ? out.fill(255) : new Uint8Array(length).fill(255) };
  const signalsMv =
    applied.baselineWanderMv > 0
      ? addBaselineWander(recording.signalsMv, recording.samplingRateHz, applied.baselineWanderMv, seed)
      : recording.signalsMv;
  let leadBoxes = rasterizeLayout({ recording, options: resolved, layout, map, image, signalsMv, gridMm: null, antialias });
  const speed = resolved.paperSpeedMmPerS;
  const gain = resolved.gainMmPerMv;

  const regrow = (rect: Rect | null, transform: (r: Rect) => Rect, marginPx: number) =>
    rect ? pixelBounds(transform(rect), marginPx, widthPx, heightPx) : null;
  if (applied.rotationDeg !== 0) {
    const paper = channels === 1 ? [255] : [255, 255, 255];
    image = rotateImage(image, applied.rotationDeg, paper);
    const rotate = (r: Rect) => rotateRect(r, applied.rotationDeg, widthPx, heightPx);
    leadBoxes = leadBoxes.map((box) => ({ ...box, cell: rotate(box.cell), ink: regrow(box.ink, rotate, 1) }));
  }
  if (applied.blurSigmaPx > 0) {
    const radius = blurImage(image, applied.blurSigmaPx);
    leadBoxes = leadBoxes.map((box) => ({ ...box, ink: regrow(box.ink, (r) => r, radius) }));
  }
  leadBoxes = leadBoxes.map((box) => ({
    ...box,
    cellNorm: normaliseRect(box.cell, widthPx, heightPx),
    inkNorm: box.ink ? normaliseRect(box.ink, widthPx, heightPx) : null,
  }));
  applyPhotometric(image, applied, seed);

  let pixels = image.data;
  if (out && pixels !== out) {
    out.set(pixels);
    pixels = out;
  }
  return {
    widthPx,
    heightPx,
    channels,
    pixels,
    pxPerMmX: scaleX,
    pxPerMmY: scaleY,
    pxPerS: speed * scaleX,
    pxPerMv: gain * scaleY,
    leadBoxes,
    augmentations: applied,
    seed,
  };
}

export interface TrainingBatch {
  /** count x height x width x channels, row-major (NHWC), 255 = paper. */
  pixels: Uint8Array;
  count: number;
  widthPx: number;
  heightPx: number;
  channels: 1 | 3;
  /** Per image, in the same order as `TrainingPixels.leadBoxes`. */
  leadBoxes: LeadBox[][];
  augmentations: AppliedAugmentations[];
}

/**
 * Renders several recordings into one NHWC buffer; image i uses seed `seeds[i]` (default: options.seed + i),
 * so an epoch can be replayed exactly.
 */
export function renderTrainingBatch(recordings: readonly EcgRecording[], options: Omit<TrainingRenderOptions, 'out'> & { seeds?: readonly number[] } = {}): TrainingBatch {
  const { seeds, ...imageOptions } = options;
  const layout = imageOptions.layout ?? 'standard';
  const defaults = trainingPageSize(layout, imageOptions.paperSpeedMmPerS ?? 25);
  const widthPx = imageOptions.widthPx ?? defaults.widthPx;
  const heightPx = imageOptions.heightPx ?? defaults.heightPx;
  const channels = imageOptions.channels ?? 1;
  const size = widthPx * heightPx * channels;
  const pixels = new Uint8Array(recordings.length * size);
  const leadBoxes: LeadBox[][] = [];
  const augmentations: AppliedAugmentations[] = [];
  recordings.forEach((recording, i) => {
    const seed = seeds?.[i] ?? (imageOptions.seed ?? 0) + i;
    const image = renderTrainingPixels(recording, { ...imageOptions, widthPx, heightPx, channels, seed, out: pixels.subarray(i * size, (i + 1) * size) });
    leadBoxes.push(image.leadBoxes);
    augmentations.push(image.augmentations);
  });
  return { pixels, count: recordings.length, widthPx, heightPx, channels, leadBoxes, augmentations };
}

/** Boxes as a flat [x0, y0, x1, y1] x boxes Float32Array of normalised coordinates (a missing ink box is all zeros). */
export function leadBoxesToArray(boxes: readonly LeadBox[], which: 'cellNorm' | 'inkNorm' = 'cellNorm'): Float32Array {
  const out = new Float32Array(boxes.length * 4);
  boxes.forEach((box, i) => {
    const rect = box[which];
    if (rect) out.set([rect.x0, rect.y0, rect.x1, rect.y1], i * 4);
  });
  return out;
}
