import type { LeadName } from '@leadwise/ecg';
import { PAPER_SIZE_MM, LARGE_SQUARE_MM, type PaperSize } from './paper.ts';
import type { LayoutName, ResolvedRenderOptions } from './render-options.ts';

/** An axis-aligned rectangle by its edges; y grows downwards (page and image convention). */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export type PanelKind = 'panel' | 'rhythm';

/** Where one lead's trace goes on the page, in millimetres. */
export interface PanelLayout {
  lead: LeadName;
  /** Text printed beside the trace, `-aVR` in the Cabrera layout. */
  label: string;
  /** True where the trace is drawn upside down (Cabrera -aVR). */
  inverted: boolean;
  kind: PanelKind;
  row: number;
  column: number;
  /** Recording time shown at the left edge and the right edge of the trace. */
  startS: number;
  endS: number;
  /** x of time `startS`. */
  xMm: number;
  widthMm: number;
  /** y of 0 mV. */
  baselineYMm: number;
  /** The layout cell: the row band across the column; traces may leave it, as on paper. */
  cellMm: Rect;
  /** Text baseline of the label (left end). */
  labelXMm: number;
  labelYMm: number;
}

/** A 1 mV x 0.2 s square pulse at the start of a row, with a short flat lead-in and lead-out. */
export interface CalibrationPulseLayout {
  row: number;
  leadInXMm: number;
  riseXMm: number;
  fallXMm: number;
  leadOutXMm: number;
  baselineYMm: number;
  topYMm: number;
}

/** A short vertical tick marking where one column's lead ends and the next begins. */
export interface SeparatorLayout {
  xMm: number;
  y0Mm: number;
  y1Mm: number;
}

export interface PageLayout {
  name: LayoutName;
  paper: PaperSize;
  pageWidthMm: number;
  pageHeightMm: number;
  /** Rows of the page including the rhythm strip. */
  rows: number;
  columns: number;
  rowPitchMm: number;
  columnWidthMm: number;
  columnDurationS: number;
  rhythmLead: LeadName | null;
  /** Calibration area and all rows: what the training path crops. */
  contentMm: Rect;
  /** Where grid lines are printed; lines fall on whole millimetres from `contentMm`'s corner. */
  gridMm: Rect;
  /** Left end of the first header text line's baseline, or null without header. */
  headerMm: { xMm: number; firstLineYMm: number; lineHeightMm: number; fontSizeMm: number } | null;
  labelFontSizeMm: number;
  panels: PanelLayout[];
  calibrationPulses: CalibrationPulseLayout[];
  separators: SeparatorLayout[];
}

interface LayoutSpec {
  /** columns[c][r]: lead shown in column c, row r; a leading '-' inverts it. */
  columns: string[][];
  columnWidthMm: number;
  rowPitchMm: number;
  hasRhythmStrip: boolean;
}

// Row pitches are chosen so that the content (calibration area + 4 x 62.5 mm by 4 rows) is
// 260 x 170 mm: at 1.25 px/mm that is the 325 x 212 px grid-free page of the reference PyTorch
// baseline in ../shared/reference/anchors.md, so the training size matches it.
const LAYOUT_SPECS: Record<LayoutName, LayoutSpec> = {
  standard: {
    columns: [
      ['I', 'II', 'III'],
      ['aVR', 'aVL', 'aVF'],
      ['V1', 'V2', 'V3'],
      ['V4', 'V5', 'V6'],
    ],
    columnWidthMm: 62.5,
    rowPitchMm: 42.5,
    hasRhythmStrip: true,
  },
  cabrera: {
    columns: [
      ['aVL', 'I', '-aVR'],
      ['II', 'aVF', 'III'],
      ['V1', 'V2', 'V3'],
      ['V4', 'V5', 'V6'],
    ],
    columnWidthMm: 62.5,
    rowPitchMm: 42.5,
    hasRhythmStrip: true,
  },
  '6x2': {
    columns: [
      ['I', 'II', 'III', 'aVR', 'aVL', 'aVF'],
      ['V1', 'V2', 'V3', 'V4', 'V5', 'V6'],
    ],
    columnWidthMm: 125,
    rowPitchMm: 28,
    hasRhythmStrip: false,
  },
};

/** Baseline sits a little below the middle of its row: R waves are taller than S waves. */
const BASELINE_FRACTION_OF_ROW = 0.55;
const HEADER_HEIGHT_MM = 14;
const PAGE_MARGIN_MM = 3;
const CALIBRATION_LEAD_MM = 1.5;
/** Separator ticks are 3 mm in all: users of ecg-image-kit complain about full-height ticks. */
const SEPARATOR_HALF_HEIGHT_MM = 1.5;
const PULSE_DURATION_S = 0.2;
const PULSE_MV = 1;

