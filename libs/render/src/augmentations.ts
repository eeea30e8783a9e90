import type { PixelImage } from './pixel-raster.ts';
import type { Rect } from './page-layout.ts';
import { seededRandom, type Random } from '@leadwise/ecg';
import { gaussian, uniform } from './seeded-random.ts';

/**
 * Training-time distortions. Each is off when its field is 0 or absent; each draws from its own
 * seeded stream, so the same seed gives the same bytes and toggling one leaves the others unchanged.
 */
export interface AugmentationOptions {
  /** Rotation drawn uniformly from [-rotationDeg, rotationDeg] degrees. */
  rotationDeg?: number;
  /** Standard deviation of additive Gaussian noise, in 0..255 gray levels. */
  gaussianNoiseStd?: number;
  /** Fraction of pixels set to black or white. */
  saltPepperFraction?: number;
  /** Gaussian blur sigma drawn from [0.5, 1] x blurSigmaPx, in output pixels. */
  blurSigmaPx?: number;
  /** Brightness shift drawn from [-brightness, brightness] x 255. */
  brightness?: number;
  /** Contrast factor drawn from [1 - contrast, 1 + contrast]. */
  contrast?: number;
  /** Scale factor drawn from [1 - dpiJitter, 1 + dpiJitter], as if scanned at another DPI. */
  dpiJitter?: number;
  /** Page shifted by up to this many pixels each way, padded with paper and cropped to size. */
  paddingCropPx?: number;
  /** Per-lead sinusoidal baseline wander (0.05-0.5 Hz) of amplitude up to this many mV. */
  baselineWanderMv?: number;
}

/** A moderate default for training: every distortion on, none large enough to hide a lead. */
export const DEFAULT_TRAINING_AUGMENTATIONS: Required<AugmentationOptions> = {
  rotationDeg: 2,
  gaussianNoiseStd: 6,
  saltPepperFraction: 0.002,
  blurSigmaPx: 0.6,
  brightness: 0.08,
  contrast: 0.15,
  dpiJitter: 0.05,
  paddingCropPx: 6,
  baselineWanderMv: 0.15,
};

/** The random values an image was made with (recorded beside it for reproducibility). */
export interface AppliedAugmentations {
  rotationDeg: number;
  blurSigmaPx: number;
  brightnessShift: number;
  contrastFactor: number;
  scaleFactor: number;
  shiftXPx: number;
  shiftYPx: number;
  gaussianNoiseStd: number;
  saltPepperFraction: number;
  baselineWanderMv: number;
}

export function augmentationStream(seed: number, name: keyof AugmentationOptions): Random {
  return seededRandom(seed, name);
}

/** Draws the geometric and photometric parameters for one image. */
export function drawAugmentations(options: AugmentationOptions, seed: number): AppliedAugmentations {
  const draw = (name: keyof AugmentationOptions, f: (random: Random, amount: number) => number, off: number) => {
    const amount = options[name] ?? 0;
    return amount > 0 ? f(augmentationStream(seed, name), amount) : off;
  };
  const shiftAmount = options.paddingCropPx ?? 0;
  const shiftRandom = augmentationStream(seed, 'paddingCropPx');
  const shift =
    shiftAmount > 0
      ? { shiftXPx: Math.round(uniform(shiftRandom, -shiftAmount, shiftAmount)), shiftYPx: Math.round(uniform(shiftRandom, -shiftAmount, shiftAmount)) }
      : { shiftXPx: 0, shiftYPx: 0 };
  return {
    rotationDeg: draw('rotationDeg', (r, a) => uniform(r, -a, a), 0),
    blurSigmaPx: draw('blurSigmaPx', (r, a) => uniform(r, 0.5 * a, a), 0),
    brightnessShift: draw('brightness', (r, a) => uniform(r, -a, a) * 255, 0),
    contrastFactor: draw('contrast', (r, a) => uniform(r, 1 - a, 1 + a), 1),
    scaleFactor: draw('dpiJitter', (r, a) => uniform(r, 1 - a, 1 + a), 1),
    ...shift,
    gaussianNoiseStd: options.gaussianNoiseStd ?? 0,
    saltPepperFraction: options.saltPepperFraction ?? 0,
    baselineWanderMv: options.baselineWanderMv ?? 0,
  };
}

/** Adds a slow sinusoid to each lead (breathing, electrode drift); returns new arrays. */
export function addBaselineWander(signalsMv: Float32Array[], samplingRateHz: number, amplitudeMv: number, seed: number): Float32Array[] {
  const random = augmentationStream(seed, 'baselineWanderMv');
  return signalsMv.map((signal) => {
    const amplitude = uniform(random, 0, amplitudeMv);
    const frequencyHz = uniform(random, 0.05, 0.5);
    const phase = uniform(random, 0, 2 * Math.PI);
    const out = new Float32Array(signal.length);
    const step = (2 * Math.PI * frequencyHz) / samplingRateHz;
    for (let i = 0; i < signal.length; i++) out[i] = signal[i] + amplitude * Math.sin(step * i + phase);
    return out;
  });
}

