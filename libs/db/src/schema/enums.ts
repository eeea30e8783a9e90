/**
 * Value sets stored as text with CHECK constraints rather than PostgreSQL enums: a check can be
 * widened in a generated migration without ALTER TYPE, and the arrays give TypeScript the union.
 * Sets another library owns are imported from it, so a CHECK follows its owner.
 */
import { DATASET_KINDS, DATASET_SPLITS, RECORD_LABELS, SCORE_SOURCES, SEXES, type DatasetSplit } from '@leadwise/ecg';

export { DATASET_KINDS, RECORD_LABELS, SCORE_SOURCES, SEXES };
export type { DatasetKind, RecordLabel, ScoreSource, Sex } from '@leadwise/ecg';

export const SPLITS = DATASET_SPLITS;
export type Split = DatasetSplit;

export const EXPERIMENT_STATUSES = ['active', 'finished', 'failed'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

export const RUN_KINDS = ['train', 'evaluate', 'llm'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export const RUN_STATUSES = ['queued', 'running', 'finished', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const JOB_STATUSES = ['queued', 'running', 'finished', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];


/** `parsed`: label (and maybe score) read; `unparseable`: answer present but not understood; `error`: no answer (API failure). */
export const PARSE_STATUSES = ['parsed', 'unparseable', 'error'] as const;
export type ParseStatus = (typeof PARSE_STATUSES)[number];

/** Renders `"column" IN ('a', 'b')` for a CHECK constraint; values are our own constants, never user input. */
export function inList(column: string, values: readonly string[]): string {
  return `"${column}" IN (${values.map((v) => `'${v}'`).join(', ')})`;
}
