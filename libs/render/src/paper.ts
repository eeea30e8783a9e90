/** Physical paper: sizes, grid colours and the printing conventions every layout shares. */

export const MM_PER_INCH = 25.4;

export const PAPER_SIZES = ['letter', 'a4'] as const;
export type PaperSize = (typeof PAPER_SIZES)[number];

/** Landscape page sizes in millimetres (letter 11 x 8.5 in, A4 297 x 210 mm). */
export const PAPER_SIZE_MM: Record<PaperSize, { widthMm: number; heightMm: number }> = {
  letter: { widthMm: 11 * MM_PER_INCH, heightMm: 8.5 * MM_PER_INCH },
  a4: { widthMm: 297, heightMm: 210 },
};

export const GRID_STYLES = ['red', 'pink', 'blue', 'green', 'bw', 'none'] as const;
export type GridStyle = (typeof GRID_STYLES)[number];

/**
 * The two page backgrounds the study compares (training pages, LLM pages, ONNX inputs): `grid` is
 * the red grid, `none` grid-free. PAGE_GRID_STYLES maps each to the grid it renders.
 */
export const PAGE_STYLES = ['grid', 'none'] as const;
export type PageStyle = (typeof PAGE_STYLES)[number];
export const PAGE_GRID_STYLES = { grid: 'red', none: 'none' } as const satisfies Record<PageStyle, GridStyle>;
export type PageGridStyle = (typeof PAGE_GRID_STYLES)[PageStyle];

export type Rgb = readonly [number, number, number];

export interface GridColours {
  /** 1 mm lines. */
  minor: Rgb;
  /** 5 mm lines. */
  major: Rgb;
}

/**
 * Grid line colours, picked from scans of real paper. `none` has no grid: the page then holds only
 * black ink on white, which is what "grid-free" tests check (no pixel with any chroma).
 */
export const GRID_COLOURS: Record<Exclude<GridStyle, 'none'>, GridColours> = {
  red: { minor: [245, 170, 170], major: [225, 80, 80] },
  pink: { minor: [250, 208, 220], major: [236, 140, 172] },
  blue: { minor: [190, 208, 242], major: [92, 128, 212] },
  green: { minor: [190, 228, 190], major: [76, 160, 96] },
  bw: { minor: [205, 205, 205], major: [120, 120, 120] },
};

export const PAPER_COLOUR: Rgb = [255, 255, 255];
export const INK_COLOUR: Rgb = [0, 0, 0];

export const SMALL_SQUARE_MM = 1;
export const LARGE_SQUARE_MM = 5;

export const PAPER_SPEEDS_MM_PER_S = [25, 50] as const;
export type PaperSpeedMmPerS = (typeof PAPER_SPEEDS_MM_PER_S)[number];

export const GAINS_MM_PER_MV = [5, 10, 20] as const;
export type GainMmPerMv = (typeof GAINS_MM_PER_MV)[number];

/** ITU-R BT.601 luma: how a grid colour looks on a grayscale training image. */
export function lumaOf(rgb: Rgb): number {
  return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
}
