import { registerEnumType } from 'type-graphql';
import { EXPERIMENT_STATUSES, JOB_STATUSES, RECORD_LABELS, RUN_KINDS, RUN_STATUSES, SPLITS } from '@leadwise/db';
import { STUDY_ROLES } from '@leadwise/study';

type EnumKey<V extends string> = Uppercase<V extends `${infer A}-${infer B}` ? `${A}_${EnumKey<B>}` : V>;
type EnumOf<V extends string> = { readonly [K in V as EnumKey<K>]: K };

/**
 * A GraphQL enum from the value set its owning library defines: names are the values upper-cased,
 * values are what the database stores, so a value added to the owner appears in the API.
 */
function enumOf<const V extends string>(values: readonly V[]): EnumOf<V> {
  return Object.fromEntries(values.map((value) => [value.toUpperCase().replaceAll('-', '_'), value])) as EnumOf<V>;
}

export const SplitEnum = enumOf(SPLITS);
export type SplitEnum = (typeof SPLITS)[number];
registerEnumType(SplitEnum, { name: 'Split', description: 'Partition of a dataset a record belongs to.' });

export const RecordLabelEnum = enumOf(RECORD_LABELS);
export type RecordLabelEnum = (typeof RECORD_LABELS)[number];
registerEnumType(RecordLabelEnum, {
  name: 'RecordLabel',
  description: 'Study label of a record under its dataset label rule; excluded records are never trained on or evaluated.',
});

/** Binary class as stored on predictions: 0 = normal, 1 = abnormal. */
export enum BinaryLabelEnum {
  NORMAL = 0,
  ABNORMAL = 1,
}
registerEnumType(BinaryLabelEnum, { name: 'BinaryLabel', description: 'Binary class of a prediction: NORMAL (0) or ABNORMAL (1).' });

export const RunKindEnum = enumOf(RUN_KINDS);
export type RunKindEnum = (typeof RUN_KINDS)[number];
registerEnumType(RunKindEnum, {
  name: 'RunKind',
  description: 'What a run does: train a CNN, evaluate a trained checkpoint on a dataset, or ask an LLM to classify pages.',
});

export const RunStatusEnum = enumOf(RUN_STATUSES);
export type RunStatusEnum = (typeof RUN_STATUSES)[number];
registerEnumType(RunStatusEnum, { name: 'RunStatus', description: 'Lifecycle state of a run.' });

export const JobStatusEnum = enumOf(JOB_STATUSES);
export type JobStatusEnum = (typeof JOB_STATUSES)[number];
registerEnumType(JobStatusEnum, { name: 'JobStatus', description: 'Lifecycle state of a worker job.' });

export const ExperimentStatusEnum = enumOf(EXPERIMENT_STATUSES);
export type ExperimentStatusEnum = (typeof EXPERIMENT_STATUSES)[number];
registerEnumType(ExperimentStatusEnum, { name: 'ExperimentStatus', description: 'Lifecycle state of an experiment.' });

export const StudyRoleEnum = enumOf(STUDY_ROLES);
export type StudyRoleEnum = (typeof STUDY_ROLES)[number];
registerEnumType(StudyRoleEnum, {
  name: 'StudyRole',
  description: 'INTERNAL: the held-out test split of the training dataset; EXTERNAL: a dataset never trained on.',
});
