import type { EcgRecording } from '@leadwise/ecg';
import type { PageLayout, Rect } from './page-layout.ts';
import { leadBoxFor, type LeadBox, type MmToPx } from './page-sidecar.ts';
import { GRID_COLOURS, INK_COLOUR, LARGE_SQUARE_MM, SMALL_SQUARE_MM, lumaOf, type GridColours } from './paper.ts';
import { drawText, drawTrace, fillRect, type InkStyle, type PixelImage } from './pixel-raster.ts';
import type { ResolvedRenderOptions } from './render-options.ts';
import { panelTracePoints } from './trace-points.ts';
import { headerLines } from './header-text.ts';

const MINOR_LINE_MM = 0.1;
const MAJOR_LINE_MM = 0.2;
/** Lines thinner than this many pixels are drawn at this width (a 0.1 mm line is 0.8 px at 200 dpi). */
const MIN_GRID_LINE_PX = 0.5;

export interface RasterRequest {
  recording: EcgRecording;
  options: ResolvedRenderOptions;
  layout: PageLayout;
  map: MmToPx;
  image: PixelImage;
  /** Signals to draw, parallel to recording.leadNames (baseline wander may have been added). */
  signalsMv: Float32Array[];
  /** Grid extent in mm, or null to cover the whole image (training crops). */
  gridMm: Rect | null;
  antialias: boolean;
}

/**
 * Draws a page (or its content crop) into a typed-array image: grid, traces, calibration pulses,
 * separators, labels and header, in that order. The one drawing path for PNG pages and training
 * pixels, so both have the same layout and the same boxes. Returns the lead boxes.
 */
export function rasterizeLayout(request: RasterRequest): LeadBox[] {
  const { recording, options, layout, map, image, signalsMv, antialias } = request;
  const x = (mm: number) => map.offsetXPx + mm * map.scaleX;
  const y = (mm: number) => map.offsetYPx + mm * map.scaleY;
  if (options.gridStyle !== 'none') drawGrid(image, map, layout.contentMm, request.gridMm, GRID_COLOURS[options.gridStyle]);

  const ink: InkStyle = { rgb: INK_COLOUR, gray: 0, antialias };
  const hidden = new Set(options.hiddenLeads);
  const halfPenPx = Math.max(0.5, (options.traceWidthMm * map.scaleY) / 2);
  const speed = options.paperSpeedMmPerS;
  const gain = options.gainMmPerMv;
  const leadBoxes: LeadBox[] = [];
  for (const panel of layout.panels) {
    const leadIndex = recording.leadNames.indexOf(panel.lead);
    if (leadIndex < 0) throw new Error(`record ${recording.recordName} has no lead ${panel.lead}`);
    const trace = hidden.has(panel.lead) ? null : panelTracePoints(recording, panel, signalsMv[leadIndex]);
    if (trace) {
      const xs = new Float64Array(trace.count);
      const ys = new Float64Array(trace.count);
      for (let k = 0; k < trace.count; k++) {
        xs[k] = x(panel.xMm + (trace.timesS[k] - panel.startS) * speed);
        ys[k] = y(panel.baselineYMm - trace.valuesMv[k] * gain);
      }
      drawTrace(image, xs, ys, trace.count, halfPenPx, ink);
    }
    leadBoxes.push(leadBoxFor(panel, map, speed, gain, trace, halfPenPx));
  }
  const hLine = (x0: number, x1: number, yMm: number) => fillRect(image, x(x0) - halfPenPx, y(yMm) - halfPenPx, x(x1) + halfPenPx, y(yMm) + halfPenPx, ink);
  const vLine = (xMm: number, y0: number, y1: number) => fillRect(image, x(xMm) - halfPenPx, y(y0) - halfPenPx, x(xMm) + halfPenPx, y(y1) + halfPenPx, ink);
  if (options.showCalibration) {
    for (const pulse of layout.calibrationPulses) {
      hLine(pulse.leadInXMm, pulse.riseXMm, pulse.baselineYMm);
      vLine(pulse.riseXMm, pulse.topYMm, pulse.baselineYMm);
      hLine(pulse.riseXMm, pulse.fallXMm, pulse.topYMm);
      vLine(pulse.fallXMm, pulse.topYMm, pulse.baselineYMm);
      hLine(pulse.fallXMm, pulse.leadOutXMm, pulse.baselineYMm);
    }
  }
  if (options.showSeparators) for (const tick of layout.separators) vLine(tick.xMm, tick.y0Mm, tick.y1Mm);
  if (options.showLabels) {
    for (const panel of layout.panels) drawText(image, panel.label, x(panel.labelXMm), y(panel.labelYMm), layout.labelFontSizeMm * map.scaleY, ink);
  }
  if (layout.headerMm) {
    const header = layout.headerMm;
    headerLines(recording, options).forEach((line, i) =>
      // Header lines differ per record: drawn without the glyph cache so it cannot grow without bound.
      drawText(image, line, x(header.xMm), y(header.firstLineYMm + i * header.lineHeightMm), header.fontSizeMm * map.scaleY, ink, false),
    );
  }
  return leadBoxes;
}