/** Computes the page geometry; it depends only on the options, never on the signal. */
export function computePageLayout(options: ResolvedRenderOptions): PageLayout {
  const spec = LAYOUT_SPECS[options.layout];
  const { widthMm: pageWidthMm, heightMm: pageHeightMm } = PAPER_SIZE_MM[options.paper];
  const speed = options.paperSpeedMmPerS;
  const gain = options.gainMmPerMv;
  const pulseWidthMm = PULSE_DURATION_S * speed;
  // Whole large squares so that every column starts on a 5 mm line.
  const calibrationAreaMm = Math.ceil((pulseWidthMm + 2 * CALIBRATION_LEAD_MM + 2) / LARGE_SQUARE_MM) * LARGE_SQUARE_MM;
  const columns = spec.columns.length;
  const panelRows = spec.columns[0].length;
  const rows = panelRows + (spec.hasRhythmStrip ? 1 : 0);
  const contentWidthMm = calibrationAreaMm + columns * spec.columnWidthMm;
  const contentHeightMm = rows * spec.rowPitchMm;
  const headerHeightMm = options.showHeader ? HEADER_HEIGHT_MM : 0;
  const contentX0 = Math.round((pageWidthMm - contentWidthMm) / 2);
  const contentY0 = Math.round(headerHeightMm + (pageHeightMm - headerHeightMm - contentHeightMm) / 2);
  if (contentX0 < PAGE_MARGIN_MM || contentY0 + contentHeightMm > pageHeightMm - PAGE_MARGIN_MM) {
    throw new Error(`layout ${options.layout} at ${speed} mm/s does not fit on ${options.paper} paper`);
  }
  const columnDurationS = spec.columnWidthMm / speed;
  const firstColumnXMm = contentX0 + calibrationAreaMm;
  const labelFontSizeMm = 3.5;

  const panels: PanelLayout[] = [];
  const rowBaseline = (row: number) => contentY0 + (row + BASELINE_FRACTION_OF_ROW) * spec.rowPitchMm;
  const makePanel = (entry: string, kind: PanelKind, row: number, column: number, columnsSpanned: number): PanelLayout => {
    const inverted = entry.startsWith('-');
    const lead = (inverted ? entry.slice(1) : entry) as LeadName;
    const xMm = firstColumnXMm + column * spec.columnWidthMm;
    const widthMm = columnsSpanned * spec.columnWidthMm;
    const baselineYMm = rowBaseline(row);
    return {
      lead,
      label: entry,
      inverted,
      kind,
      row,
      column,
      startS: column * columnDurationS,
      endS: (column + columnsSpanned) * columnDurationS,
      xMm,
      widthMm,
      baselineYMm,
      cellMm: { x0: xMm, y0: contentY0 + row * spec.rowPitchMm, x1: xMm + widthMm, y1: contentY0 + (row + 1) * spec.rowPitchMm },
      labelXMm: xMm + 1,
      labelYMm: baselineYMm - Math.min(7, 0.2 * spec.rowPitchMm),
    };
  };
  for (let row = 0; row < panelRows; row++) {
    for (let column = 0; column < columns; column++) panels.push(makePanel(spec.columns[column][row], 'panel', row, column, 1));
  }
  if (spec.hasRhythmStrip) panels.push(makePanel(options.rhythmLead, 'rhythm', panelRows, 0, columns));

  const calibrationPulses: CalibrationPulseLayout[] = [];
  for (let row = 0; row < rows; row++) {
    const riseXMm = contentX0 + (calibrationAreaMm - pulseWidthMm) / 2;
    calibrationPulses.push({
      row,
      leadInXMm: riseXMm - CALIBRATION_LEAD_MM,
      riseXMm,
      fallXMm: riseXMm + pulseWidthMm,
      leadOutXMm: riseXMm + pulseWidthMm + CALIBRATION_LEAD_MM,
      baselineYMm: rowBaseline(row),
      topYMm: rowBaseline(row) - PULSE_MV * gain,
    });
  }

  const separators: SeparatorLayout[] = [];
  for (let row = 0; row < panelRows; row++) {
    for (let column = 1; column < columns; column++) {
      const baseline = rowBaseline(row);
      separators.push({
        xMm: firstColumnXMm + column * spec.columnWidthMm,
        y0Mm: baseline - SEPARATOR_HALF_HEIGHT_MM,
        y1Mm: baseline + SEPARATOR_HALF_HEIGHT_MM,
      });
    }
  }

  const squaresLeft = Math.floor((contentX0 - PAGE_MARGIN_MM) / LARGE_SQUARE_MM);
  const squaresRight = Math.floor((pageWidthMm - PAGE_MARGIN_MM - contentX0) / LARGE_SQUARE_MM);
  const squaresUp = options.showHeader ? 1 : Math.floor((contentY0 - PAGE_MARGIN_MM) / LARGE_SQUARE_MM);
  const squaresDown = Math.floor((pageHeightMm - PAGE_MARGIN_MM - contentY0) / LARGE_SQUARE_MM);
  const gridMm: Rect = {
    x0: contentX0 - squaresLeft * LARGE_SQUARE_MM,
    y0: contentY0 - squaresUp * LARGE_SQUARE_MM,
    x1: contentX0 + squaresRight * LARGE_SQUARE_MM,
    y1: contentY0 + squaresDown * LARGE_SQUARE_MM,
  };
  const headerLineHeightMm = 4.5;
  const headerMm = options.showHeader
    ? { xMm: gridMm.x0 + 1, firstLineYMm: gridMm.y0 - 1.5 - headerLineHeightMm, lineHeightMm: headerLineHeightMm, fontSizeMm: 3 }
    : null;

  return {
    name: options.layout,
    paper: options.paper,
    pageWidthMm,
    pageHeightMm,
    rows,
    columns,
    rowPitchMm: spec.rowPitchMm,
    columnWidthMm: spec.columnWidthMm,
    columnDurationS,
    rhythmLead: spec.hasRhythmStrip ? options.rhythmLead : null,
    contentMm: { x0: contentX0, y0: contentY0, x1: contentX0 + contentWidthMm, y1: contentY0 + contentHeightMm },
    gridMm,
    headerMm,
    labelFontSizeMm,
    panels,
    calibrationPulses,
    separators,
  };
}
