import { createCanvas } from '@napi-rs/canvas';
import { LABEL_FONT_FAMILY, registerBundledFonts } from './fonts.ts';
import type { Rgb } from './paper.ts';

/** An 8-bit image in a typed array, row-major, channels interleaved (1 = gray, 3 = RGB). */
export interface PixelImage {
  widthPx: number;
  heightPx: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/**
 * Darkens pixel (x, y) as ink or grid of colour `rgb` covering fraction `coverage` of it would:
 * paper colour times (1 - coverage * (1 - colour)). Black ink is rgb 0.
 */
function darken(image: PixelImage, x: number, y: number, coverage: number, rgb: Rgb, gray: number): void {
  if (coverage <= 0) return;
  const c = coverage > 1 ? 1 : coverage;
  if (image.channels === 1) {
    const i = y * image.widthPx + x;
    image.data[i] = Math.round(image.data[i] * (1 - c * (1 - gray / 255)));
    return;
  }
  const i = 3 * (y * image.widthPx + x);
  image.data[i] = Math.round(image.data[i] * (1 - c * (1 - rgb[0] / 255)));
  image.data[i + 1] = Math.round(image.data[i + 1] * (1 - c * (1 - rgb[1] / 255)));
  image.data[i + 2] = Math.round(image.data[i + 2] * (1 - c * (1 - rgb[2] / 255)));
}

export interface InkStyle {
  rgb: Rgb;
  /** Value on a gray image. */
  gray: number;
  /** False: every touched pixel is fully inked (hard edges). */
  antialias: boolean;
}

function coverageOf(overlap: number, style: InkStyle): number {
  return style.antialias ? overlap : overlap > 0.2 ? 1 : 0;
}

/** Fills [x0,x1) x [y0,y1) with partial coverage at its edges. */
export function fillRect(image: PixelImage, x0: number, y0: number, x1: number, y1: number, style: InkStyle): void {
  const cx0 = Math.max(0, Math.floor(x0));
  const cx1 = Math.min(image.widthPx, Math.ceil(x1));
  const cy0 = Math.max(0, Math.floor(y0));
  const cy1 = Math.min(image.heightPx, Math.ceil(y1));
  for (let y = cy0; y < cy1; y++) {
    const coverY = Math.min(y + 1, y1) - Math.max(y, y0);
    for (let x = cx0; x < cx1; x++) {
      const coverX = Math.min(x + 1, x1) - Math.max(x, x0);
      darken(image, x, y, coverageOf(coverX * coverY, style), style.rgb, style.gray);
    }
  }
}

/**
 * Draws a polyline whose x never decreases (a trace) column by column: in each pixel column the
 * pen covers the span between the lowest and the highest point of the line there, widened by half
 * the pen. That is exact for the x-monotone traces and much faster than a general stroker.
 */
export function drawTrace(image: PixelImage, xs: Float64Array, ys: Float64Array, count: number, halfPenPx: number, style: InkStyle): void {
  if (count < 2) return;
  const first = Math.max(0, Math.floor(xs[0]));
  const last = Math.min(image.widthPx - 1, Math.floor(xs[count - 1]));
  if (last < first) return;
  const columns = last - first + 1;
  const low = new Float64Array(columns).fill(Infinity);
  const high = new Float64Array(columns).fill(-Infinity);
  for (let k = 0; k + 1 < count; k++) {
    const xa = xs[k];
    const xb = xs[k + 1];
    const ya = ys[k];
    const yb = ys[k + 1];
    const slope = xb > xa ? (yb - ya) / (xb - xa) : 0;
    const c0 = Math.max(first, Math.floor(xa));
    const c1 = Math.min(last, Math.floor(xb));
    for (let c = c0; c <= c1; c++) {
      const sx0 = Math.max(xa, c);
      const sx1 = Math.min(xb, c + 1);
      const y0 = ya + slope * (sx0 - xa);
      const y1 = ya + slope * (sx1 - xa);
      const j = c - first;
      const lo = y0 < y1 ? y0 : y1;
      const hi = y0 < y1 ? y1 : y0;
      if (lo < low[j]) low[j] = lo;
      if (hi > high[j]) high[j] = hi;
    }
  }
  const xStart = xs[0];
  const xEnd = xs[count - 1];
  // A pen wider than a pixel also reaches into the neighbouring columns: without this, steep QRS
  // strokes would be one column wide however wide the pen.
  const reach = Math.min(1, Math.max(0, halfPenPx - 0.5));
  const overlap = (y: number, top: number, bottom: number) => Math.max(0, Math.min(y + 1, bottom) - Math.max(y, top));
  for (let j = 0; j < columns; j++) {
    if (low[j] === Infinity) continue;
    const x = first + j;
    const coverX = Math.min(1, Math.min(x + 1, xEnd + halfPenPx) - Math.max(x, xStart - halfPenPx));
    const top = low[j] - halfPenPx;
    const bottom = high[j] + halfPenPx;
    const hasLeft = reach > 0 && j > 0 && low[j - 1] !== Infinity;
    const hasRight = reach > 0 && j + 1 < columns && low[j + 1] !== Infinity;
    const leftTop = hasLeft ? low[j - 1] - halfPenPx : 0;
    const leftBottom = hasLeft ? high[j - 1] + halfPenPx : 0;
    const rightTop = hasRight ? low[j + 1] - halfPenPx : 0;
    const rightBottom = hasRight ? high[j + 1] + halfPenPx : 0;
    const spanTop = Math.min(top, hasLeft ? leftTop : top, hasRight ? rightTop : top);
    const spanBottom = Math.max(bottom, hasLeft ? leftBottom : bottom, hasRight ? rightBottom : bottom);
    const y0 = Math.max(0, Math.floor(spanTop));
    const y1 = Math.min(image.heightPx, Math.ceil(spanBottom));
    for (let y = y0; y < y1; y++) {
      let coverage = coverX * overlap(y, top, bottom);
      if (hasLeft) coverage = Math.max(coverage, reach * overlap(y, leftTop, leftBottom));
      if (hasRight) coverage = Math.max(coverage, reach * overlap(y, rightTop, rightBottom));
      darken(image, x, y, coverageOf(coverage, style), style.rgb, style.gray);
    }
  }
}

interface Glyph {
  widthPx: number;
  heightPx: number;
  baselinePx: number;
  alpha: Float32Array;
}

const glyphCache = new Map<string, Glyph>();

/** Rasterises a label once per (text, size) with the bundled font and keeps its coverage mask. */
function glyphFor(text: string, fontPx: number, cache: boolean): Glyph {
  const key = `${text}@${fontPx.toFixed(2)}`;
  const cached = glyphCache.get(key);
  if (cached) return cached;
  registerBundledFonts();
  const font = `${fontPx.toFixed(2)}px "${LABEL_FONT_FAMILY}"`;
  const probe = createCanvas(1, 1).getContext('2d');
  probe.font = font;
  const widthPx = Math.ceil(probe.measureText(text).width) + 2;
  const baselinePx = Math.ceil(fontPx) + 1;
  const heightPx = Math.ceil(fontPx * 1.4) + 2;
  const canvas = createCanvas(widthPx, heightPx);
  const context = canvas.getContext('2d');
  context.font = font;
  context.fillStyle = '#000000';
  context.fillText(text, 1, baselinePx);
  const rgba = context.getImageData(0, 0, widthPx, heightPx).data;
  const alpha = new Float32Array(widthPx * heightPx);
  for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[4 * i + 3] / 255;
  const glyph = { widthPx, heightPx, baselinePx, alpha };
  if (cache) glyphCache.set(key, glyph);
  return glyph;
}

/** Draws text whose baseline starts at (x, y); `cache` keeps its rendering for the next call (labels, not headers). */
export function drawText(image: PixelImage, text: string, x: number, y: number, fontPx: number, style: InkStyle, cache = true): void {
  const glyph = glyphFor(text, Math.max(3, Math.round(fontPx * 4) / 4), cache);
  const left = Math.round(x) - 1;
  const top = Math.round(y) - glyph.baselinePx;
  for (let gy = 0; gy < glyph.heightPx; gy++) {
    const y0 = top + gy;
    if (y0 < 0 || y0 >= image.heightPx) continue;
    for (let gx = 0; gx < glyph.widthPx; gx++) {
      const x0 = left + gx;
      if (x0 < 0 || x0 >= image.widthPx) continue;
      darken(image, x0, y0, coverageOf(glyph.alpha[gy * glyph.widthPx + gx], style), style.rgb, style.gray);
    }
  }
}
