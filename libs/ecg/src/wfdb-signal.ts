import { posix } from 'node:path';
import { WfdbSignalError } from './errors.ts';
import type { WfdbHeader, WfdbSignalSpec } from './wfdb-header.ts';

/**
 * Decoding of WFDB signal files ("signal(5)": https://www.physionet.org/physiotools/wag/signal-5.htm).
 * All signals stored in one file are frame-interleaved: each frame holds `samplesPerFrame` samples of
 * every signal of that file, in header order. Packed formats (212, 310, 311) pack the interleaved
 * sample stream, not each signal separately, so a file is decoded as one stream and then split.
 */

/** Formats this decoder reads. 8 is first-difference; 80 and 160 are offset binary; 61 is big-endian. */
export const SUPPORTED_WFDB_FORMATS = [8, 16, 24, 32, 61, 80, 160, 212, 310, 311] as const;

/** The adu value WFDB writes for "no sample here", per format; decoded to NaN millivolts. */
const INVALID_SAMPLE: Record<number, number> = {
  16: -32768, 61: -32768, 160: -32768, 24: -(2 ** 23), 32: -(2 ** 31), 80: -128, 212: -2048, 310: -512, 311: -512,
};

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Millivolts per physical unit for the voltage units found in WFDB headers. */
const MILLIVOLTS_PER_UNIT: Record<string, number> = { mV: 1, uV: 1e-3, µV: 1e-3, μV: 1e-3, nV: 1e-6, V: 1000 };

export interface WfdbSignals {
  /** Frames in the record (samples per signal when samplesPerFrame is 1). */
  frameCount: number;
  /** Raw adu per signal, header order; length frameCount * samplesPerFrame. */
  adu: Int32Array[];
  /** Millivolts per signal, header order: (adu - baseline) / gain, scaled from the header's units. NaN where invalid. */
  millivolts: Float32Array[];
}

export interface DecodeOptions {
  /** Compare each signal's 16-bit sample sum and first sample to the header (default true). */
  verifyChecksums?: boolean;
}

/**
 * Decodes every signal of a single-segment record from the bytes of its signal files,
 * looked up by the file name written in the header. Throws WfdbSignalError naming the file.
 */
export function decodeWfdbSignals(
  header: WfdbHeader,
  signalFile: (fileName: string) => Uint8Array | undefined,
  options: DecodeOptions = {},
): WfdbSignals {
  const verify = options.verifyChecksums ?? true;
  const groups = groupByFile(header);
  const adu: Int32Array[] = new Array(header.signals.length);
  let frameCount = header.samplesPerSignal;

  // Without a sample count in the header, the shortest file decides, as in the WFDB library.
  if (frameCount === null) {
    for (const group of groups) {
      const bytes = requireFile(signalFile, group, header);
      const available = samplesIn(group.format, Math.max(0, bytes.byteLength - group.byteOffset));
      const frames = Math.floor(available / group.samplesPerFrame);
      frameCount = frameCount === null ? frames : Math.min(frameCount, frames);
    }
    frameCount ??= 0;
  }

  for (const group of groups) {
    const bytes = requireFile(signalFile, group, header);
    const sampleCount = frameCount * group.samplesPerFrame;
    const needed = group.byteOffset + bytesFor(group.format, sampleCount);
    if (bytes.byteLength < needed) {
      throw new WfdbSignalError(
        `truncated: ${frameCount} frames of ${group.members.length} signal(s) in format ${group.format} need ${needed} bytes, file has ${bytes.byteLength}`,
        signalFilePath(header, group.fileName),
        'length',
      );
    }
    const stream = decodeStream(group.format, bytes, group.byteOffset, sampleCount);
    splitFrames(stream, group, frameCount, adu);
  }

  const millivolts = header.signals.map((spec, index) => {
    const values = adu[index];
    if (verify) verifySignal(values, spec, header);
    return toMillivolts(values, spec, header.source);
  });
  return { frameCount, adu, millivolts };
}

interface FileGroup {
  fileName: string;
  format: number;
  byteOffset: number;
  /** Samples per frame of all signals in the file together. */
  samplesPerFrame: number;
  members: { signalIndex: number; positionInFrame: number; samplesPerFrame: number; spec: WfdbSignalSpec }[];
}

