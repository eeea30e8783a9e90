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
import { leadBoxFor, normaliseRect, pixelBounds, type LeadBox, type MmToPx } from './page-sidecar.ts';
import { GRID_COLOURS, INK_COLOUR, LARGE_SQUARE_MM, lumaOf, SMALL_SQUARE_MM, type Rgb } from './paper.ts';
import { drawText, drawTrace, fillRect, type InkStyle, type PixelImage } from './pixel-raster.ts';
import { resolveRenderOptions, type LayoutName, type RenderOptions } from './render-options.ts';
import { panelTracePoints } from './trace-points.ts';

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

const MINOR_LINE_MM = 0.1;
const MAJOR_LINE_MM = 0.2;

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
  const x = (mm: number) => map.offsetXPx + mm * scaleX;
  const y = (mm: number) => map.offsetYPx + mm * scaleY;

  let image: PixelImage = { widthPx, heightPx, channels, data: new Uint8Array(length).fill(255) };
  const inkStyle: InkStyle = { rgb: INK_COLOUR, gray: 0, antialias };
  if (resolved.gridStyle !== 'none') {
    const colours = GRID_COLOURS[resolved.gridStyle];
    drawGrid(image, map, content, colours.minor, colours.major);
  }

  const signals =
    applied.baselineWanderMv > 0
      ? addBaselineWander(recording.signalsMv, recording.samplingRateHz, applied.baselineWanderMv, seed)
      : recording.signalsMv;
  const hidden = new Set(resolved.hiddenLeads);
  const halfPenPx = Math.max(0.5, (resolved.traceWidthMm * scaleY) / 2);
  const speed = resolved.paperSpeedMmPerS;
  const gain = resolved.gainMmPerMv;
  let leadBoxes: LeadBox[] = [];
  for (const panel of layout.panels) {
    const leadIndex = recording.leadNames.indexOf(panel.lead);
    if (leadIndex < 0) throw new Error(`record ${recording.recordName} has no lead ${panel.lead}`);
    const trace = hidden.has(panel.lead) ? null : panelTracePoints(recording, panel, signals[leadIndex]);
    if (trace) {
      const xs = new Float64Array(trace.count);
      const ys = new Float64Array(trace.count);
      for (let k = 0; k < trace.count; k++) {
        xs[k] = x(panel.xMm + (trace.timesS[k] - panel.startS) * speed);
        ys[k] = y(panel.baselineYMm - trace.valuesMv[k] * gain);
      }
      drawTrace(image, xs, ys, trace.count, halfPenPx, inkStyle);
    }
    leadBoxes.push(leadBoxFor(panel, map, speed, gain, trace, halfPenPx));
  }
  const hLine = (x0: number, x1: number, yMm: number) => fillRect(image, x(x0) - halfPenPx, y(yMm) - halfPenPx, x(x1) + halfPenPx, y(yMm) + halfPenPx, inkStyle);
  const vLine = (xMm: number, y0: number, y1: number) => fillRect(image, x(xMm) - halfPenPx, y(y0) - halfPenPx, x(xMm) + halfPenPx, y(y1) + halfPenPx, inkStyle);
  if (resolved.showCalibration) {
    for (const pulse of layout.calibrationPulses) {
      hLine(pulse.leadInXMm, pulse.riseXMm, pulse.baselineYMm);
      vLine(pulse.riseXMm, pulse.topYMm, pulse.baselineYMm);
      hLine(pulse.riseXMm, pulse.fallXMm, pulse.topYMm);
      vLine(pulse.fallXMm, pulse.topYMm, pulse.baselineYMm);
      hLine(pulse.fallXMm, pulse.leadOutXMm, pulse.baselineYMm);
    }
  }
  if (resolved.showSeparators) for (const tick of layout.separators) vLine(tick.xMm, tick.y0Mm, tick.y1Mm);
  if (resolved.showLabels) {
    for (const panel of layout.panels) drawText(image, panel.label, x(panel.labelXMm), y(panel.labelYMm), layout.labelFontSizeMm * scaleY, inkStyle);
  }

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
  if (out) {
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

/** Grid lines across the whole image, on whole millimetres from the content's corner, by true coverage. */
function drawGrid(image: PixelImage, map: MmToPx, content: Rect, minor: Rgb, major: Rgb): void {
  const styleOf = (rgb: Rgb): InkStyle => ({ rgb, gray: lumaOf(rgb), antialias: true });
  const minorStyle = styleOf(minor);
  const majorStyle = styleOf(major);
  const perLarge = LARGE_SQUARE_MM / SMALL_SQUARE_MM;
  const firstX = Math.floor((0 - map.offsetXPx) / map.scaleX - content.x0);
  const lastX = Math.ceil((image.widthPx - map.offsetXPx) / map.scaleX - content.x0);
  for (let k = firstX; k <= lastX; k++) {
    const isMajor = ((k % perLarge) + perLarge) % perLarge === 0;
    const half = ((isMajor ? MAJOR_LINE_MM : MINOR_LINE_MM) * map.scaleX) / 2;
    const xPx = map.offsetXPx + (content.x0 + k * SMALL_SQUARE_MM) * map.scaleX;
    fillRect(image, xPx - half, 0, xPx + half, image.heightPx, isMajor ? majorStyle : minorStyle);
  }
  const firstY = Math.floor((0 - map.offsetYPx) / map.scaleY - content.y0);
  const lastY = Math.ceil((image.heightPx - map.offsetYPx) / map.scaleY - content.y0);
  for (let k = firstY; k <= lastY; k++) {
    const isMajor = ((k % perLarge) + perLarge) % perLarge === 0;
    const half = ((isMajor ? MAJOR_LINE_MM : MINOR_LINE_MM) * map.scaleY) / 2;
    const yPx = map.offsetYPx + (content.y0 + k * SMALL_SQUARE_MM) * map.scaleY;
    fillRect(image, 0, yPx - half, image.widthPx, yPx + half, isMajor ? majorStyle : minorStyle);
  }
}
