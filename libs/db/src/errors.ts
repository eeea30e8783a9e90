import { DrizzleQueryError } from 'drizzle-orm/errors';

/** Base class of the data layer's typed errors; `name` is the class name so the CLI prints it. */
export class DbError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A run param was logged again with a different value; params are written once (MLflow semantics). */
export class ParamConflictError extends DbError {
  constructor(
    readonly runId: number,
    readonly key: string,
    readonly existingValue: string,
    readonly newValue: string,
  ) {
    super(`run ${runId}: param "${key}" is already "${existingValue}", cannot change it to "${newValue}"`);
  }
}

/** A status change not allowed from the current status (e.g. finished -> running). */
export class InvalidTransitionError extends DbError {
  constructor(
    readonly entity: 'run' | 'job',
    readonly id: number,
    readonly from: string | null,
    readonly to: string,
  ) {
    super(from === null ? `${entity} ${id} does not exist` : `${entity} ${id}: cannot go from ${from} to ${to}`);
  }
}

export class NotFoundError extends DbError {
  constructor(
    readonly entity: string,
    readonly key: string | number,
  ) {
    super(`${entity} ${key} not found`);
  }
}

/** A worker touched a job it no longer holds (another worker took it over after a missed heartbeat). */
export class JobLockLostError extends DbError {
  constructor(
    readonly jobId: number,
    readonly workerId: string,
  ) {
    super(`job ${jobId} is no longer locked by worker ${workerId}`);
  }
}

/** The database could not be opened or migrated; the message never contains the password. */
export class DatabaseOpenError extends DbError {}

/**
 * An error's message fit for logs and stored error fields: a failed query is named with its SQL and
 * the database's reason, but without its parameters (client input, patient data, log-forging text).
 */
/** Whether the error is a failed SQL statement (its message would carry the query's parameters). */
export function isQueryError(error: unknown): error is Error {
  return error instanceof DrizzleQueryError;
}

export function errorMessageWithoutParams(error: unknown): string {
  if (error instanceof DrizzleQueryError) {
    const cause = error.cause instanceof Error ? error.cause.message : String(error.cause ?? 'unknown cause');
    return `Failed query: ${error.query} (${error.params.length} parameters, not shown): ${cause}`;
  }
  return error instanceof Error ? error.message : String(error);
}