function groupByFile(header: WfdbHeader): FileGroup[] {
  const groups = new Map<string, FileGroup>();
  header.signals.forEach((spec, signalIndex) => {
    if (spec.fileName === '~') {
      throw new WfdbSignalError(`signal ${signalIndex + 1} has no signal file ("~")`, header.source, 'file name');
    }
    if (!(SUPPORTED_WFDB_FORMATS as readonly number[]).includes(spec.format)) {
      throw new WfdbSignalError(
        `unsupported format ${spec.format} for signal ${signalIndex + 1} (line ${spec.line}); supported: ${SUPPORTED_WFDB_FORMATS.join(', ')}`,
        header.source,
        'format',
      );
    }
    if (spec.skew !== 0) {
      throw new WfdbSignalError(`skewed signals are not supported (signal ${signalIndex + 1}, line ${spec.line})`, header.source, 'format');
    }
    let group = groups.get(spec.fileName);
    if (!group) {
      group = { fileName: spec.fileName, format: spec.format, byteOffset: spec.byteOffset, samplesPerFrame: 0, members: [] };
      groups.set(spec.fileName, group);
    } else if (group.format !== spec.format || group.byteOffset !== spec.byteOffset) {
      throw new WfdbSignalError(
        `signals sharing file ${spec.fileName} disagree on format or byte offset (line ${spec.line})`,
        header.source,
        'format',
      );
    }
    group.members.push({ signalIndex, positionInFrame: group.samplesPerFrame, samplesPerFrame: spec.samplesPerFrame, spec });
    group.samplesPerFrame += spec.samplesPerFrame;
  });
  return [...groups.values()];
}

function requireFile(signalFile: (fileName: string) => Uint8Array | undefined, group: FileGroup, header: WfdbHeader): Uint8Array {
  const bytes = signalFile(group.fileName);
  if (!bytes) throw new WfdbSignalError(`signal file of record ${header.recordName} is missing`, signalFilePath(header, group.fileName), 'file');
  return bytes;
}

/** Bytes occupied by `count` samples of a format (partial trailing groups rounded up to whole bytes). */
export function bytesFor(format: number, count: number): number {
  switch (format) {
    case 8:
    case 80:
      return count;
    case 16:
    case 61:
    case 160:
      return 2 * count;
    case 24:
      return 3 * count;
    case 32:
      return 4 * count;
    case 212:
      return Math.floor(count / 2) * 3 + (count % 2) * 2;
    case 310:
      return Math.floor(count / 3) * 4 + [0, 2, 4][count % 3];
    case 311:
      return Math.floor(count / 3) * 4 + [0, 2, 3][count % 3];
    default:
      throw new Error(`bytesFor: unsupported format ${format}`);
  }
}

/** Whole samples of a format that fit in `byteCount` bytes. */
function samplesIn(format: number, byteCount: number): number {
  switch (format) {
    case 212:
      return Math.floor(byteCount / 3) * 2 + (byteCount % 3 >= 2 ? 1 : 0);
    case 310:
      return Math.floor(byteCount / 4) * 3 + [0, 0, 1, 1][byteCount % 4];
    case 311:
      return Math.floor(byteCount / 4) * 3 + [0, 0, 1, 2][byteCount % 4];
    default:
      return Math.floor(byteCount / bytesFor(format, 1));
  }
}

