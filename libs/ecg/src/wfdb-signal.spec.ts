import { describe, expect, it } from 'vitest';
import { WfdbSignalError } from './errors.ts';
import { encodeFormat16Record } from './testing.ts';
import { parseWfdbHeader } from './wfdb-header.ts';
import { decodeWfdbSignals } from './wfdb-signal.ts';

// Byte layouts below are built from the format descriptions in WFDB's signal(5) manual page
// (https://www.physionet.org/physiotools/wag/signal-5.htm), not from the decoder.

function decode(headerText: string, files: Record<string, Uint8Array>, verifyChecksums = false) {
  return decodeWfdbSignals(parseWfdbHeader(headerText, 'r.hea'), (name) => files[name], { verifyChecksums });
}

function signalError(run: () => unknown): WfdbSignalError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WfdbSignalError);
    return error as WfdbSignalError;
  }
  throw new Error('expected a WfdbSignalError');
}

describe('decodeWfdbSignals formats', () => {
  it('16: little-endian int16, frame-interleaved, converted with gain and baseline', () => {
    const bytes = new Uint8Array([0x89, 0xff, 0x10, 0x00, 0x8c, 0xff, 0x20, 0x00]); // -119, 16, -116, 32
    const out = decode('r 2 100 2\nr.dat 16 1000(0)/mV\nr.dat 16 200(10)/mV', { 'r.dat': bytes });
    expect([...out.adu[0]]).toEqual([-119, -116]);
    expect([...out.adu[1]]).toEqual([16, 32]);
    expect([...out.millivolts[0]]).toEqual([Math.fround(-0.119), Math.fround(-0.116)]);
    expect([...out.millivolts[1]]).toEqual([Math.fround(0.03), Math.fround(0.11)]);
  });

  it('16 at an odd byte offset (unaligned) reads the same values', () => {
    const bytes = new Uint8Array([9, 9, 9, 0x89, 0xff, 0x10, 0x00]);
    expect([...decode('r 1 100 2\nr.dat 16+3', { 'r.dat': bytes }).adu[0]]).toEqual([-119, 16]);
  });

  it('212: two 12-bit samples in three bytes, packed across interleaved signals', () => {
    // 100 = 0x064, -2 = 0xFFE: byte0 = 0x64, byte1 = high nibble of the second | high nibble of the first, byte2 = 0xFE.
    const bytes = new Uint8Array([0x64, 0xf0, 0xfe, 0xff, 0x07, 0x00]); // 100, -2 | 2047 (0x7FF), 0
    const out = decode('r 2 100 2\nr.dat 212\nr.dat 212', { 'r.dat': bytes });
    expect([...out.adu[0]]).toEqual([100, 2047]);
    expect([...out.adu[1]]).toEqual([-2, 0]);
  });

  it('212 with an odd sample count needs only two bytes for the last sample', () => {
    const out = decode('r 1 100 3\nr.dat 212', { 'r.dat': new Uint8Array([0x64, 0xf0, 0xfe, 0x01, 0x08]) });
    expect([...out.adu[0]]).toEqual([100, -2, -2047]);
  });

  it('24 and 32: little-endian two\'s complement', () => {
    const out24 = decode('r 1 100 2\nr.dat 24', { 'r.dat': new Uint8Array([0xfe, 0xff, 0xff, 0x56, 0x34, 0x12]) });
    expect([...out24.adu[0]]).toEqual([-2, 0x123456]);
    const out32 = decode('r 1 100 1\nr.dat 32', { 'r.dat': new Uint8Array([0xfe, 0xff, 0xff, 0xff]) });
    expect([...out32.adu[0]]).toEqual([-2]);
  });

  it('61 big-endian, 80 and 160 offset binary, 8 first differences from the initial value', () => {
    expect([...decode('r 1 100 1\nr.dat 61', { 'r.dat': new Uint8Array([0x01, 0x02]) }).adu[0]]).toEqual([258]);
    expect([...decode('r 1 100 2\nr.dat 80', { 'r.dat': new Uint8Array([0x80, 0xff]) }).adu[0]]).toEqual([0, 127]);
    expect([...decode('r 1 100 1\nr.dat 160', { 'r.dat': new Uint8Array([0x00, 0x00]) }).adu[0]]).toEqual([-32768]);
    expect([...decode('r 1 100 3\nr.dat 8 200 8 0 10', { 'r.dat': new Uint8Array([0, 5, 0xfd]) }).adu[0]]).toEqual([10, 15, 12]);
  });

  it('310 and 311: three 10-bit samples in four bytes', () => {
    const [s0, s1, s2] = [5, -1, 300];
    const w0 = ((s0 & 0x3ff) << 1) | ((s2 & 0x1f) << 11);
    const w1 = ((s1 & 0x3ff) << 1) | (((s2 >> 5) & 0x1f) << 11);
    const bytes310 = new Uint8Array([w0 & 0xff, w0 >> 8, w1 & 0xff, w1 >> 8]);
    expect([...decode('r 1 100 3\nr.dat 310', { 'r.dat': bytes310 }).adu[0]]).toEqual([5, -1, 300]);
    const word = ((s0 & 0x3ff) | ((s1 & 0x3ff) << 10) | ((s2 & 0x3ff) << 20)) >>> 0;
    const bytes311 = new Uint8Array([word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24]);
    expect([...decode('r 1 100 3\nr.dat 311', { 'r.dat': bytes311 }).adu[0]]).toEqual([5, -1, 300]);
  });

  it('marks WFDB invalid samples as NaN millivolts and converts uV to mV', () => {
    const out = decode('r 1 100 2\nr.dat 16 2(0)/uV', { 'r.dat': new Uint8Array([0x00, 0x80, 0xe8, 0x03]) });
    expect(Number.isNaN(out.millivolts[0][0])).toBe(true);
    expect(out.millivolts[0][1]).toBeCloseTo(0.5, 6); // 1000 adu / 2 adu per uV = 500 uV
  });

  it('reads signals spread over several files and takes the length from the files when the header has none', () => {
    const out = decode('r 2 100\na.dat 16\nb.dat 80', { 'a.dat': new Uint8Array([1, 0, 2, 0, 3, 0]), 'b.dat': new Uint8Array([0x81, 0x82]) });
    expect(out.frameCount).toBe(2);
    expect([...out.adu[0]]).toEqual([1, 2]);
    expect([...out.adu[1]]).toEqual([1, 2]);
  });
});

