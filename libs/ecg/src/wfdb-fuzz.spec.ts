import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EcgInputError } from './errors.ts';
import { consistentTwelveLeadAdu, encodeFormat16Record } from './testing.ts';
import { wfdbRecordFromBuffers } from './wfdb-record.ts';

// Property: whatever bytes a header or signal file holds, the reader returns a record or throws one
// of the typed input errors; never a TypeError/RangeError, never an endless loop. Seeds are a real
// PTB-XL-shaped header and a CinC-shaped one (byte offset, comments), mutated at random.

const ptbxlLike = encodeFormat16Record({ recordName: '00001_lr', leadsAdu: consistentTwelveLeadAdu(100) });
const cincLike = encodeFormat16Record({
  recordName: 'JS00001',
  samplingRateHz: 500,
  leadsAdu: consistentTwelveLeadAdu(100),
  byteOffset: 24,
  comments: ['Age: 85', 'Sex: Male', 'Dx: 164889003,59118001'],
});
const seeds = [ptbxlLike, cincLike];

const TOKENS = [' ', '\n', '#', '+', 'x', ':', '/', '(', ')', '-', '0', '1', '212', '16', '24', '999', '1e309', '99999999999', 'mV', 'uV', '~', '.', '\r', '\t', '\0'];

const headerMutation = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })) }),
  fc.record({ kind: fc.constant('dropLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateLine' as const), at: fc.nat() }),
);
type HeaderMutation = typeof headerMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateHeader(text: string, mutations: HeaderMutation[]): string {
  for (const m of mutations) {
    if (text.length === 0) break;
    const at = m.at % text.length;
    if (m.kind === 'replace') text = text.slice(0, at) + m.text + text.slice(at + 1);
    else if (m.kind === 'delete') text = text.slice(0, at) + text.slice(at + m.length);
    else if (m.kind === 'insert') text = text.slice(0, at) + m.text + text.slice(at);
    else {
      const lines = text.split('\n');
      const line = m.at % lines.length;
      if (m.kind === 'dropLine') lines.splice(line, 1);
      else lines.splice(line, 0, lines[line]);
      text = lines.join('\n');
    }
  }
  return text;
}

function readOrTypedError(header: string, files: (name: string) => Uint8Array | undefined): void {
  try {
    wfdbRecordFromBuffers(header, files, 'fuzz.hea');
  } catch (error) {
    if (!(error instanceof EcgInputError)) throw error;
  }
}

describe('WFDB reader fuzz', () => {
  it('mutated headers give a record or a typed error', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.array(headerMutation, { minLength: 1, maxLength: 4 }), (seed, mutations) => {
        const { header, dat } = seeds[seed];
        readOrTypedError(mutateHeader(header, mutations), () => dat);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated signal files (flipped bytes, truncation, extension) give a record or a typed error', () => {
    const byteEdit = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.array(byteEdit, { maxLength: 6 }), fc.option(fc.nat()), fc.nat({ max: 8 }), (seed, edits, cut, extra) => {
        const { header, dat } = seeds[seed];
        let bytes: Uint8Array = Uint8Array.from(dat);
        for (const edit of edits) bytes[edit.at % bytes.length] = edit.value;
        if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
        if (extra > 0) bytes = Uint8Array.from([...bytes, ...new Uint8Array(extra)]);
        readOrTypedError(header, () => bytes);
      }),
      { numRuns: 1500 },
    );
  });

  it('the unmutated seeds decode (the properties above are not vacuous)', () => {
    for (const { header, dat } of seeds) expect(wfdbRecordFromBuffers(header, () => dat, 'seed.hea').lengthSamples).toBe(100);
  });

  it('a mutated header with a valid sample count but flipped sample bytes is caught by the checksum', () => {
    const bytes = Uint8Array.from(ptbxlLike.dat);
    bytes[100] ^= 0x01;
    expect(() => wfdbRecordFromBuffers(ptbxlLike.header, () => bytes, 'x.hea')).toThrow(/checksum mismatch/);
  });
});
