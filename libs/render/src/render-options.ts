import type { LeadName } from '@leadwise/ecg';
import { LEAD_NAMES } from '@leadwise/ecg';
import {
  GAINS_MM_PER_MV,
  GRID_STYLES,
  PAGE_GRID_STYLES,
  PAPER_SIZES,
  PAPER_SPEEDS_MM_PER_S,
  type GainMmPerMv,
  type GridStyle,
  type PaperSize,
  type PaperSpeedMmPerS,
} from './paper.ts';

export const LAYOUT_NAMES = ['standard', 'cabrera', '6x2'] as const;
/**
 * `standard`: 3 rows x 4 columns [I,II,III] [aVR,aVL,aVF] [V1,V2,V3] [V4,V5,V6] + rhythm strip.
 * `cabrera`: the same grid with limb leads in anatomical order [aVL,I,-aVR] [II,aVF,III] + rhythm strip.
 * `6x2`: 6 rows x 2 columns, limb leads then precordial leads, no rhythm strip.
 */
export type LayoutName = (typeof LAYOUT_NAMES)[number];

/** Everything that decides how a page looks. Every field is optional; `resolveRenderOptions` fills defaults. */
export interface RenderOptions {
  layout?: LayoutName;
  gridStyle?: GridStyle;
  paperSpeedMmPerS?: PaperSpeedMmPerS;
  gainMmPerMv?: GainMmPerMv;
  paper?: PaperSize;
  /** PNG resolution; the training path sets its own scale. */
  dpi?: number;
  /** Lead of the rhythm strip (standard and Cabrera layouts). */
  rhythmLead?: LeadName;
  showHeader?: boolean;
  showLabels?: boolean;
  showCalibration?: boolean;
  showSeparators?: boolean;
  /** Printed in the header; Leadwise does not filter signals, so the default says so. */
  filterDescription?: string;
  /** Leads whose traces are left blank (labels stay): lead occlusion experiments and ink tests. */
  hiddenLeads?: LeadName[];
  /** Trace pen width in millimetres. */
  traceWidthMm?: number;
}

export type ResolvedRenderOptions = Required<RenderOptions>;

export const DEFAULT_RENDER_OPTIONS: ResolvedRenderOptions = {
  layout: 'standard',
  gridStyle: 'red',
  paperSpeedMmPerS: 25,
  gainMmPerMv: 10,
  paper: 'letter',
  dpi: 200,
  rhythmLead: 'II',
  showHeader: true,
  showLabels: true,
  showCalibration: true,
  showSeparators: true,
  filterDescription: 'none (as recorded)',
  hiddenLeads: [],
  traceWidthMm: 0.25,
};

/** A render option outside what paper and the layouts support; names the option and the allowed values. */
export class RenderOptionsError extends Error {
  override name = 'RenderOptionsError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`render option ${option}: ${message}`);
  }
}

function oneOf<T>(option: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) throw new RenderOptionsError(option, `got ${String(value)}, expected one of ${allowed.join(', ')}`);
  return value;
}

/** Fills defaults and validates; throws RenderOptionsError on the first bad field. */
export function resolveRenderOptions(options: RenderOptions = {}): ResolvedRenderOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as RenderOptions;
  const resolved: ResolvedRenderOptions = { ...DEFAULT_RENDER_OPTIONS, ...defined };
  oneOf('layout', resolved.layout, LAYOUT_NAMES);
  oneOf('gridStyle', resolved.gridStyle, GRID_STYLES);
  oneOf('paperSpeedMmPerS', resolved.paperSpeedMmPerS, PAPER_SPEEDS_MM_PER_S);
  oneOf('gainMmPerMv', resolved.gainMmPerMv, GAINS_MM_PER_MV);
  oneOf('paper', resolved.paper, PAPER_SIZES);
  oneOf('rhythmLead', resolved.rhythmLead, LEAD_NAMES);
  for (const lead of resolved.hiddenLeads) oneOf('hiddenLeads', lead, LEAD_NAMES);
  if (!Number.isFinite(resolved.dpi) || resolved.dpi < 10 || resolved.dpi > 1200) {
    throw new RenderOptionsError('dpi', `got ${resolved.dpi}, expected a number from 10 to 1200`);
  }
  if (!(resolved.traceWidthMm > 0 && resolved.traceWidthMm <= 2)) {
    throw new RenderOptionsError('traceWidthMm', `got ${resolved.traceWidthMm}, expected 0 < width <= 2`);
  }
  return resolved;
}

/** Command-line style flags as typed (strings), before validation. */
export interface RenderFlagValues {
  style?: string;
  dpi?: string;
  layout?: string;
  speed?: string;
  gain?: string;
  paper?: string;
  header?: boolean;
}

/** Turns flags into validated options; `--style grid` means the default red grid. Throws RenderOptionsError. */
export function renderOptionsFromFlags(flags: RenderFlagValues): ResolvedRenderOptions {
  const number = (option: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) throw new RenderOptionsError(option, `got ${JSON.stringify(value)}, expected a number`);
    return n;
  };
  return resolveRenderOptions({
    gridStyle: (flags.style === 'grid' ? PAGE_GRID_STYLES.grid : flags.style) as GridStyle | undefined,
    dpi: number('dpi', flags.dpi),
    layout: flags.layout as LayoutName | undefined,
    paperSpeedMmPerS: number('paperSpeedMmPerS', flags.speed) as PaperSpeedMmPerS | undefined,
    gainMmPerMv: number('gainMmPerMv', flags.gain) as GainMmPerMv | undefined,
    paper: flags.paper as PaperSize | undefined,
    showHeader: flags.header,
  });
}