describe('decodeWfdbSignals verification and errors', () => {
  const good = encodeFormat16Record({ recordName: 'g', leadsAdu: [[-119, -116, -120], [5, 6, 7]] });

  it('accepts matching initial values and checksums', () => {
    const out = decodeWfdbSignals(parseWfdbHeader(good.header, 'g.hea'), () => good.dat);
    expect([...out.adu[0]]).toEqual([-119, -116, -120]);
  });

  it('rejects a checksum mismatch, naming file and field', () => {
    const header = good.header.replace(/ 0 I$/m, ' 0 I').replace(/(-119) (\d+) 0 I/, (_, v, sum) => `${v} ${Number(sum) + 1} 0 I`);
    const error = signalError(() => decodeWfdbSignals(parseWfdbHeader(header, 'g.hea'), () => good.dat));
    expect(error.file).toBe('g.dat');
    expect(error.field).toBe('checksum');
  });

  it('compares checksums modulo 2^16 (CinC headers write them signed)', () => {
    const header = good.header.replace(/(-119) (\d+) 0 I/, (_, v, sum) => `${v} ${Number(sum) - 65536} 0 I`);
    expect(() => decodeWfdbSignals(parseWfdbHeader(header, 'g.hea'), () => good.dat)).not.toThrow();
  });

  it('rejects a first sample that disagrees with the initial value', () => {
    const header = good.header.replace('-119 ', '-118 ');
    expect(signalError(() => decodeWfdbSignals(parseWfdbHeader(header, 'g.hea'), () => good.dat)).field).toBe('initial value');
  });

  it('rejects a truncated file', () => {
    const error = signalError(() => decodeWfdbSignals(parseWfdbHeader(good.header, 'g.hea'), () => good.dat.subarray(0, 9)));
    expect(error.field).toBe('length');
    expect(error.message).toContain('g.dat');
    expect(error.message).toContain('need 12 bytes, file has 9');
  });

  it('rejects an unknown format code', () => {
    const error = signalError(() => decode('r 1 100 1\nr.dat 999', { 'r.dat': new Uint8Array(8) }));
    expect(error.field).toBe('format');
    expect(error.message).toContain('unsupported format 999');
  });

  it('rejects a missing signal file', () => {
    expect(signalError(() => decode('r 1 100 1\nr.dat 16', {})).file).toBe('r.dat');
  });
});