/** Decodes `count` consecutive samples starting at `byteOffset`; the caller has checked the length. */
function decodeStream(format: number, bytes: Uint8Array, byteOffset: number, count: number): Int32Array {
  const out = new Int32Array(count);
  const start = bytes.byteOffset + byteOffset;
  if (format === 16 && LITTLE_ENDIAN_HOST && start % 2 === 0) {
    out.set(new Int16Array(bytes.buffer, start, count));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = byteOffset;
  switch (format) {
    case 16:
      for (let i = 0; i < count; i++, p += 2) out[i] = view.getInt16(p, true);
      break;
    case 61:
      for (let i = 0; i < count; i++, p += 2) out[i] = view.getInt16(p, false);
      break;
    case 160:
      for (let i = 0; i < count; i++, p += 2) out[i] = view.getUint16(p, true) - 32768;
      break;
    case 80:
      for (let i = 0; i < count; i++, p++) out[i] = bytes[p] - 128;
      break;
    case 8:
      // First differences; the running sum is taken per signal in splitFrames.
      for (let i = 0; i < count; i++, p++) out[i] = view.getInt8(p);
      break;
    case 24:
      for (let i = 0; i < count; i++, p += 3) out[i] = ((bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)) << 8) >> 8;
      break;
    case 32:
      for (let i = 0; i < count; i++, p += 4) out[i] = view.getInt32(p, true);
      break;
    case 212:
      // Two 12-bit samples in three bytes: the second byte's low nibble tops the first, its high nibble the second.
      for (let i = 0; i < count; i += 2, p += 3) {
        out[i] = ((bytes[p] | ((bytes[p + 1] & 0x0f) << 8)) << 20) >> 20;
        if (i + 1 < count) out[i + 1] = ((bytes[p + 2] | ((bytes[p + 1] & 0xf0) << 4)) << 20) >> 20;
      }
      break;
    case 310:
      // Three 10-bit samples in two little-endian 16-bit words (bit 0 of each word unused).
      for (let i = 0; i < count; i += 3, p += 4) {
        out[i] = (((bytes[p] >> 1) | ((bytes[p + 1] & 0x07) << 7)) << 22) >> 22;
        if (i + 1 < count) out[i + 1] = (((bytes[p + 2] >> 1) | ((bytes[p + 3] & 0x07) << 7)) << 22) >> 22;
        if (i + 2 < count) out[i + 2] = ((((bytes[p + 1] >> 3) & 0x1f) | (((bytes[p + 3] >> 3) & 0x1f) << 5)) << 22) >> 22;
      }
      break;
    case 311:
      // Three 10-bit samples in one little-endian 32-bit word (top two bits unused).
      for (let i = 0; i < count; i += 3, p += 4) {
        out[i] = ((bytes[p] | ((bytes[p + 1] & 0x03) << 8)) << 22) >> 22;
        if (i + 1 < count) out[i + 1] = (((bytes[p + 1] >> 2) | ((bytes[p + 2] & 0x0f) << 6)) << 22) >> 22;
        if (i + 2 < count) out[i + 2] = (((bytes[p + 2] >> 4) | ((bytes[p + 3] & 0x3f) << 4)) << 22) >> 22;
      }
      break;
    default:
      throw new Error(`decodeStream: unsupported format ${format}`);
  }
  return out;
}

function splitFrames(stream: Int32Array, group: FileGroup, frameCount: number, adu: Int32Array[]): void {
  const frameSize = group.samplesPerFrame;
  for (const member of group.members) {
    const perFrame = member.samplesPerFrame;
    const values = new Int32Array(frameCount * perFrame);
    if (frameSize === 1) {
      values.set(stream.subarray(0, values.length));
    } else {
      for (let frame = 0, out = 0, base = member.positionInFrame; frame < frameCount; frame++, base += frameSize) {
        for (let k = 0; k < perFrame; k++) values[out++] = stream[base + k];
      }
    }
    if (group.format === 8) {
      let running = member.spec.initialValue;
      for (let i = 0; i < values.length; i++) values[i] = running += values[i];
    }
    adu[member.signalIndex] = values;
  }
}

function verifySignal(values: Int32Array, spec: WfdbSignalSpec, header: WfdbHeader): void {
  const fileName = signalFilePath(header, spec.fileName);
  if (values.length > 0 && values[0] !== spec.initialValue && spec.format !== 8) {
    throw new WfdbSignalError(
      `signal ${spec.description || spec.line} starts at ${values[0]} adu but header line ${spec.line} of ${header.source} says ${spec.initialValue}`,
      fileName,
      'initial value',
    );
  }
  if (spec.checksum === null) return;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum = (sum + values[i]) & 0xffff;
  const expected = spec.checksum & 0xffff;
  if (sum !== expected) {
    throw new WfdbSignalError(
      `checksum mismatch for signal ${spec.description || spec.line}: samples sum to ${sum} (mod 65536), header line ${spec.line} of ${header.source} says ${expected}`,
      fileName,
      'checksum',
    );
  }
}

function toMillivolts(values: Int32Array, spec: WfdbSignalSpec, source: string): Float32Array {
  const unitScale = MILLIVOLTS_PER_UNIT[spec.units];
  if (unitScale === undefined) {
    throw new WfdbSignalError(`signal ${spec.description || spec.line} has non-voltage units "${spec.units}"`, source, 'units');
  }
  const invalid = INVALID_SAMPLE[spec.format];
  const out = new Float32Array(values.length);
  const baseline = spec.baseline;
  // A multiply instead of a divide per sample (this loop dominated import CPU). The double product
  // differs from the quotient by at most an ulp of a double, far below float32 resolution; checked
  // exhaustively: identical float32 for every int16 value at gains 200, 400, 500, 1000, 1716, 2000.
  const millivoltsPerAdu = unitScale / spec.gain;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === invalid ? NaN : (v - baseline) * millivoltsPerAdu;
  }
  return out;
}

/** A signal file named as a person can find it: beside its header (`dir/r1.dat`, or `x.zip!/dir/r1.dat`). */
function signalFilePath(header: WfdbHeader, fileName: string): string {
  return posix.join(posix.dirname(header.source.replace(/\\/g, '/')), fileName);
}
