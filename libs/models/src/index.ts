export * from './backend/index.ts';
export * from './constants.ts';
export type * from './types.ts';
export {
  ModelConfigError,
  modelConfigSchema,
  parseInputSize,
  parseModelConfig,
  parseStoredModelConfig,
  parseTrainConfig,
  PROFILE_SETTINGS,
  profileEpochs,
  trainConfigSchema,
} from './config.ts';
export {
  ARCHITECTURE_SPECS,
  ARCHITECTURES,
  BACKBONE_REGISTRY,
  BACKBONES,
  type Architecture,
  type ArchitectureSpec,
  type Backbone,
  type BackboneSpec,
} from './architectures/architecture-registry.ts';
export { countTrainableParams, createModel, type LeadwiseModel } from './architectures/model-factory.ts';
export {
  GroupAggregation,
  GroupAttention,
  LeadEmbedding,
  LeadMaxPooling,
  LeadPooling,
  LeadSelfAttention,
  LinearGroupAttention,
  leadMasks,
} from './architectures/lead-group-layers.ts';
export { SeededDropout } from './architectures/seeded-dropout.ts';
export {
  CheckpointError,
  loadCheckpoint,
  MODEL_FILE,
  readCheckpointConfig,
  recoverCheckpoint,
  saveCheckpoint,
  WEIGHTS_FILE,
} from './weights/checkpoint-io.ts';
export {
  BEST_CHECKPOINT,
  LAST_CHECKPOINT,
  meanBinaryCrossEntropy,
  trainModel,
  TrainingError,
  type BatchProgress,
  type EpochMetrics,
  type TrainingCallbacks,
  type TrainModelOptions,
  type TrainModelResult,
} from './training/trainer.ts';
export { DATA_PARALLEL_ENV_VAR, DataParallelGroup, parseDataParallel, type DataParallelOptions } from './training/data-parallel.ts';
export { ScheduledAdam } from './training/scheduled-adam.ts';
export { predictHostBatch, predictSource, type Predictions } from './training/predict.ts';
export { SampleShapeError, selectLeadBoxes } from './training/sample-batches.ts';
export { learningRateAt, type WarmupCosineSchedule } from './training/learning-rate-schedule.ts';
export {
  blankBoxes,
  groupAttributions,
  summarizeGroupAttributions,
  type GroupAttributions,
  type GroupAttributionSummary,
  type OcclusionOptions,
} from './attribution/occlusion.ts';
export * from './onnx/index.ts';
export { weightedBinaryCrossEntropy } from './training/weighted-loss.ts';
