import { WfdbHeaderError } from './errors.ts';

/**
 * WFDB header (`.hea`) parsing, following the PhysioNet "header(5)" specification:
 * https://www.physionet.org/physiotools/wag/header-5.htm
 *
 *   record line:  name[/nseg] nsig [fs[/counterFreq[(baseCounter)]] [nsamp [baseTime [baseDate]]]]
 *   signal line:  file format[xspf][:skew][+offset] [gain[(baseline)][/units] [adcRes [adcZero
 *                 [initValue [checksum [blockSize [description]]]]]]]
 *   comment line: # anything   (CinC headers carry `#Age: 85`, `#Sex: Male`, `#Dx: code,code`)
 */

/** WFDB's default ADC gain (adu per physical unit) when the header gives 0 or none. */
export const WFDB_DEFAULT_GAIN = 200;
/** WFDB's default sampling frequency when the record line gives none. */
export const WFDB_DEFAULT_FS_HZ = 250;

export interface WfdbSignalSpec {
  /** Signal file name as written (relative to the header's directory), `~` for none. */
  fileName: string;
  /** Storage format code: 8, 16, 24, 32, 61, 80, 212, 310, 311, ... */
  format: number;
  samplesPerFrame: number;
  skew: number;
  /** Bytes to skip at the start of the signal file (`16+24`: 24). */
  byteOffset: number;
  /** adu per physical unit; WFDB_DEFAULT_GAIN when the header gives 0 or none. */
  gain: number;
  /** True when the header gave no gain or gain 0 (uncalibrated signal). */
  gainIsDefault: boolean;
  /** adu value that corresponds to 0 physical units; defaults to adcZero. */
  baseline: number;
  units: string;
  adcResolutionBits: number;
  adcZero: number;
  /** First sample value as the header states it (defaults to adcZero). */
  initialValue: number;
  /** 16-bit sum of all samples, as written (may be signed); null when absent. */
  checksum: number | null;
  blockSize: number;
  description: string;
  /** 1-based line number of this signal line in the header. */
  line: number;
}

export interface WfdbHeader {
  /** Path or name of the header, for error messages. */
  source: string;
  recordName: string;
  /** Number of segments for multi-segment records, else null. */
  segments: number | null;
  samplingFrequencyHz: number;
  counterFrequencyHz: number | null;
  baseCounter: number | null;
  /** Samples per signal; null when the header leaves it to the signal file's length. */
  samplesPerSignal: number | null;
  baseTime: string | null;
  baseDate: string | null;
  signals: WfdbSignalSpec[];
  /** Comment lines without the leading `#`, trimmed, in file order. */
  comments: string[];
  /** `Key: value` comments (CinC `#Age: 85`) by key, first occurrence wins. */
  commentFields: Record<string, string>;
}

