import { crc32, deflateSync } from 'node:zlib';

export interface RawImage {
  widthPx: number;
  heightPx: number;
  /** 1 gray, 3 RGB, 4 RGBA; 8 bits per channel, rows top to bottom. */
  channels: 1 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOUR_TYPE: Record<RawImage['channels'], number> = { 1: 0, 3: 2, 4: 6 };

function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  body.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/**
 * Lossless PNG with the Up filter and fast deflate. Written here because the canvas encoder took
 * ~250 ms per 200 DPI page (RGBA, heavy compression) against the 50 ms budget of 20 pages/s.
 */
export function encodePng(image: RawImage, deflateLevel = 3): Buffer {
  const { widthPx, heightPx, channels, data } = image;
  const stride = widthPx * channels;
  if (data.length !== stride * heightPx) throw new Error(`PNG data has ${data.length} bytes, expected ${stride * heightPx}`);
  const filtered = Buffer.alloc((stride + 1) * heightPx);
  for (let y = 0; y < heightPx; y++) {
    const row = y * stride;
    const out = y * (stride + 1);
    if (y === 0) {
      filtered[out] = 0;
      filtered.set(data.subarray(0, stride), out + 1);
      continue;
    }
    filtered[out] = 2;
    for (let i = 0; i < stride; i++) filtered[out + 1 + i] = (data[row + i] - data[row - stride + i]) & 0xff;
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(widthPx, 0);
  header.writeUInt32BE(heightPx, 4);
  header[8] = 8;
  header[9] = COLOUR_TYPE[channels];
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(filtered, { level: deflateLevel })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Drops alpha (pages are opaque) and, when every pixel is gray, the colour channels too. */
export function rgbaToCompactRaw(rgba: Uint8Array | Uint8ClampedArray, widthPx: number, heightPx: number, allowGray: boolean): RawImage {
  const pixels = widthPx * heightPx;
  if (allowGray) {
    const gray = new Uint8Array(pixels);
    let isGray = true;
    for (let p = 0, i = 0; p < pixels; p++, i += 4) {
      const r = rgba[i];
      if (r !== rgba[i + 1] || r !== rgba[i + 2]) {
        isGray = false;
        break;
      }
      gray[p] = r;
    }
    if (isGray) return { widthPx, heightPx, channels: 1, data: gray };
  }
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += 4, o += 3) {
    rgb[o] = rgba[i];
    rgb[o + 1] = rgba[i + 1];
    rgb[o + 2] = rgba[i + 2];
  }
  return { widthPx, heightPx, channels: 3, data: rgb };
}
