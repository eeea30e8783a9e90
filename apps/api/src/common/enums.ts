import { registerEnumType } from 'type-graphql';

/** Enums mirror libs/db's value sets; GraphQL names are upper case, values are what the database stores. */
export enum SplitEnum {
  TRAIN = 'train',
  VAL = 'val',
  TEST = 'test',
}
registerEnumType(SplitEnum, { name: 'Split', description: 'Partition of a dataset a record belongs to.' });

export enum RecordLabelEnum {
  NORMAL = 'normal',
  ABNORMAL = 'abnormal',
  EXCLUDED = 'excluded',
}
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

export enum RunKindEnum {
  TRAIN = 'train',
  EVALUATE = 'evaluate',
  LLM = 'llm',
}
registerEnumType(RunKindEnum, {
  name: 'RunKind',
  description: 'What a run does: train a CNN, evaluate a trained checkpoint on a dataset, or ask an LLM to classify pages.',
});

export enum RunStatusEnum {
  QUEUED = 'queued',
  RUNNING = 'running',
  FINISHED = 'finished',
  FAILED = 'failed',
  CANCELLED = 'cancelled',
}
registerEnumType(RunStatusEnum, { name: 'RunStatus', description: 'Lifecycle state of a run.' });

export enum JobStatusEnum {
  QUEUED = 'queued',
  RUNNING = 'running',
  FINISHED = 'finished',
  FAILED = 'failed',
  CANCELLED = 'cancelled',
}
registerEnumType(JobStatusEnum, { name: 'JobStatus', description: 'Lifecycle state of a worker job.' });

export enum ExperimentStatusEnum {
  ACTIVE = 'active',
  FINISHED = 'finished',
  FAILED = 'failed',
}
registerEnumType(ExperimentStatusEnum, { name: 'ExperimentStatus', description: 'Lifecycle state of an experiment.' });

export enum StudyRoleEnum {
  INTERNAL = 'internal',
  EXTERNAL = 'external',
}
registerEnumType(StudyRoleEnum, {
  name: 'StudyRole',
  description: 'INTERNAL: the held-out test split of the training dataset; EXTERNAL: a dataset never trained on.',
});