const RECORD_NAME = /^([A-Za-z0-9_.-]+)(?:\/(\d+))?$/;
const FREQUENCY = /^([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)(?:\/([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)(?:\(([+-]?[0-9]*\.?[0-9]+)\))?)?$/;
const FORMAT = /^(\d+)(?:x(\d+))?(?::(\d+))?(?:\+(\d+))?$/;
const GAIN = /^([+-]?[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)(?:\(([+-]?\d+)\))?(?:\/(\S+))?$/;
const INTEGER = /^[+-]?\d+$/;
const NON_NEGATIVE_INTEGER = /^\d+$/;
const BASE_TIME = /^\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?$|^\d{1,2}(?:\.\d+)?$/;
const BASE_DATE = /^\d{1,2}\/\d{1,2}\/\d{1,4}$/;
const COMMENT_FIELD = /^([A-Za-z][A-Za-z0-9 _-]*?)\s*:\s*(.*)$/;

/** Largest count the parser accepts; keeps hostile headers from asking for absurd allocations. */
const MAX_SAFE_COUNT = 2 ** 40;

/** Parses a WFDB header's text. `source` names the file in errors. Throws WfdbHeaderError. */
export function parseWfdbHeader(text: string, source: string): WfdbHeader {
  const lines = text.split(/\r?\n|\r/);
  const comments: string[] = [];
  const commentFields: Record<string, string> = {};
  let header: WfdbHeader | null = null;
  let expectedSignals = 0;

  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const trimmed = lines[index].trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const comment = trimmed.slice(1).trim();
      comments.push(comment);
      const field = COMMENT_FIELD.exec(comment);
      if (field && !(field[1] in commentFields)) commentFields[field[1]] = field[2].trim();
      continue;
    }
    const tokens = trimmed.split(/\s+/);
    if (header === null) {
      [header, expectedSignals] = parseRecordLine(tokens, source, lineNumber);
      if (header.segments !== null) {
        throw new WfdbHeaderError(`multi-segment records (${header.segments} segments) are not supported`, source, lineNumber, 'record name');
      }
      continue;
    }
    if (header.signals.length >= expectedSignals) {
      throw new WfdbHeaderError(`unexpected line after ${expectedSignals} signal lines: "${truncate(trimmed)}"`, source, lineNumber, 'signal line');
    }
    header.signals.push(parseSignalLine(tokens, source, lineNumber));
  }

  if (header === null) throw new WfdbHeaderError('no record line', source, null, 'record line');
  if (header.signals.length !== expectedSignals) {
    throw new WfdbHeaderError(
      `record line declares ${expectedSignals} signals but ${header.signals.length} signal lines follow`,
      source,
      null,
      'number of signals',
    );
  }
  header.comments = comments;
  header.commentFields = commentFields;
  return header;
}

function parseRecordLine(tokens: string[], source: string, line: number): [WfdbHeader, number] {
  const fail: (message: string, field: string) => never = (message, field) => {
    throw new WfdbHeaderError(message, source, line, field);
  };
  const name = RECORD_NAME.exec(tokens[0]);
  if (!name) fail(`invalid record name "${truncate(tokens[0])}"`, 'record name');
  if (tokens.length < 2) fail('record line lacks the number of signals', 'number of signals');
  if (!NON_NEGATIVE_INTEGER.test(tokens[1])) fail(`invalid number of signals "${truncate(tokens[1])}"`, 'number of signals');
  const signalCount = Number(tokens[1]);
  if (signalCount > 100_000) fail(`implausible number of signals ${signalCount}`, 'number of signals');

  let samplingFrequencyHz = WFDB_DEFAULT_FS_HZ;
  let counterFrequencyHz: number | null = null;
  let baseCounter: number | null = null;
  if (tokens.length > 2) {
    const frequency = FREQUENCY.exec(tokens[2]);
    if (!frequency) fail(`invalid sampling frequency "${truncate(tokens[2])}"`, 'sampling frequency');
    samplingFrequencyHz = Number(frequency[1]);
    if (!(samplingFrequencyHz > 0) || !Number.isFinite(samplingFrequencyHz)) fail(`sampling frequency must be positive, got "${tokens[2]}"`, 'sampling frequency');
    if (frequency[2] !== undefined) counterFrequencyHz = Number(frequency[2]);
    if (frequency[3] !== undefined) baseCounter = Number(frequency[3]);
  }
  let samplesPerSignal: number | null = null;
  if (tokens.length > 3) {
    if (!NON_NEGATIVE_INTEGER.test(tokens[3])) fail(`invalid number of samples "${truncate(tokens[3])}"`, 'number of samples');
    samplesPerSignal = Number(tokens[3]);
    if (samplesPerSignal > MAX_SAFE_COUNT) fail(`implausible number of samples ${tokens[3]}`, 'number of samples');
    // 0 means "unknown": the signal file's length decides.
    if (samplesPerSignal === 0) samplesPerSignal = null;
  }
  const baseTime = tokens[4] ?? null;
  if (baseTime !== null && !BASE_TIME.test(baseTime)) fail(`invalid base time "${truncate(baseTime)}"`, 'base time');
  const baseDate = tokens[5] ?? null;
  if (baseDate !== null && !BASE_DATE.test(baseDate)) fail(`invalid base date "${truncate(baseDate)}"`, 'base date');
  if (tokens.length > 6) fail(`unexpected field "${truncate(tokens[6])}" on the record line`, 'record line');

  const header: WfdbHeader = {
    source,
    recordName: name[1],
    segments: name[2] !== undefined ? Number(name[2]) : null,
    samplingFrequencyHz,
    counterFrequencyHz,
    baseCounter,
    samplesPerSignal,
    baseTime,
    baseDate,
    signals: [],
    comments: [],
    commentFields: {},
  };
  return [header, signalCount];
}

function parseSignalLine(tokens: string[], source: string, line: number): WfdbSignalSpec {
  const fail: (message: string, field: string) => never = (message, field) => {
    throw new WfdbHeaderError(message, source, line, field);
  };
  const integerField = (index: number, field: string, fallback: number, nonNegative = false): number => {
    const token = tokens[index];
    if (token === undefined) return fallback;
    if (!(nonNegative ? NON_NEGATIVE_INTEGER : INTEGER).test(token)) fail(`invalid ${field} "${truncate(token)}"`, field);
    const value = Number(token);
    if (!Number.isSafeInteger(value)) fail(`${field} out of range "${truncate(token)}"`, field);
    return value;
  };

  const fileName = tokens[0];
  if (tokens.length < 2) fail('signal line lacks the format', 'format');
  const format = FORMAT.exec(tokens[1]);
  if (!format) fail(`invalid format "${truncate(tokens[1])}"`, 'format');
  const samplesPerFrame = format[2] !== undefined ? Number(format[2]) : 1;
  if (samplesPerFrame < 1 || samplesPerFrame > 100_000) fail(`invalid samples per frame ${format[2]}`, 'format');
  const byteOffset = format[4] !== undefined ? Number(format[4]) : 0;
  if (!Number.isSafeInteger(byteOffset)) fail(`byte offset out of range "${format[4]}"`, 'format');

  let gain = 0;
  let baselineText: string | undefined;
  let units = 'mV';
  if (tokens[2] !== undefined) {
    const gainMatch = GAIN.exec(tokens[2]);
    if (!gainMatch) fail(`invalid gain "${truncate(tokens[2])}"`, 'gain');
    gain = Number(gainMatch[1]);
    if (!Number.isFinite(gain)) fail(`invalid gain "${truncate(tokens[2])}"`, 'gain');
    baselineText = gainMatch[2];
    if (gainMatch[3] !== undefined) units = gainMatch[3];
  }
  const adcResolutionBits = integerField(3, 'ADC resolution', 0, true);
  const adcZero = integerField(4, 'ADC zero', 0);
  const initialValue = integerField(5, 'initial value', adcZero);
  const checksum = tokens[6] !== undefined ? integerField(6, 'checksum', 0) : null;
  const blockSize = integerField(7, 'block size', 0, true);
  const baseline = baselineText !== undefined ? Number(baselineText) : adcZero;
  if (!Number.isSafeInteger(baseline)) fail(`baseline out of range "${baselineText}"`, 'gain');

  return {
    fileName,
    format: Number(format[1]),
    samplesPerFrame,
    skew: format[3] !== undefined ? Number(format[3]) : 0,
    byteOffset,
    gain: gain === 0 ? WFDB_DEFAULT_GAIN : gain,
    gainIsDefault: gain === 0,
    baseline,
    units,
    adcResolutionBits,
    adcZero,
    initialValue,
    checksum,
    blockSize,
    description: tokens.slice(8).join(' '),
    line,
  };
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
