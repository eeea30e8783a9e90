export * from './errors.ts';
export {
  checkBinarySample,
  checkLabels,
  checkProbabilities,
  checkScores,
  HARD_LABEL_NOTE,
  isHardLabel,
  type BinarySample,
  type FieldNames,
  type NumericArray,
} from './binary-sample.ts';
export { midranks } from './ranks.ts';
export * from './roc.ts';
export * from './precision-recall.ts';
export * from './threshold-metrics.ts';
export * from './calibration.ts';
export * from './bootstrap.ts';
export * from './delong.ts';
export * from './multiple-comparisons.ts';
export * from './seed-summary.ts';
export * from './normal-distribution.ts';
export { studentTCdf, studentTQuantile, studentTTwoSidedPValue } from './student-t.ts';
export * from './metric-functions.ts';
export * from './model-comparison.ts';
