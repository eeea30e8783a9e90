export { RecordSampleSource, type RecordSampleSourceOptions, type TrainingRecord } from './record-sample-source.ts';
export { labelledRecords, requireDataset, SCORED_SPLITS, stratifiedSubset, TrainingDataError, type ScoredSplit } from './training-records.ts';
export {
  backendLabel,
  runDirectory,
  TRAIN_METRIC_KEYS,
  trainRun,
  type TrainOverrides,
  type TrainRunOptions,
  type TrainRunResult,
} from './train-run.ts';
export { EVALUATION_ENGINES, evaluateRun, EvaluateRunError, type EvaluateRunOptions, type EvaluateRunResult, type EvaluationEngine } from './evaluate-run.ts';
export { ParallelTrainingError, trainRunsInParallel, type ParallelTrainingOptions, type TrainRunSpec } from './parallel-training.ts';
export { ChildRunError, evaluateRunInChild, trainRunInChild, type ChildRunOptions, type EvaluateRunSpec } from './child-runs.ts';
