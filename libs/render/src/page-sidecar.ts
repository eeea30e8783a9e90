import type { LeadName, Sex } from '@leadwise/ecg';
import type { CalibrationPulseLayout, PageLayout, PanelKind, PanelLayout, Rect } from './page-layout.ts';
import type { ResolvedRenderOptions } from './render-options.ts';
import type { TracePoints } from './trace-points.ts';

/**
 * One lead's place in an image, in pixels of that image and normalised to 0..1 of its width and height.
 * Pixel coordinates are continuous: pixel (i, j) covers [i, i+1) x [j, j+1).
 */
export interface LeadBox {
  lead: LeadName;
  /** Printed label; `-aVR` where the trace is inverted (Cabrera). */
  label: string;
  inverted: boolean;
  /** `panel` for the 12 short panels, `rhythm` for the rhythm strip (labelled with its own lead). */
  kind: PanelKind;
  row: number;
  column: number;
  startS: number;
  endS: number;
  /** The fixed layout cell (row band x column): identical for every record, use it for lead pooling. */
  cell: Rect;
  cellNorm: Rect;
  /** Bounds of every pixel the trace touched (may leave the cell, as on paper); null when not drawn. */
  ink: Rect | null;
  inkNorm: Rect | null;
  /** Pixel x of time `startS` and pixel y of 0 mV: x = originXPx + (t - startS) * pxPerS, y = baselineYPx - mV * pxPerMv. */
  originXPx: number;
  baselineYPx: number;
}

export interface CalibrationPulseBox {
  row: number;
  /** x of the rising and the falling edge, y of the baseline and the top, in pixels. */
  riseXPx: number;
  fallXPx: number;
  baselineYPx: number;
  topYPx: number;
}

/** The ground truth written beside every PNG page. */
export interface PageSidecar {
  format: 'leadwise-page/1';
  recordName: string;
  samplingRateHz: number;
  ageYears: number | null;
  sex: Sex | null;
  widthPx: number;
  heightPx: number;
  dpi: number;
  pxPerMm: number;
  pxPerS: number;
  pxPerMv: number;
  /** ecg-image-kit's names for the same scale: one large square in time and in voltage. */
  pxPerLargeSquareTime: number;
  pxPerLargeSquareVoltage: number;
  options: ResolvedRenderOptions;
  layout: {
    name: PageLayout['name'];
    rows: number;
    columns: number;
    columnDurationS: number;
    columnWidthMm: number;
    rowPitchMm: number;
    rhythmLead: LeadName | null;
    contentPx: Rect;
  };
  leadBoxes: LeadBox[];
  calibrationPulses: CalibrationPulseBox[];
}

/** mm -> px as x = offsetXPx + mm * scaleX (the PNG page: scale = px/mm, offset 0). */
export interface MmToPx {
  scaleX: number;
  scaleY: number;
  offsetXPx: number;
  offsetYPx: number;
  widthPx: number;
  heightPx: number;
}

export function rectToPx(rect: Rect, map: MmToPx): Rect {
  return {
    x0: map.offsetXPx + rect.x0 * map.scaleX,
    y0: map.offsetYPx + rect.y0 * map.scaleY,
    x1: map.offsetXPx + rect.x1 * map.scaleX,
    y1: map.offsetYPx + rect.y1 * map.scaleY,
  };
}

export function normaliseRect(rect: Rect, widthPx: number, heightPx: number): Rect {
  return { x0: rect.x0 / widthPx, y0: rect.y0 / heightPx, x1: rect.x1 / widthPx, y1: rect.y1 / heightPx };
}

/** Grows a rect to whole pixels plus `marginPx` and clips it to the image; null if nothing is left. */
export function pixelBounds(rect: Rect, marginPx: number, widthPx: number, heightPx: number): Rect | null {
  const clipped = {
    x0: Math.max(0, Math.floor(rect.x0 - marginPx)),
    y0: Math.max(0, Math.floor(rect.y0 - marginPx)),
    x1: Math.min(widthPx, Math.ceil(rect.x1 + marginPx)),
    y1: Math.min(heightPx, Math.ceil(rect.y1 + marginPx)),
  };
  return clipped.x1 > clipped.x0 && clipped.y1 > clipped.y0 ? clipped : null;
}

/** Builds a panel's box from the layout, the mapping and the trace it drew (null when hidden). */
export function leadBoxFor(
  panel: PanelLayout,
  map: MmToPx,
  speedMmPerS: number,
  gainMmPerMv: number,
  trace: TracePoints | null,
  halfPenPx: number,
): LeadBox {
  const cell = rectToPx(panel.cellMm, map);
  const originXPx = map.offsetXPx + panel.xMm * map.scaleX;
  const baselineYPx = map.offsetYPx + panel.baselineYMm * map.scaleY;
  let ink: Rect | null = null;
  if (trace) {
    const pxPerS = speedMmPerS * map.scaleX;
    const pxPerMv = gainMmPerMv * map.scaleY;
    const inkExact = {
      x0: originXPx + (trace.timesS[0] - panel.startS) * pxPerS - halfPenPx,
      x1: originXPx + (trace.timesS[trace.count - 1] - panel.startS) * pxPerS + halfPenPx,
      y0: baselineYPx - trace.maxMv * pxPerMv - halfPenPx,
      y1: baselineYPx - trace.minMv * pxPerMv + halfPenPx,
    };
    // One pixel more for the antialiasing fringe.
    ink = pixelBounds(inkExact, 1, map.widthPx, map.heightPx);
  }
  return {
    lead: panel.lead,
    label: panel.label,
    inverted: panel.inverted,
    kind: panel.kind,
    row: panel.row,
    column: panel.column,
    startS: panel.startS,
    endS: panel.endS,
    cell,
    cellNorm: normaliseRect(cell, map.widthPx, map.heightPx),
    ink,
    inkNorm: ink ? normaliseRect(ink, map.widthPx, map.heightPx) : null,
    originXPx,
    baselineYPx,
  };
}

export function calibrationPulseBox(pulse: CalibrationPulseLayout, map: MmToPx): CalibrationPulseBox {
  return {
    row: pulse.row,
    riseXPx: map.offsetXPx + pulse.riseXMm * map.scaleX,
    fallXPx: map.offsetXPx + pulse.fallXMm * map.scaleX,
    baselineYPx: map.offsetYPx + pulse.baselineYMm * map.scaleY,
    topYPx: map.offsetYPx + pulse.topYMm * map.scaleY,
  };
}