/**
 * Grid lines multiply the paper colour, so the grid is a product of a column factor and a row
 * factor: each pixel is paper x column(x) x row(y). Rows without a horizontal line are all the same
 * and are copied, which makes a 200 dpi grid cost a few milliseconds.
 */
function drawGrid(image: PixelImage, map: MmToPx, originMm: Rect, gridMm: Rect | null, colours: GridColours): void {
  const { widthPx: w, heightPx: h, channels } = image;
  const colourOf = (rgb: readonly number[]) => (channels === 1 ? [lumaOf(rgb as [number, number, number])] : [...rgb]);
  const minor = colourOf(colours.minor);
  const major = colourOf(colours.major);
  const perLarge = LARGE_SQUARE_MM / SMALL_SQUARE_MM;
  const x0Px = gridMm ? Math.max(0, map.offsetXPx + gridMm.x0 * map.scaleX) : 0;
  const x1Px = gridMm ? Math.min(w, map.offsetXPx + gridMm.x1 * map.scaleX) : w;
  const y0Px = gridMm ? Math.max(0, map.offsetYPx + gridMm.y0 * map.scaleY) : 0;
  const y1Px = gridMm ? Math.min(h, map.offsetYPx + gridMm.y1 * map.scaleY) : h;

  /** Per pixel along one axis and per channel: the factor the lines crossing it multiply by. */
  const factors = (length: number, offsetPx: number, scale: number, originMmAxis: number, fromPx: number, toPx: number) => {
    const f = new Float64Array(length * channels).fill(1);
    const firstK = Math.floor((fromPx - offsetPx) / scale - originMmAxis) - 1;
    const lastK = Math.ceil((toPx - offsetPx) / scale - originMmAxis) + 1;
    for (let k = firstK; k <= lastK; k++) {
      const isMajor = ((k % perLarge) + perLarge) % perLarge === 0;
      const half = Math.max((isMajor ? MAJOR_LINE_MM : MINOR_LINE_MM) * scale, MIN_GRID_LINE_PX) / 2;
      const centre = offsetPx + (originMmAxis + k * SMALL_SQUARE_MM) * scale;
      const lo = Math.max(fromPx, centre - half);
      const hi = Math.min(toPx, centre + half);
      const colour = isMajor ? major : minor;
      for (let p = Math.floor(lo); p < hi && p < length; p++) {
        const coverage = Math.min(p + 1, hi) - Math.max(p, lo);
        if (coverage <= 0) continue;
        for (let c = 0; c < channels; c++) f[p * channels + c] *= 1 - coverage * (1 - colour[c] / 255);
      }
    }
    return f;
  };
  const fx = factors(w, map.offsetXPx, map.scaleX, originMm.x0, x0Px, x1Px);
  const fy = factors(h, map.offsetYPx, map.scaleY, originMm.y0, y0Px, y1Px);
  const data = image.data;
  const stride = w * channels;
  const cx0 = Math.floor(x0Px);
  const cx1 = Math.ceil(x1Px);
  let plainRow = -1;
  for (let row = Math.floor(y0Px); row < Math.ceil(y1Px); row++) {
    let isPlain = true;
    for (let c = 0; c < channels; c++) if (fy[row * channels + c] !== 1) isPlain = false;
    const start = row * stride;
    if (isPlain && plainRow >= 0) {
      data.copyWithin(start + cx0 * channels, plainRow * stride + cx0 * channels, plainRow * stride + cx1 * channels);
      continue;
    }
    for (let px = cx0; px < cx1; px++) {
      for (let c = 0; c < channels; c++) {
        const i = start + px * channels + c;
        data[i] = (data[i] * fx[px * channels + c] * fy[row * channels + c] + 0.5) | 0;
      }
    }
    if (isPlain) plainRow = row;
  }
}