/** Rotates about the image centre with bilinear sampling; uncovered corners become paper. */
export function rotateImage(image: PixelImage, degrees: number, paper: readonly number[]): PixelImage {
  const { widthPx: w, heightPx: h, channels } = image;
  const out = new Uint8Array(image.data.length);
  const angle = (degrees * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cx = w / 2;
  const cy = h / 2;
  const src = image.data;
  const rowStride = w * channels;
  for (let y = 0; y < h; y++) {
    const dy = y + 0.5 - cy;
    // Inverse rotation: where in the source each output pixel comes from, stepped along the row.
    let sx = cos * (0.5 - cx) + sin * dy + cx - 0.5;
    let sy = -sin * (0.5 - cx) + cos * dy + cy - 0.5;
    for (let x = 0; x < w; x++, sx += cos, sy -= sin) {
      // Truncation is floor for the non-negative coordinates of the fast path below.
      const x0 = sx >= 0 ? sx | 0 : Math.floor(sx);
      const y0 = sy >= 0 ? sy | 0 : Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * w + x) * channels;
      if (x0 >= 0 && y0 >= 0 && x0 < w - 1 && y0 < h - 1) {
        const i = y0 * rowStride + x0 * channels;
        for (let c = 0; c < channels; c++) {
          const top = src[i + c] + (src[i + channels + c] - src[i + c]) * fx;
          const bottom = src[i + rowStride + c] + (src[i + rowStride + channels + c] - src[i + rowStride + c]) * fx;
          out[o + c] = (top + (bottom - top) * fy + 0.5) | 0;
        }
        continue;
      }
      // Near the edges: neighbours outside the image are paper.
      const inX0 = x0 >= 0 && x0 < w;
      const inX1 = x0 + 1 >= 0 && x0 + 1 < w;
      const inY0 = y0 >= 0 && y0 < h;
      const inY1 = y0 + 1 >= 0 && y0 + 1 < h;
      for (let c = 0; c < channels; c++) {
        const p00 = inX0 && inY0 ? src[y0 * rowStride + x0 * channels + c] : paper[c];
        const p10 = inX1 && inY0 ? src[y0 * rowStride + (x0 + 1) * channels + c] : paper[c];
        const p01 = inX0 && inY1 ? src[(y0 + 1) * rowStride + x0 * channels + c] : paper[c];
        const p11 = inX1 && inY1 ? src[(y0 + 1) * rowStride + (x0 + 1) * channels + c] : paper[c];
        const top = p00 + (p10 - p00) * fx;
        const bottom = p01 + (p11 - p01) * fx;
        out[o + c] = (top + (bottom - top) * fy + 0.5) | 0;
      }
    }
  }
  return { ...image, data: out };
}

