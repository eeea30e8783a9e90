/**
 * Typed errors for bad ECG input. Each names the file and, where it applies, the line and field,
 * so that a person can find the problem without a debugger. Nothing else escapes the readers.
 */
export class EcgInputError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | null = null,
    readonly field: string | null = null,
  ) {
    super(`${file}${line !== null ? `:${line}` : ''}${field ? ` (${field})` : ''}: ${message}`);
    this.name = 'EcgInputError';
  }
}

/** A WFDB header (`.hea`) that does not follow the format; `line` is 1-based. */
export class WfdbHeaderError extends EcgInputError {
  constructor(message: string, file: string, line: number | null, field: string | null) {
    super(message, file, line, field);
    this.name = 'WfdbHeaderError';
  }
}

/** A WFDB signal file that is truncated, fails its checksum, or cannot be decoded. */
export class WfdbSignalError extends EcgInputError {
  constructor(message: string, file: string, field: string | null = null) {
    super(message, file, null, field);
    this.name = 'WfdbSignalError';
  }
}

/** A dataset table (CSV) or layout problem: missing column, unparseable cell, unknown label. */
export class DatasetError extends EcgInputError {
  constructor(message: string, file: string, line: number | null = null, field: string | null = null) {
    super(message, file, line, field);
    this.name = 'DatasetError';
  }
}

/** An archive that cannot be opened or extracted. */
export class ArchiveError extends EcgInputError {
  constructor(message: string, file: string) {
    super(message, file);
    this.name = 'ArchiveError';
  }
}
