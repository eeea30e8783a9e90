/**
 * Typed errors for bad metric input. Each names the field (a CSV column, or the argument name a
 * caller passed) and, where one sample is at fault, its 0-based index, so that the CLI can turn it
 * into a row number a person can find.
 */
export class MetricsInputError extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly index: number | null = null,
  ) {
    super(`${field}${index !== null ? `[${index}]` : ''}: ${message}`);
    this.name = 'MetricsInputError';
  }
}

/** A label that is not 0 or 1. */
export class NonBinaryLabelError extends MetricsInputError {
  constructor(
    field: string,
    index: number,
    readonly value: number,
  ) {
    super(`label must be 0 or 1, got ${value}`, field, index);
    this.name = 'NonBinaryLabelError';
  }
}

/** Labels of one class only: ROC, PR and DeLong need at least one positive and one negative. */
export class SingleClassError extends MetricsInputError {
  constructor(
    field: string,
    readonly positives: number,
    readonly negatives: number,
  ) {
    super(
      `needs both classes, got ${positives} positive and ${negatives} negative label(s)`,
      field,
    );
    this.name = 'SingleClassError';
  }
}

/** A score that is NaN (or, where probabilities are required, outside [0, 1]). */
export class InvalidScoreError extends MetricsInputError {
  constructor(
    message: string,
    field: string,
    index: number,
    readonly value: number,
  ) {
    super(message, field, index);
    this.name = 'InvalidScoreError';
  }
}

/** Arrays that should be paired sample by sample have different lengths. */
export class LengthMismatchError extends MetricsInputError {
  constructor(
    field: string,
    readonly expected: number,
    readonly actual: number,
    otherField: string,
  ) {
    super(`has ${actual} value(s) but ${otherField} has ${expected}`, field);
    this.name = 'LengthMismatchError';
  }
}

/** An option out of its range (resamples < 1, level outside (0, 1), bins < 1, ...). */
export class MetricsOptionError extends MetricsInputError {
  constructor(message: string, option: string) {
    super(message, option);
    this.name = 'MetricsOptionError';
  }
}
