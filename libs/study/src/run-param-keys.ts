/*
 * The keys run params are written with (libs/db RunStore.logParams), owned here by the library that
 * writes them: trainRun, evaluateRun and the LLM arm write with these constants, and every reader
 * (the evaluation, the summary, the report, the study's tables, the API) reads with them. A key
 * spelled twice by convention drifts; a constant cannot. Kept free of model code so that readers
 * can import it cheaply.
 */

/**
 * Param keys a train run is logged with; the evaluation (grid style), the report and the study's
 * tables read them back by these names.
 */
export const TRAIN_PARAM_KEYS = {
  profile: 'profile',
  dataset: 'dataset',
  architecture: 'architecture',
  backbone: 'backbone',
  outputStride: 'output_stride',
  leadGroupHead: 'lead_group_head',
  rhythmStrip: 'rhythm_strip',
  vggBatchNorm: 'vgg_batch_norm',
  input: 'input',
  widthMultiplier: 'width_multiplier',
  modelSeed: 'model_seed',
  dropout: 'dropout',
  groupTargets: 'group_targets',
  groupTargetWeight: 'group_target_weight',
  epochs: 'epochs',
  batchSize: 'batch_size',
  learningRate: 'learning_rate',
  warmupFraction: 'warmup_fraction',
  finalLearningRateFraction: 'final_lr_fraction',
  patience: 'patience',
  classWeighting: 'class_weighting',
  gridStyle: 'grid_style',
  augment: 'augment',
  trainRecords: 'train_records',
  valRecords: 'val_records',
  testRecords: 'test_records',
  /** Data-parallel replicas (LEADWISE_DATA_PARALLEL); written only when above 1: it changes the results (batch norm per share). */
  dataParallel: 'data_parallel',
} as const;

/**
 * Param keys an evaluation run is logged with. `split` is what the study summary and the report
 * read to leave the validation-split evaluations (threshold choice, not test results) out.
 */
export const EVALUATE_PARAM_KEYS = {
  trainRunId: 'train_run_id',
  dataset: 'dataset',
  split: 'split',
  records: 'records',
  checkpointUri: 'checkpoint_uri',
  gridStyle: 'grid_style',
  engine: 'engine',
  occlusionBlank: 'occlusion_blank',
} as const;

/**
 * Param keys an LLM arm run is logged with (`scoreSource` and `hardLabelOnly` once its metrics are
 * known); the study's LLM table reads `provider`, `style` and `scoreSource` back by these names.
 */
export const LLM_PARAM_KEYS = {
  provider: 'provider',
  model: 'model',
  promptName: 'prompt.name',
  promptVersion: 'prompt.version',
  promptSha256: 'prompt.sha256',
  promptEffectiveHash: 'prompt.effective_hash',
  promptFewShotK: 'prompt.few_shot_k',
  temperature: 'temperature',
  temperatureSent: 'temperature.sent',
  logprobsRequested: 'logprobs_requested',
  scorePreference: 'score_preference',
  style: 'style',
  dpi: 'dpi',
  imageWidthPx: 'image.width_px',
  imageHeightPx: 'image.height_px',
  imageRenderOptions: 'image.render_options',
  repeats: 'repeats',
  dataset: 'dataset',
  split: 'split',
  records: 'records',
  concurrency: 'concurrency',
  requestsPerMinute: 'requests_per_minute',
  timeoutMs: 'timeout_ms',
  maxAttempts: 'max_attempts',
  scoreSource: 'score_source',
  hardLabelOnly: 'hard_label_only',
} as const;
