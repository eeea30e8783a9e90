/**
 * Fixtures for tests across the workspace: where the real data lives, and writers for small
 * synthetic WFDB records and zips (so error cases can be built byte by byte).
 */
import { crc32, deflateRawSync } from 'node:zlib';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { resolveEcgDataDir } from './data-dir.ts';
import { LEAD_NAMES } from './leads.ts';

/** Paths of the real datasets described in the data README. */
export function ecgTestDataPaths(): { dataDir: string; ptbxlDir: string; chapmanArchive: string } {
  const dataDir = resolveEcgDataDir();
  return { dataDir, ptbxlDir: join(dataDir, 'ptbxl'), chapmanArchive: join(dataDir, 'chapman-shaoxing-subset-400.tar.xz') };
}

export interface SyntheticRecordOptions {
  recordName?: string;
  samplingRateHz?: number;
  /** adu per lead; all leads the same length. */
  leadsAdu: ArrayLike<number>[];
  leadNames?: readonly string[];
  gain?: number;
  baseline?: number;
  /** Bytes before the samples (`16+24` in CinC files). */
  byteOffset?: number;
  /** Extra comment lines without `#`. */
  comments?: string[];
}

/** Encodes a format-16, frame-interleaved WFDB record with correct initial values and checksums. */
export function encodeFormat16Record(options: SyntheticRecordOptions): { header: string; dat: Uint8Array; datName: string } {
  const recordName = options.recordName ?? 'synthetic';
  const leads = options.leadsAdu;
  const names = options.leadNames ?? LEAD_NAMES.slice(0, leads.length);
  const length = leads[0]?.length ?? 0;
  const byteOffset = options.byteOffset ?? 0;
  const datName = `${recordName}.dat`;
  const dat = new Uint8Array(byteOffset + 2 * length * leads.length);
  const view = new DataView(dat.buffer);
  for (let t = 0; t < length; t++) {
    for (let s = 0; s < leads.length; s++) view.setInt16(byteOffset + 2 * (t * leads.length + s), leads[s][t], true);
  }
  const format = byteOffset > 0 ? `16+${byteOffset}` : '16';
  const gain = `${options.gain ?? 1000}(${options.baseline ?? 0})/mV`;
  const lines = [`${recordName} ${leads.length} ${options.samplingRateHz ?? 100} ${length}`];
  leads.forEach((lead, s) => {
    let checksum = 0;
    for (let t = 0; t < length; t++) checksum = (checksum + lead[t]) & 0xffff;
    lines.push(`${datName} ${format} ${gain} 16 0 ${length > 0 ? lead[0] : 0} ${checksum} 0 ${names[s]}`);
  });
  for (const comment of options.comments ?? []) lines.push(`#${comment}`);
  return { header: `${lines.join('\n')}\n`, dat, datName };
}

/** Twelve leads that satisfy Einthoven and Goldberger exactly (I and II chosen, the rest derived). */
export function consistentTwelveLeadAdu(length: number): Int16Array[] {
  const leads = Array.from({ length: 12 }, () => new Int16Array(length));
  for (let t = 0; t < length; t++) {
    const i = Math.round(400 * Math.sin(t / 7));
    const ii = 2 * Math.round(300 * Math.cos(t / 5)); // even, so that halves stay whole adu
    const iEven = 2 * Math.round(i / 2);
    leads[0][t] = iEven;
    leads[1][t] = ii;
    leads[2][t] = ii - iEven;
    leads[3][t] = -(iEven + ii) / 2;
    leads[4][t] = iEven - ii / 2;
    leads[5][t] = ii - iEven / 2;
    for (let v = 6; v < 12; v++) leads[v][t] = Math.round(100 * Math.sin(t / (v + 1)));
  }
  return leads;
}

/** A minimal zip writer (deflated entries), enough to test reading PhysioNet-style zips. */
export function buildZip(files: Record<string, Uint8Array | string>): Uint8Array {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
    const compressed = deflateRawSync(data);
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(0x0800, 6); // UTF-8 names
    header.writeUInt16LE(8, 8); // deflate
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(compressed.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    local.push(header, nameBytes, compressed);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(compressed.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBytes);
    offset += header.length + nameBytes.length + compressed.length;
  }
  const centralSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, ...central, end]);
}

const CHAPMAN_SINUS_CODES = new Set(['426783006', '426177001', '427084000', '427393009']);

/**
 * Writes `manifest.csv` (path,label,split) for the first `perClass` normal and `perClass` abnormal
 * records of an extracted Chapman-Shaoxing folder (label rule of the data README), each class split
 * half train, a quarter val, a quarter test: a tiny real dataset for end-to-end tests.
 */
export async function writeChapmanManifest(chapmanRoot: string, perClass: number): Promise<string> {
  const headers: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.hea')) headers.push(path);
    }
  };
  await walk(join(chapmanRoot, 'WFDBRecords'));
  const chosen: { path: string; label: 'normal' | 'abnormal' }[] = [];
  const counts = { normal: 0, abnormal: 0 };
  for (const header of headers) {
    const dx = /^#Dx:\s*(.*)$/m.exec(await readFile(header, 'utf8'))?.[1]?.split(',').map((c) => c.trim()) ?? [];
    if (dx.length === 0) continue;
    const label = dx.every((code) => CHAPMAN_SINUS_CODES.has(code)) ? 'normal' : 'abnormal';
    if (counts[label] >= perClass) continue;
    counts[label]++;
    chosen.push({ path: relative(chapmanRoot, header), label });
    if (counts.normal >= perClass && counts.abnormal >= perClass) break;
  }
  const splitOf = (index: number) => (index < perClass / 2 ? 'train' : index < (perClass * 3) / 4 ? 'val' : 'test');
  const seen = { normal: 0, abnormal: 0 };
  const lines = chosen.map(({ path, label }) => `${path},${label},${splitOf(seen[label]++)}`);
  const manifest = join(chapmanRoot, 'manifest.csv');
  await mkdir(dirname(manifest), { recursive: true });
  await writeFile(manifest, `path,label,split\n${lines.join('\n')}\n`);
  return manifest;
}
