import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { EcgRecording } from '@leadwise/ecg';
import { LABEL_FONT_FAMILY, registerBundledFonts } from './fonts.ts';
import { computePageLayout, type PageLayout } from './page-layout.ts';
import { GRID_COLOURS, LARGE_SQUARE_MM, MM_PER_INCH, SMALL_SQUARE_MM, type Rgb } from './paper.ts';
import { encodePng } from './png-encoder.ts';
import { headerLines } from './header-text.ts';
import type { PixelImage } from './pixel-raster.ts';
import { rasterizeLayout } from './raster-page.ts';
import { resolveRenderOptions, type RenderOptions, type ResolvedRenderOptions } from './render-options.ts';
import { calibrationPulseBox, leadBoxFor, rectToPx, type LeadBox, type MmToPx, type PageSidecar } from './page-sidecar.ts';
import { panelTracePoints } from './trace-points.ts';

export interface RenderedPage {
  png: Buffer;
  sidecar: PageSidecar;
}

export interface DrawnPage {
  canvas: Canvas;
  sidecar: PageSidecar;
}

const MINOR_LINE_MM = 0.1;
const MAJOR_LINE_MM = 0.2;

const css = (rgb: Rgb) => `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;

export interface RasterPage {
  /** Gray (grid-free and black-and-white pages: every pixel is gray) or RGB. */
  image: PixelImage;
  sidecar: PageSidecar;
}

/**
 * Renders a printable page: PNG bytes and the sidecar that says where every lead is. Drawn by the
 * same typed-array rasteriser as the training pixels (no canvas read-back, no colour conversion),
 * which makes it several times faster than drawing through Skia; `drawPage` is the canvas version.
 */
export function renderPage(recording: EcgRecording, options: RenderOptions = {}): RenderedPage {
  const { image, sidecar } = rasterizePage(recording, options);
  return { png: encodePng(image, 1, sidecar.dpi), sidecar };
}

/** The page as pixels in a typed array, with its sidecar. */
export function rasterizePage(recording: EcgRecording, options: RenderOptions = {}): RasterPage {
  const { resolved, layout, map } = pageGeometry(options);
  // Black ink and text on white, with no grid or a gray one, leave every pixel gray: one channel is enough.
  const channels = resolved.gridStyle === 'none' || resolved.gridStyle === 'bw' ? 1 : 3;
  const image: PixelImage = { widthPx: map.widthPx, heightPx: map.heightPx, channels, data: new Uint8Array(map.widthPx * map.heightPx * channels).fill(255) };
  const leadBoxes = rasterizeLayout({ recording, options: resolved, layout, map, image, signalsMv: recording.signalsMv, gridMm: layout.gridMm, antialias: true });
  return { image, sidecar: buildSidecar(recording, resolved, layout, map, leadBoxes) };
}

function pageGeometry(options: RenderOptions): { resolved: ResolvedRenderOptions; layout: PageLayout; map: MmToPx } {
  const resolved = resolveRenderOptions(options);
  const layout = computePageLayout(resolved);
  const pxPerMm = resolved.dpi / MM_PER_INCH;
  const widthPx = Math.round(layout.pageWidthMm * pxPerMm);
  const heightPx = Math.round(layout.pageHeightMm * pxPerMm);
  return { resolved, layout, map: { scaleX: pxPerMm, scaleY: pxPerMm, offsetXPx: 0, offsetYPx: 0, widthPx, heightPx } };
}

/**
 * Draws the page onto a Skia canvas instead (round pen joins, Skia's antialiasing), for callers
 * that want a canvas to draw on further. Same layout and sidecar as `renderPage`.
 */
export function drawPage(recording: EcgRecording, options: RenderOptions = {}): DrawnPage {
  registerBundledFonts();
  const { resolved, layout, map } = pageGeometry(options);
  const { widthPx, heightPx } = map;
  const pxPerMm = map.scaleX;
  const canvas = createCanvas(widthPx, heightPx);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, widthPx, heightPx);
  if (resolved.gridStyle !== 'none') drawGrid(context, layout, resolved, pxPerMm);

  const penPx = resolved.traceWidthMm * pxPerMm;
  context.strokeStyle = '#000000';
  context.fillStyle = '#000000';
  context.lineWidth = penPx;
  context.lineJoin = 'round';
  context.lineCap = 'butt';
  const speed = resolved.paperSpeedMmPerS;
  const gain = resolved.gainMmPerMv;
  const hidden = new Set(resolved.hiddenLeads);
  const leadBoxes: LeadBox[] = [];
  for (const panel of layout.panels) {
    const trace = hidden.has(panel.lead) ? null : panelTracePoints(recording, panel);
    if (trace) {
      const x0 = panel.xMm * pxPerMm;
      const y0 = panel.baselineYMm * pxPerMm;
      const pxPerS = speed * pxPerMm;
      const pxPerMv = gain * pxPerMm;
      context.beginPath();
      context.moveTo(x0 + (trace.timesS[0] - panel.startS) * pxPerS, y0 - trace.valuesMv[0] * pxPerMv);
      for (let k = 1; k < trace.count; k++) context.lineTo(x0 + (trace.timesS[k] - panel.startS) * pxPerS, y0 - trace.valuesMv[k] * pxPerMv);
      context.stroke();
    }
    leadBoxes.push(leadBoxFor(panel, map, speed, gain, trace, penPx / 2));
  }

  if (resolved.showCalibration) {
    context.lineCap = 'square';
    context.beginPath();
    for (const pulse of layout.calibrationPulses) {
      const yBase = pulse.baselineYMm * pxPerMm;
      const yTop = pulse.topYMm * pxPerMm;
      context.moveTo(pulse.leadInXMm * pxPerMm, yBase);
      context.lineTo(pulse.riseXMm * pxPerMm, yBase);
      context.lineTo(pulse.riseXMm * pxPerMm, yTop);
      context.lineTo(pulse.fallXMm * pxPerMm, yTop);
      context.lineTo(pulse.fallXMm * pxPerMm, yBase);
      context.lineTo(pulse.leadOutXMm * pxPerMm, yBase);
    }
    context.stroke();
    context.lineCap = 'butt';
  }
  if (resolved.showSeparators) {
    context.beginPath();
    for (const tick of layout.separators) {
      context.moveTo(tick.xMm * pxPerMm, tick.y0Mm * pxPerMm);
      context.lineTo(tick.xMm * pxPerMm, tick.y1Mm * pxPerMm);
    }
    context.stroke();
  }
  if (resolved.showLabels) {
    context.font = `${(layout.labelFontSizeMm * pxPerMm).toFixed(2)}px "${LABEL_FONT_FAMILY}"`;
    context.textBaseline = 'alphabetic';
    for (const panel of layout.panels) context.fillText(panel.label, panel.labelXMm * pxPerMm, panel.labelYMm * pxPerMm);
  }
  if (layout.headerMm) drawHeader(context, layout.headerMm, resolved, recording, pxPerMm);

  const sidecar = buildSidecar(recording, resolved, layout, map, leadBoxes);
  return { canvas, sidecar };
}

function buildSidecar(recording: EcgRecording, resolved: ResolvedRenderOptions, layout: PageLayout, map: MmToPx, leadBoxes: LeadBox[]): PageSidecar {
  const pxPerMm = map.scaleX;
  const speed = resolved.paperSpeedMmPerS;
  const gain = resolved.gainMmPerMv;
  return {
    format: 'leadwise-page/1',
    recordName: recording.recordName,
    samplingRateHz: recording.samplingRateHz,
    ageYears: recording.ageYears ?? null,
    sex: recording.sex ?? null,
    widthPx: map.widthPx,
    heightPx: map.heightPx,
    dpi: resolved.dpi,
    pxPerMm,
    pxPerS: speed * pxPerMm,
    pxPerMv: gain * pxPerMm,
    pxPerLargeSquareTime: LARGE_SQUARE_MM * pxPerMm,
    pxPerLargeSquareVoltage: LARGE_SQUARE_MM * pxPerMm,
    options: resolved,
    layout: {
      name: layout.name,
      rows: layout.rows,
      columns: layout.columns,
      columnDurationS: layout.columnDurationS,
      columnWidthMm: layout.columnWidthMm,
      rowPitchMm: layout.rowPitchMm,
      rhythmLead: layout.rhythmLead,
      contentPx: rectToPx(layout.contentMm, map),
    },
    leadBoxes,
    calibrationPulses: resolved.showCalibration ? layout.calibrationPulses.map((pulse) => calibrationPulseBox(pulse, map)) : [],
  };
}

function drawGrid(context: SKRSContext2D, layout: PageLayout, options: ResolvedRenderOptions, pxPerMm: number): void {
  if (options.gridStyle === 'none') return;
  const colours = GRID_COLOURS[options.gridStyle];
  const grid = layout.gridMm;
  const stepsX = Math.round((grid.x1 - grid.x0) / SMALL_SQUARE_MM);
  const stepsY = Math.round((grid.y1 - grid.y0) / SMALL_SQUARE_MM);
  const perLarge = LARGE_SQUARE_MM / SMALL_SQUARE_MM;
  for (const major of [false, true]) {
    context.strokeStyle = css(major ? colours.major : colours.minor);
    context.lineWidth = Math.max(major ? MAJOR_LINE_MM : MINOR_LINE_MM, 0.5 / pxPerMm) * pxPerMm;
    context.beginPath();
    for (let i = 0; i <= stepsX; i++) {
      if ((i % perLarge === 0) !== major) continue;
      const x = (grid.x0 + i * SMALL_SQUARE_MM) * pxPerMm;
      context.moveTo(x, grid.y0 * pxPerMm);
      context.lineTo(x, grid.y1 * pxPerMm);
    }
    for (let j = 0; j <= stepsY; j++) {
      if ((j % perLarge === 0) !== major) continue;
      const y = (grid.y0 + j * SMALL_SQUARE_MM) * pxPerMm;
      context.moveTo(grid.x0 * pxPerMm, y);
      context.lineTo(grid.x1 * pxPerMm, y);
    }
    context.stroke();
  }
}

function drawHeader(
  context: SKRSContext2D,
  header: NonNullable<PageLayout['headerMm']>,
  options: ResolvedRenderOptions,
  recording: EcgRecording,
  pxPerMm: number,
): void {
  context.fillStyle = '#000000';
  context.font = `${(header.fontSizeMm * pxPerMm).toFixed(2)}px "${LABEL_FONT_FAMILY}"`;
  headerLines(recording, options).forEach((line, i) =>
    context.fillText(line, header.xMm * pxPerMm, (header.firstLineYMm + i * header.lineHeightMm) * pxPerMm),
  );
}
