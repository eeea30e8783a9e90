import { crc32, deflateSync } from 'node:zlib';
import { sha256Hex } from '../prompts.ts';
import type { LlmImage } from '../llm-request.ts';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed) >>> 0);
  return Buffer.concat([length, typed, crc]);
}

/**
 * A small valid grayscale PNG whose pixels depend on `seed`, so every seed gives different bytes and
 * a different hash. For tests of the request path that do not need a rendered ECG page.
 */
export function makeTestImage(seed: number, widthPx = 32, heightPx = 24): LlmImage {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(widthPx, 0);
  header.writeUInt32BE(heightPx, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // grayscale
  const rows: Buffer[] = [];
  for (let y = 0; y < heightPx; y++) {
    const row = Buffer.alloc(widthPx + 1);
    for (let x = 0; x < widthPx; x++) row[x + 1] = (x * 7 + y * 13 + seed * 31) & 0xff;
    rows.push(row);
  }
  const bytes = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return { bytes: new Uint8Array(bytes), mimeType: 'image/png', sha256: sha256Hex(bytes), widthPx, heightPx, dpi: null };
}