/** Bounds of a rect after `rotateImage` by the same angle. */
export function rotateRect(rect: Rect, degrees: number, widthPx: number, heightPx: number): Rect {
  const angle = (degrees * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cx = widthPx / 2;
  const cy = heightPx / 2;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [x, y] of [
    [rect.x0, rect.y0],
    [rect.x1, rect.y0],
    [rect.x0, rect.y1],
    [rect.x1, rect.y1],
  ]) {
    // Forward rotation, the inverse of the sampling in rotateImage.
    xs.push(cos * (x - cx) - sin * (y - cy) + cx);
    ys.push(sin * (x - cx) + cos * (y - cy) + cy);
  }
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

/** Separable Gaussian blur with edge clamping; returns the kernel radius in pixels (how far ink can spread). */
export function blurImage(image: PixelImage, sigmaPx: number): number {
  // Taps beyond 2 sigma weigh under 2% of the centre: dropped, which makes the small blurs 3 taps wide.
  const radius = Math.max(1, Math.round(2 * sigmaPx));
  const size = 2 * radius + 1;
  const weights = new Float64Array(size);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) sum += weights[k + radius] = Math.exp(-(k * k) / (2 * sigmaPx * sigmaPx));
  // Integer weights summing to 2^16: the passes run in integer arithmetic on the bytes themselves.
  const kernel = new Int32Array(size);
  let total = 0;
  for (let k = 0; k < size; k++) total += kernel[k] = Math.round((weights[k] / sum) * 65536);
  kernel[radius] += 65536 - total;
  const { widthPx: w, heightPx: h, channels } = image;
  const src = image.data;
  const stride = w * channels;
  const temp = new Uint8Array(src.length);
  // Horizontal pass: clamp only near the edges; gray images (the training default) get a plain loop.
  if (channels === 1) {
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        let acc = 32768;
        if (x >= radius && x < w - radius) {
          const from = row + x - radius;
          for (let k = 0; k < size; k++) acc += kernel[k] * src[from + k];
        } else {
          for (let k = 0; k < size; k++) acc += kernel[k] * src[row + Math.min(w - 1, Math.max(0, x + k - radius))];
        }
        temp[row + x] = acc >>> 16;
      }
    }
  }
  for (let y = 0; y < h && channels !== 1; y++) {
    const row = y * stride;
    for (let x = 0; x < w; x++) {
      const inside = x >= radius && x < w - radius;
      for (let c = 0; c < channels; c++) {
        let acc = 32768;
        if (inside) {
          let i = row + (x - radius) * channels + c;
          for (let k = 0; k < size; k++, i += channels) acc += kernel[k] * src[i];
        } else {
          for (let k = 0; k < size; k++) {
            const xx = Math.min(w - 1, Math.max(0, x + k - radius));
            acc += kernel[k] * src[row + xx * channels + c];
          }
        }
        temp[row + x * channels + c] = acc >>> 16;
      }
    }
  }
  // Vertical pass, a whole row at a time.
  const acc = new Int32Array(stride);
  for (let y = 0; y < h; y++) {
    acc.fill(32768);
    for (let k = 0; k < size; k++) {
      const from = Math.min(h - 1, Math.max(0, y + k - radius)) * stride;
      const weight = kernel[k];
      for (let i = 0; i < stride; i++) acc[i] += weight * temp[from + i];
    }
    const to = y * stride;
    for (let i = 0; i < stride; i++) src[to + i] = acc[i] >>> 16;
  }
  return radius;
}

/** 65,536 standard normal deviates, drawn once from a fixed seed, indexed by each image's own stream. */
let normalTable: Float32Array | null = null;
function standardNormals(): Float32Array {
  if (!normalTable) {
    const random = seededRandom(0x5eed, 'normal-table');
    normalTable = new Float32Array(65536);
    for (let i = 0; i < normalTable.length; i++) normalTable[i] = gaussian(random);
  }
  return normalTable;
}

let scaledCache: { std: number; table: Float32Array } | null = null;
/** The normal table times `std`, kept for the last std used (training uses one std throughout). */
function scaledNormals(std: number): Float32Array {
  if (scaledCache?.std !== std) {
    const normals = standardNormals();
    const table = new Float32Array(normals.length);
    for (let i = 0; i < table.length; i++) table[i] = std * normals[i];
    scaledCache = { std, table };
  }
  return scaledCache.table;
}

/** Brightness, contrast about mid-gray, Gaussian noise, then salt and pepper; in place. */
export function applyPhotometric(image: PixelImage, applied: AppliedAugmentations, seed: number): void {
  const data = image.data;
  const { contrastFactor, brightnessShift, gaussianNoiseStd, saltPepperFraction } = applied;
  if (contrastFactor !== 1 || brightnessShift !== 0) {
    // A value map: brightness and contrast act on each gray level alike.
    const lookup = new Uint8Array(256);
    for (let v = 0; v < 256; v++) lookup[v] = clampByte((v - 128) * contrastFactor + 128 + brightnessShift);
    for (let i = 0; i < data.length; i++) data[i] = lookup[data[i]];
  }
  if (gaussianNoiseStd > 0) {
    // The image's stream seeds a xorshift32 inline (a call per pixel costs more than the noise);
    // each 32-bit state gives two 16-bit indices into the table of normal deviates.
    let state = ((augmentationStream(seed, 'gaussianNoiseStd')() * 4294967296) >>> 0) || 1;
    const noise = scaledNormals(gaussianNoiseStd);
    for (let i = 0; i < data.length; i += 2) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const bits = state >>> 0;
      const a = data[i] + noise[bits & 0xffff];
      data[i] = a <= 0 ? 0 : a >= 255 ? 255 : (a + 0.5) | 0;
      if (i + 1 < data.length) {
        const b = data[i + 1] + noise[bits >>> 16];
        data[i + 1] = b <= 0 ? 0 : b >= 255 ? 255 : (b + 0.5) | 0;
      }
    }
  }
  if (saltPepperFraction > 0) {
    const random = augmentationStream(seed, 'saltPepperFraction');
    const pixels = image.widthPx * image.heightPx;
    const count = Math.round(saltPepperFraction * pixels);
    for (let n = 0; n < count; n++) {
      const p = Math.floor(random() * pixels);
      const value = random() < 0.5 ? 0 : 255;
      for (let c = 0; c < image.channels; c++) data[p * image.channels + c] = value;
    }
  }
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
}
