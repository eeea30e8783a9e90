import { RUN_KINDS, type RunKind } from '@leadwise/db';

/** Kinds of work a worker runs, one per run kind; one pg-boss queue per kind (`leadwise-<kind>`). */
export const JOB_KINDS = RUN_KINDS;
export type JobKind = RunKind;

export function queueName(kind: string): string {
  return `leadwise-${kind}`;
}

