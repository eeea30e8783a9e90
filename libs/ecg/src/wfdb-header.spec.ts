import { describe, expect, it } from 'vitest';
import { WfdbHeaderError } from './errors.ts';
import { parseWfdbHeader, WFDB_DEFAULT_GAIN } from './wfdb-header.ts';

// First lines of PTB-XL records100/00000/00001_lr.hea and Chapman-Shaoxing JS00001.hea, copied
// verbatim from the files in ../shared/data.
const PTBXL_00001 = `00001_lr 12 100 1000
00001_lr.dat 16 1000.0(0)/mV 16 0 -119 1508 0 I
00001_lr.dat 16 1000.0(0)/mV 16 0 -55 723 0 II
`;
const JS00001 = `JS00001 12 500 5000
JS00001.mat 16+24 1000/mV 16 0 -254 21756 0 I
JS00001.mat 16+24 1000/mV 16 0 264 -599 0 II
#Age: 85
#Sex: Male
#Dx: 164889003,59118001,164934002
#Rx: Unknown
`;

function expectHeaderError(text: string, expected: { line: number | null; field: string }) {
  try {
    parseWfdbHeader(text, 'x.hea');
  } catch (error) {
    expect(error).toBeInstanceOf(WfdbHeaderError);
    const e = error as WfdbHeaderError;
    expect({ file: e.file, line: e.line, field: e.field }).toEqual({ file: 'x.hea', ...expected });
    return;
  }
  throw new Error('expected a WfdbHeaderError');
}

describe('parseWfdbHeader', () => {
  it('reads the PTB-XL record and signal lines', () => {
    const header = parseWfdbHeader(PTBXL_00001.replace('12 100', '2 100'), '00001_lr.hea');
    expect(header).toMatchObject({ recordName: '00001_lr', samplingFrequencyHz: 100, samplesPerSignal: 1000, segments: null });
    expect(header.signals[0]).toEqual({
      fileName: '00001_lr.dat',
      format: 16,
      samplesPerFrame: 1,
      skew: 0,
      byteOffset: 0,
      gain: 1000,
      gainIsDefault: false,
      baseline: 0,
      units: 'mV',
      adcResolutionBits: 16,
      adcZero: 0,
      initialValue: -119,
      checksum: 1508,
      blockSize: 0,
      description: 'I',
      line: 2,
    });
  });

  it('reads the CinC byte offset, signed checksums and #Age/#Sex/#Dx comments', () => {
    const header = parseWfdbHeader(JS00001.replace('12 500', '2 500'), 'JS00001.hea');
    expect(header.signals[1]).toMatchObject({ format: 16, byteOffset: 24, gain: 1000, baseline: 0, initialValue: 264, checksum: -599, description: 'II' });
    expect(header.commentFields).toEqual({ Age: '85', Sex: 'Male', Dx: '164889003,59118001,164934002', Rx: 'Unknown' });
    expect(header.comments[2]).toBe('Dx: 164889003,59118001,164934002');
  });

  it('reads counter frequency, base time and date, and every format modifier', () => {
    const header = parseWfdbHeader(
      ['rec/x 1 360/720(12) 650000 12:30:05 25/12/2020', 'rec.dat 212x2:1+512 1716(6)/uV 12 2048 2049 -12 0 Lead V1 (chest)'].join('\r\n').replace('rec/x', 'rec'),
      'rec.hea',
    );
    expect(header).toMatchObject({ samplingFrequencyHz: 360, counterFrequencyHz: 720, baseCounter: 12, baseTime: '12:30:05', baseDate: '25/12/2020' });
    expect(header.signals[0]).toMatchObject({
      format: 212,
      samplesPerFrame: 2,
      skew: 1,
      byteOffset: 512,
      gain: 1716,
      baseline: 6,
      units: 'uV',
      adcResolutionBits: 12,
      adcZero: 2048,
      initialValue: 2049,
      checksum: -12,
      description: 'Lead V1 (chest)',
    });
  });

  it('applies WFDB defaults: gain 200 when 0 or absent, baseline = ADC zero, initial value = ADC zero', () => {
    const header = parseWfdbHeader('r 3 500\nr.dat 16 0 12 5\nr.dat 16\nr.dat 16 200/mV 12 7', 'r.hea');
    expect(header.samplesPerSignal).toBeNull();
    expect(header.signals.map((s) => [s.gain, s.gainIsDefault, s.baseline, s.initialValue, s.checksum])).toEqual([
      [WFDB_DEFAULT_GAIN, true, 5, 5, null],
      [WFDB_DEFAULT_GAIN, true, 0, 0, null],
      [200, false, 7, 7, null],
    ]);
  });

  it('defaults the sampling frequency to 250 Hz and skips blank lines and comments anywhere', () => {
    const header = parseWfdbHeader('# leading comment\n\nr 1\n  \nr.dat 16\n# trailing', 'r.hea');
    expect(header.samplingFrequencyHz).toBe(250);
    expect(header.comments).toEqual(['leading comment', 'trailing']);
  });

  it('names line and field of each malformed part', () => {
    expectHeaderError('', { line: null, field: 'record line' });
    expectHeaderError('r x 100', { line: 1, field: 'number of signals' });
    expectHeaderError('r 1 fast', { line: 1, field: 'sampling frequency' });
    expectHeaderError('r 1 0', { line: 1, field: 'sampling frequency' });
    expectHeaderError('r 1 100 -5', { line: 1, field: 'number of samples' });
    expectHeaderError('r 1 100 10 noon', { line: 1, field: 'base time' });
    expectHeaderError('r/2 1 100', { line: 1, field: 'record name' });
    expectHeaderError('r 1 100\nr.dat', { line: 2, field: 'format' });
    expectHeaderError('r 1 100\n\nr.dat 16x', { line: 3, field: 'format' });
    expectHeaderError('r 1 100\nr.dat 16 big/mV', { line: 2, field: 'gain' });
    expectHeaderError('r 1 100\nr.dat 16 200 16 0 1.5', { line: 2, field: 'initial value' });
    expectHeaderError('r 1 100\nr.dat 16 200 16 0 0 sum', { line: 2, field: 'checksum' });
    expectHeaderError('r 2 100\nr.dat 16', { line: null, field: 'number of signals' });
    expectHeaderError('r 1 100\nr.dat 16\nr.dat 16', { line: 3, field: 'signal line' });
  });

  it('puts file, line and field in the message', () => {
    expect(() => parseWfdbHeader('r 1 100\nr.dat 16 abc', 'dir/r.hea')).toThrow('dir/r.hea:2 (gain): invalid gain "abc"');
  });
});
