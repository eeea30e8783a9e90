import { posix } from 'node:path';
import { WfdbHeaderError } from './errors.ts';
import { readFileAt, ZIP_ENTRY_SEPARATOR } from './file-source.ts';
import { normalizeLeadName, type LeadName } from './leads.ts';
import type { EcgRecording, Sex } from './recording.ts';
import { parseWfdbHeader, type WfdbHeader } from './wfdb-header.ts';
import { decodeWfdbSignals, type DecodeOptions } from './wfdb-signal.ts';

/** A decoded WFDB record: the common EcgRecording plus its parsed header and raw adu. */
export interface WfdbRecord extends EcgRecording {
  header: WfdbHeader;
  /** Raw adu per lead, parallel to `signalsMv`. */
  signalsAdu: Int32Array[];
}

const textDecoder = new TextDecoder('utf-8');

/**
 * Builds a record from a header and its signal files held in memory (a zip entry, a test fixture).
 * `source` names the header in errors. Throws WfdbHeaderError / WfdbSignalError.
 */
export function wfdbRecordFromBuffers(
  headerBytes: Uint8Array | string,
  signalFile: (fileName: string) => Uint8Array | undefined,
  source: string,
  options: DecodeOptions = {},
): WfdbRecord {
  const header = parseWfdbHeader(typeof headerBytes === 'string' ? headerBytes : textDecoder.decode(headerBytes), source);
  return wfdbRecordFromHeader(header, signalFile, options);
}

/** Builds a record from an already parsed header and its signal files in memory. */
export function wfdbRecordFromHeader(
  header: WfdbHeader,
  signalFile: (fileName: string) => Uint8Array | undefined,
  options: DecodeOptions = {},
): WfdbRecord {
  const source = header.source;
  const leadNames = canonicalLeadNames(header);
  for (const spec of header.signals) {
    if (spec.samplesPerFrame !== 1) {
      throw new WfdbHeaderError('multi-frequency records (samples per frame > 1) are not supported as ECG recordings', source, spec.line, 'format');
    }
  }
  const signals = decodeWfdbSignals(header, signalFile, options);
  return {
    recordName: header.recordName,
    samplingRateHz: header.samplingFrequencyHz,
    lengthSamples: signals.frameCount,
    leadNames,
    signalsMv: signals.millivolts,
    signalsAdu: signals.adu,
    ageYears: parseAge(header.commentFields.Age),
    sex: parseSex(header.commentFields.Sex),
    header,
  };
}

/**
 * Reads a WFDB record from its header location: a path to `NAME.hea` (or `NAME` without the
 * extension), or `<zip>!/<entry>.hea` as stored by the importer. Signal files are looked up next
 * to the header.
 */
export async function readWfdbRecord(headerLocation: string, options: DecodeOptions = {}): Promise<WfdbRecord> {
  const location = headerLocation.endsWith('.hea') ? headerLocation : `${headerLocation}.hea`;
  const headerBytes = await readFileAt(location);
  const header = parseWfdbHeader(textDecoder.decode(headerBytes), location);
  const directory = locationDirectory(location);
  const files = new Map<string, Uint8Array>();
  for (const fileName of new Set(header.signals.map((s) => s.fileName))) {
    if (fileName === '~') continue;
    files.set(fileName, await readFileAt(joinLocation(directory, fileName, location)));
  }
  return wfdbRecordFromHeader(header, (name) => files.get(name), options);
}

/** Header's directory, keeping a `zip!/` prefix intact. */
function locationDirectory(location: string): string {
  const split = location.indexOf(ZIP_ENTRY_SEPARATOR);
  if (split > 0) {
    const entryDir = posix.dirname(location.slice(split + ZIP_ENTRY_SEPARATOR.length));
    return `${location.slice(0, split)}${ZIP_ENTRY_SEPARATOR}${entryDir === '.' ? '' : `${entryDir}/`}`;
  }
  const slash = Math.max(location.lastIndexOf('/'), location.lastIndexOf('\\'));
  return slash >= 0 ? location.slice(0, slash + 1) : '';
}

function joinLocation(directory: string, fileName: string, headerLocation: string): string {
  if (fileName.includes('/') || fileName.includes('\\') || fileName === '..' || fileName === '.') {
    throw new WfdbHeaderError(`signal file name "${fileName}" must be a plain name beside the header`, headerLocation, null, 'file name');
  }
  return directory + fileName;
}

/** Lead names from the signal descriptions, canonicalised; unknown or repeated leads are errors. */
function canonicalLeadNames(header: WfdbHeader): LeadName[] {
  const seen = new Set<LeadName>();
  return header.signals.map((spec) => {
    const lead = normalizeLeadName(spec.description);
    if (!lead) throw new WfdbHeaderError(`"${spec.description}" is not one of the twelve standard leads`, header.source, spec.line, 'description');
    if (seen.has(lead)) throw new WfdbHeaderError(`lead ${lead} appears twice`, header.source, spec.line, 'description');
    seen.add(lead);
    return lead;
  });
}

function parseAge(text: string | undefined): number | null {
  if (text === undefined) return null;
  const age = Number(text);
  return text.trim() !== '' && Number.isFinite(age) && age >= 0 ? age : null;
}

function parseSex(text: string | undefined): Sex | null {
  const value = text?.trim().toLowerCase();
  if (value === 'male' || value === 'm') return 'male';
  if (value === 'female' || value === 'f') return 'female';
  return null;
}
